/**
 * Metadata (key 3), v0–13.
 *
 * Behaviour: one broker (this one, at its advertised host:port) which is also the controller; every
 * partition is led by it, with replicas = isr = [this broker], leader epoch from the partition.
 * Topics null (v1+) or empty (v0) = all topics. v10+ carries topic ids; a v12 request may name a
 * topic by id only (unknown id → UNKNOWN_TOPIC_ID). An unknown topic is created when
 * `auto.create.topics.enable` is on and the request allows it (`allow_auto_topic_creation`, v4+;
 * always for v0–3), with `num.partitions` partitions, and is returned ready at once (Kafka answers
 * LEADER_NOT_AVAILABLE first; one node has no leader election to wait for). A name that is not a
 * legal topic name → INVALID_TOPIC_EXCEPTION; otherwise UNKNOWN_TOPIC_OR_PARTITION.
 * v13 adds a top-level error code (KIP-1102), for REBOOTSTRAP_REQUIRED; a single broker never asks a
 * client to rebootstrap, so it is 0 (NONE), as a lone Kafka 4.4 node answers.
 * `__consumer_offsets` (created by the group coordinator) is reported internal, as Kafka does.
 * A partition in a log dir taken offline by an I/O failure is answered as Kafka 4.4 answers it
 * (its only replica offline): LEADER_NOT_AVAILABLE, leader -1, the leader epoch one past the
 * partition's, no ISR, this broker in `offline_replicas`.
 * Omitted: authorized operations (no ACLs: returned as Kafka's "not requested" value).
 */
import { ApiKey, ErrorCode, ZERO_UUID } from "@odradek/codec";
import type { MetadataResponseMetadataResponseTopicInput } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { TopicExistsError, invalidTopicName } from "../topic-registry.js";
import { GROUP_METADATA_TOPIC } from "../group/group-coordinator.js";
import { offlinePartitions } from "../storage-errors.js";

/** Topics Kafka reports as internal (`is_internal`): the coordinators' logs. */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set([GROUP_METADATA_TOPIC]);
import type { Topic } from "../topic-registry.js";
import type { RequestContext } from "../registry.js";

const AUTH_OPS_NOT_REQUESTED = -2147483648;

/** `offline`: offlinePartitions(ctx.logs), taken once per request. */
export function describeTopic({ node }: Pick<RequestContext, "node">, t: Topic, offline: (topic: string, partition: number) => boolean): MetadataResponseMetadataResponseTopicInput {
  return {
    errorCode: ErrorCode.NONE,
    name: t.name,
    topicId: t.id,
    isInternal: INTERNAL_TOPICS.has(t.name),
    partitions: t.partitions.map((p) =>
      offline(t.name, p.index)
        ? { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, partitionIndex: p.index, leaderId: -1, leaderEpoch: p.leaderEpoch + 1, replicaNodes: [node.nodeId], isrNodes: [], offlineReplicas: [node.nodeId] }
        : { errorCode: ErrorCode.NONE, partitionIndex: p.index, leaderId: node.nodeId, leaderEpoch: p.leaderEpoch, replicaNodes: [node.nodeId], isrNodes: [node.nodeId], offlineReplicas: [] },
    ),
    topicAuthorizedOperations: AUTH_OPS_NOT_REQUESTED,
  };
}

export default defineHandler({
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 13,
  async handle(ctx, req) {
    const topics: MetadataResponseMetadataResponseTopicInput[] = [];
    const all = req.topics === null || (ctx.apiVersion === 0 && req.topics.length === 0);
    const offline = offlinePartitions(ctx.logs);
    if (all) {
      for (const t of ctx.topics.allTopics()) topics.push(describeTopic(ctx, t, offline));
    } else {
      const allowAuto = ctx.apiVersion < 4 || req.allowAutoTopicCreation;
      for (const rt of req.topics ?? []) {
        if (rt.name === null || rt.name === "") {
          const t = rt.topicId !== ZERO_UUID ? ctx.topics.topicById(rt.topicId) : undefined;
          topics.push(t ? describeTopic(ctx, t, offline) : { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: rt.topicId, partitions: [], topicAuthorizedOperations: AUTH_OPS_NOT_REQUESTED });
          continue;
        }
        let t = await ctx.topics.awaitTopic(rt.name);
        if (!t) {
          if (invalidTopicName(rt.name) !== null) {
            topics.push({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, name: rt.name, partitions: [], topicAuthorizedOperations: AUTH_OPS_NOT_REQUESTED });
            continue;
          }
          if (allowAuto && ctx.config.bool("auto.create.topics.enable") && ctx.topics.collidingTopic(rt.name) === null) {
            const name = rt.name;
            t = await ctx.topics.createTopic(name, ctx.config.int("num.partitions"), new Map()).catch(async (e: unknown) => {
              // Another request created it meanwhile.
              const other = e instanceof TopicExistsError ? await ctx.topics.awaitTopic(name) : undefined;
              if (!other) throw e;
              return other;
            });
          } else {
            topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name: rt.name, partitions: [], topicAuthorizedOperations: AUTH_OPS_NOT_REQUESTED });
            continue;
          }
        }
        topics.push(describeTopic(ctx, t, offline));
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: ctx.node.nodeId, host: ctx.node.advertised.host, port: ctx.node.advertised.port, rack: null }],
      clusterId: ctx.node.clusterId,
      controllerId: ctx.node.nodeId,
      topics,
      clusterAuthorizedOperations: AUTH_OPS_NOT_REQUESTED,
    };
  },
  errorResponse(req, errorCode) {
    return {
      brokers: [],
      controllerId: -1,
      topics: (req.topics ?? []).map((t) => ({ errorCode, name: t.name, topicId: t.topicId, partitions: [], topicAuthorizedOperations: AUTH_OPS_NOT_REQUESTED })),
    };
  },
});
