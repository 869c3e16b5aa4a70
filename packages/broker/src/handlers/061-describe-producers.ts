/**
 * DescribeProducers (key 61), v0.
 *
 * Behaviour (Kafka's): per partition, the producers its log keeps state for (idempotent and
 * transactional): id, epoch, last sequence, last timestamp, coordinator epoch and the first offset
 * of the producer's open transaction (-1 when none) — what `kafka-transactions find-hanging` reads.
 * Unknown topic or partition → UNKNOWN_TOPIC_OR_PARTITION.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";

export default defineHandler({
  apiKey: ApiKey.DescribeProducers,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => {
        const p = ctx.topics.partition(t.name, partitionIndex);
        if (!p) return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null, activeProducers: [] };
        return {
          partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null,
          activeProducers: p.log.producers().map((s) => ({
            producerId: BigInt(s.producerId), producerEpoch: s.producerEpoch, lastSequence: s.lastSequence, lastTimestamp: BigInt(s.lastTimestamp),
            coordinatorEpoch: s.coordinatorEpoch, currentTxnStartOffset: BigInt(s.currentTxnStartOffset),
          })),
        };
      }),
    }));
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(req, errorCode) {
    return { topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode, errorMessage: null, activeProducers: [] })) })) };
  },
});
