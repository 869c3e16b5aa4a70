/**
 * DeleteRecords (key 21), v0–2.
 *
 * Behaviour: moves each partition's log start offset to `offset` (-1 = the high watermark); the
 * answer's low watermark is the new log start offset. An offset above the high watermark or below
 * -1 → OFFSET_OUT_OF_RANGE; unknown topic/partition → UNKNOWN_TOPIC_OR_PARTITION. Offsets at or
 * below the current start leave it unchanged.
 * Omitted: `timeout_ms` (immediate).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";

export default defineHandler({
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req) {
    const b = ctx.broker;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((rp) => {
          const p = b.partition(t.name, rp.partitionIndex);
          if (!p) return { partitionIndex: rp.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          const target = rp.offset === -1n ? p.log.highWatermark : rp.offset;
          if (target < 0n || target > p.log.highWatermark) return { partitionIndex: rp.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
          return { partitionIndex: rp.partitionIndex, lowWatermark: p.log.deleteRecordsBefore(target), errorCode: ErrorCode.NONE };
        }),
      })),
    };
  },
  errorResponse(req, errorCode) {
    return { topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode })) })) };
  },
});
