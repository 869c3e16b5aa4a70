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
import { mapSeq } from "../map-seq.js";

export default defineHandler({
  apiKey: ApiKey.DeleteRecords,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const b = ctx.broker;
    return {
      throttleTimeMs: 0,
      topics: await mapSeq(req.topics, async (t) => ({
        name: t.name,
        partitions: await mapSeq(t.partitions, async (rp) => {
          const p = b.partition(t.name, rp.partitionIndex);
          if (!p) return { partitionIndex: rp.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
          const target = rp.offset === -1n ? p.log.highWatermark : Number(rp.offset);
          const r = await p.log.advanceLogStartOffset(target);
          if (r.error) return { partitionIndex: rp.partitionIndex, lowWatermark: -1n, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
          return { partitionIndex: rp.partitionIndex, lowWatermark: BigInt(r.logStartOffset), errorCode: ErrorCode.NONE };
        }),
      })),
    };
  },
  errorResponse(req, errorCode) {
    return { topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1n, errorCode })) })) };
  },
});
