/**
 * DescribeTopicPartitions (key 75), v0: what `kafka-topics --describe` uses on Kafka 4.x brokers.
 *
 * Behaviour (as a single-node Kafka 4.4 answers): the named topics (all topics when the list is
 * empty), sorted by name, each with its partitions (leader = this broker, replicas = ISR = [it], no
 * eligible leader replicas: [], not null), at most `response_partition_limit` partitions in all; the
 * rest is left for a next request through `next_cursor` (topic and first partition not returned). A
 * request cursor starts there: earlier topics are skipped, and the cursor's topic from its partition.
 * An unknown topic → UNKNOWN_TOPIC_OR_PARTITION with the zero id. Authorized operations: every
 * topic operation (3576: no authorizer), as Kafka reports them without one.
 */
import { ApiKey, ErrorCode, ZERO_UUID } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { INTERNAL_TOPICS } from "./003-metadata.js";

/** READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS (Kafka's AclOperation bits). */
const ALL_TOPIC_OPERATIONS = 3576;

export default defineHandler({
  apiKey: ApiKey.DescribeTopicPartitions,
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, req) {
    const names = (req.topics.length === 0 ? ctx.topics.allTopics().map((t) => t.name) : req.topics.map((t) => t.name)).sort();
    const cursor = req.cursor;
    let budget = Math.max(1, req.responsePartitionLimit);
    const topics = [];
    let nextCursor: { topicName: string; partitionIndex: number } | null = null;
    for (const name of [...new Set(names)]) {
      if (cursor && name < cursor.topicName) continue;
      const t = ctx.topics.topic(name);
      if (!t) {
        topics.push({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, topicId: ZERO_UUID, isInternal: false, partitions: [], topicAuthorizedOperations: ALL_TOPIC_OPERATIONS });
        continue;
      }
      if (budget === 0) {
        nextCursor = { topicName: name, partitionIndex: cursor && name === cursor.topicName ? cursor.partitionIndex : 0 };
        break;
      }
      const from = cursor && name === cursor.topicName ? cursor.partitionIndex : 0;
      const partitions = [];
      for (let i = from; i < t.partitions.length; i++) {
        if (budget === 0) {
          nextCursor = { topicName: name, partitionIndex: i };
          break;
        }
        const p = t.partitions[i]!;
        partitions.push({ errorCode: ErrorCode.NONE, partitionIndex: i, leaderId: ctx.node.nodeId, leaderEpoch: p.leaderEpoch, replicaNodes: [ctx.node.nodeId], isrNodes: [ctx.node.nodeId], eligibleLeaderReplicas: [], lastKnownElr: [], offlineReplicas: [] });
        budget--;
      }
      topics.push({ errorCode: ErrorCode.NONE, name, topicId: t.id, isInternal: INTERNAL_TOPICS.has(name), partitions, topicAuthorizedOperations: ALL_TOPIC_OPERATIONS });
      if (nextCursor) break;
    }
    return { throttleTimeMs: 0, topics, nextCursor };
  },
  errorResponse(req, errorCode) {
    return { topics: req.topics.map((t) => ({ errorCode, name: t.name, partitions: [] })) };
  },
});
