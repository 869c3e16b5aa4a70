/**
 * AlterPartitionReassignments (key 45), v0–1, with a single node's semantics (as Kafka 4.4 answers on
 * one node): the only possible replica set is [this broker], so reassigning to it is accepted and done
 * at once; a replica set naming another broker, or one broker twice → INVALID_REPLICA_ASSIGNMENT with
 * Kafka's message; cancelling (replicas null) → NO_REASSIGNMENT_IN_PROGRESS; unknown partition or
 * topic → UNKNOWN_TOPIC_OR_PARTITION with Kafka's messages.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";

export default defineHandler({
  apiKey: ApiKey.AlterPartitionReassignments,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    const responses = req.topics.map((rt) => {
      const t = ctx.topics.topic(rt.name);
      return {
        name: rt.name,
        partitions: rt.partitions.map((rp) => {
          const r = (errorCode: number, errorMessage: string | null = null) => ({ partitionIndex: rp.partitionIndex, errorCode, errorMessage });
          if (!t) return r(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find a topic named ${rt.name}.`);
          if (rp.partitionIndex < 0 || rp.partitionIndex >= t.partitions.length) return r(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Unable to find partition ${rt.name}:${rp.partitionIndex}.`);
          if (rp.replicas === null) return r(ErrorCode.NO_REASSIGNMENT_IN_PROGRESS);
          const other = rp.replicas.find((id) => id !== ctx.node.nodeId);
          if (other !== undefined) return r(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${other}, but no such broker is registered.`);
          if (rp.replicas.length > 1) return r(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${ctx.node.nodeId} more than once.`);
          if (rp.replicas.length === 0) return r(ErrorCode.INVALID_REPLICA_ASSIGNMENT, "The manual partition assignment includes an empty replica list.");
          return r(ErrorCode.NONE);
        }),
      };
    });
    return { throttleTimeMs: 0, allowReplicationFactorChange: req.allowReplicationFactorChange, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
  errorResponse(req, errorCode) {
    return { errorCode, errorMessage: null, responses: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, errorMessage: null })) })) };
  },
});
