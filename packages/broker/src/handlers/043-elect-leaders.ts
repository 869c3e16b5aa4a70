/**
 * ElectLeaders (key 43), v0–2: preferred (0) and unclean (1) elections, as a single-node Kafka 4.4
 * answers them: this broker already leads every partition, so each named partition gets
 * ELECTION_NOT_NEEDED ("Leader election not needed for topic partition."); an unknown partition or
 * topic → UNKNOWN_TOPIC_OR_PARTITION with Kafka's message. `topic_partitions` null (every partition)
 * lists every topic with no partition results (nothing was elected). An unknown election type →
 * INVALID_REQUEST at the top level.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";

const NOT_NEEDED = "Leader election not needed for topic partition.";

export default defineHandler({
  apiKey: ApiKey.ElectLeaders,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req) {
    if (ctx.apiVersion >= 1 && req.electionType !== 0 && req.electionType !== 1) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_REQUEST, replicaElectionResults: [] };
    }
    if (req.topicPartitions === null) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults: ctx.topics.allTopics().map((t) => ({ topic: t.name, partitionResult: [] })) };
    }
    const replicaElectionResults = req.topicPartitions.map((tp) => {
      const t = ctx.topics.topic(tp.topic);
      return {
        topic: tp.topic,
        partitionResult: tp.partitions.map((partitionId) => {
          if (!t) return { partitionId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such topic as ${tp.topic}` };
          if (partitionId < 0 || partitionId >= t.partitions.length) return { partitionId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `No such partition as ${tp.topic}-${partitionId}` };
          return { partitionId, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: NOT_NEEDED };
        }),
      };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, replicaElectionResults };
  },
  errorResponse(req, errorCode) {
    return { throttleTimeMs: 0, errorCode, replicaElectionResults: (req.topicPartitions ?? []).map((t) => ({ topic: t.topic, partitionResult: t.partitions.map((partitionId) => ({ partitionId, errorCode, errorMessage: null })) })) };
  },
});
