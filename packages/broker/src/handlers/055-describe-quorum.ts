/**
 * DescribeQuorum (key 55), v0–2.
 *
 * Behaviour (a one-node Kafka 4.4 in combined mode, probed 2026-12-02): the broker is the one voter
 * and the leader of `__cluster_metadata` partition 0. The leader epoch is the number of starts of the
 * data directory (a one-voter quorum elects itself at each start), the high watermark and the
 * voter's log end offset are the metadata offset (the changes written: NodeInfo.quorum, services.ts). The voter's
 * last fetch / caught-up timestamps are now (Kafka reports the leader's this way; v1+), its
 * directory id is meta.properties' `directory.id` (v2), observers are empty, and v2's node list gives
 * the voter's endpoint: this broker's one listener (odradek has no separate controller listener).
 * Any other topic or partition, or more than one, answers UNKNOWN_TOPIC_OR_PARTITION on each
 * partition with Kafka's message and zeroed fields; no topics answers no topics. Error messages are
 * "" where Kafka leaves its default.
 *
 * Leaves out: NOT_LEADER_OR_FOLLOWER (this node always leads), follower and observer states.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";

const METADATA_TOPIC = "__cluster_metadata";

export default defineHandler({
  apiKey: ApiKey.DescribeQuorum,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req) {
    const partitions = req.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.topicName, partition: p.partitionIndex })));
    const valid = partitions.length === 1 && partitions[0]!.topic === METADATA_TOPIC && partitions[0]!.partition === 0;
    if (!valid) {
      const unknown = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "This server does not host this topic-partition.", leaderId: 0, leaderEpoch: 0, highWatermark: 0n, currentVoters: [], observers: [] };
      return { errorCode: ErrorCode.NONE, errorMessage: "", topics: req.topics.map((t) => ({ topicName: t.topicName, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, ...unknown })) })), nodes: [] };
    }
    const { leaderEpoch, highWatermark } = ctx.node.quorum();
    const now = BigInt(ctx.clock.now());
    const voter = { replicaId: ctx.node.nodeId, replicaDirectoryId: ctx.node.directoryId, logEndOffset: BigInt(highWatermark), lastFetchTimestamp: now, lastCaughtUpTimestamp: now };
    const listenerName = /^([A-Za-z0-9_]+):\/\//.exec(ctx.config.get("listeners") ?? "")?.[1] ?? "PLAINTEXT";
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: "",
      topics: [{ topicName: METADATA_TOPIC, partitions: [{ partitionIndex: 0, errorCode: ErrorCode.NONE, errorMessage: "", leaderId: ctx.node.nodeId, leaderEpoch, highWatermark: BigInt(highWatermark), currentVoters: [voter], observers: [] }] }],
      nodes: [{ nodeId: ctx.node.nodeId, listeners: [{ name: listenerName, host: ctx.node.advertised.host, port: ctx.node.advertised.port }] }],
    };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, topics: [], nodes: [] };
  },
});
