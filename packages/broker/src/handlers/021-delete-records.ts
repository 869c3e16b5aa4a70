/**
 * DeleteRecords (key 21), v0–2.
 *
 * Behaviour: moves each partition's log start offset to `offset` (-1 = the high watermark); the
 * answer's low watermark is the new log start offset. An offset above the high watermark or below
 * -1 → OFFSET_OUT_OF_RANGE; unknown topic/partition → UNKNOWN_TOPIC_OR_PARTITION. Offsets at or
 * below the current start leave it unchanged. The partitions are advanced together and the answer
 * goes out only once their new log start offsets are durable (log-start-offset-checkpoint fsynced;
 * concurrent advances share one write), so an acknowledged deletion survives a crash; when that write
 * fails, the partition answers KAFKA_STORAGE_ERROR.
 * Omitted: `timeout_ms` (immediate).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";

export default defineHandler({
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      topics: await Promise.all(req.topics.map(async (t) => ({
        name: t.name,
        partitions: await Promise.all(t.partitions.map(async (rp) => {
          const p = ctx.topics.partition(t.name, rp.partitionIndex);
          if (!p) return { partitionIndex: rp.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          const target = rp.offset === -1n ? p.log.highWatermark : Number(rp.offset);
          // The checkpoint write failed (ENOSPC, EIO): the deletion is not known to be durable.
          const r = await p.log.advanceLogStartOffset(target).catch((e: unknown) => ({ error: "KAFKA_STORAGE_ERROR" as const, cause: e }));
          if (r.error === "KAFKA_STORAGE_ERROR") {
            ctx.log.error({ topic: t.name, partition: rp.partitionIndex, err: String(r.cause) }, "log start offset not made durable");
            return { partitionIndex: rp.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
          }
          if (r.error) return { partitionIndex: rp.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
          return { partitionIndex: rp.partitionIndex, lowWatermark: BigInt(r.logStartOffset), errorCode: ErrorCode.NONE };
        })),
      }))),
    };
  },
  errorResponse(req, errorCode) {
    return { topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode })) })) };
  },
});
