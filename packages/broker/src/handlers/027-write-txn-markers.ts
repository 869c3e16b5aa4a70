/**
 * WriteTxnMarkers (key 27), v1–2.
 *
 * Behaviour (Kafka's): writes a commit/abort marker for the producer to each named partition, as a
 * transaction coordinator does; Kafka's `kafka-transactions abort` (Admin.abortTransaction) sends it
 * to end a hanging transaction. Per partition: unknown → UNKNOWN_TOPIC_OR_PARTITION; an epoch older
 * than the partition's producer → INVALID_PRODUCER_EPOCH; an older coordinator epoch →
 * TRANSACTION_COORDINATOR_FENCED. `__consumer_offsets` partitions go through the group coordinator
 * (pending transactional offsets become visible or are dropped).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { GROUP_METADATA_TOPIC } from "../group/group-coordinator.js";

export default defineHandler({
  apiKey: ApiKey.WriteTxnMarkers,
  minVersion: 1,
  maxVersion: 2,
  async handle(ctx, req) {
    const markers = [];
    for (const m of req.markers) {
      const topics = [];
      for (const t of m.topics) {
        const partitions = [];
        for (const p of t.partitionIndexes) {
          const part = ctx.topics.partition(t.name, p);
          let errorCode: number = ErrorCode.NONE;
          if (!part) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
          else if (t.name === GROUP_METADATA_TOPIC) {
            await ctx.groups.writeMarker(p, Number(m.producerId), m.producerEpoch, m.transactionResult).catch(() => (errorCode = ErrorCode.NOT_LEADER_OR_FOLLOWER));
          } else {
            const r = await part.log.appendTxnMarker({ producerId: Number(m.producerId), producerEpoch: m.producerEpoch, coordinatorEpoch: m.coordinatorEpoch, commit: m.transactionResult });
            if (r.error) errorCode = ErrorCode[r.error as keyof typeof ErrorCode] ?? ErrorCode.UNKNOWN_SERVER_ERROR;
            else ctx.delayedFetches.notifyAppend(t.name, p);
          }
          partitions.push({ partitionIndex: p, errorCode });
        }
        topics.push({ name: t.name, partitions });
      }
      markers.push({ producerId: m.producerId, topics });
    }
    return { markers };
  },
  errorResponse(req, errorCode) {
    return { markers: req.markers.map((m) => ({ producerId: m.producerId, topics: m.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode })) })) })) };
  },
});
