/**
 * ListOffsets (key 2), v1–10.
 *
 * Behaviour per partition (timestamp field): -2 earliest → log start offset; -1 latest → log end
 * offset (= high watermark = last stable offset here, for either isolation level); -3 max
 * timestamp (KIP-734, v7+) → the batch with the largest max timestamp (its last offset and that
 * timestamp); -4 earliest local (KIP-405) → log start offset; -5 latest tiered → -1 (no tiered
 * storage); t >= 0 → the first batch whose max timestamp is >= t, else offset -1 / timestamp -1.
 * Returned timestamp is -1 for -1/-2/-4. Leader epoch (v4+) is the partition's epoch, or -1 when no
 * offset was found. Unknown topic/partition → UNKNOWN_TOPIC_OR_PARTITION; a `current_leader_epoch`
 * that does not match → FENCED/UNKNOWN_LEADER_EPOCH. Every requested partition is answered.
 * Omitted: v0 (old-style offset lists; not advertised), per-record timestamp precision within a
 * batch (the batch's base offset is returned, as Kafka's time index does at batch granularity).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import type { ListOffsetsResponseListOffsetsPartitionResponseInput } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { checkLeaderEpoch } from "./001-fetch.js";

export default defineHandler({
  apiKey: ApiKey.ListOffsets,
  minVersion: 1,
  maxVersion: 10,
  handle(ctx, req) {
    const b = ctx.broker;
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((rt) => {
        const topic = b.topic(rt.name);
        return {
          name: rt.name,
          partitions: rt.partitions.map((rp): ListOffsetsResponseListOffsetsPartitionResponseInput => {
            const p = topic?.partitions[rp.partitionIndex];
            const none = { partitionIndex: rp.partitionIndex, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
            if (!p) return { ...none, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
            const epochError = checkLeaderEpoch(rp.currentLeaderEpoch, p.leaderEpoch);
            if (epochError !== ErrorCode.NONE) return { ...none, errorCode: epochError };
            const log = p.log;
            const ok = (offset: bigint, timestamp: bigint) => ({ partitionIndex: rp.partitionIndex, errorCode: ErrorCode.NONE, timestamp, offset, leaderEpoch: offset >= 0n ? p.leaderEpoch : -1 });
            switch (rp.timestamp) {
              case -2n:
              case -4n:
                return ok(log.logStartOffset, -1n);
              case -1n:
                return ok(log.highWatermark, -1n);
              case -3n: {
                const m = log.maxTimestamp();
                return ok(m.offset, m.timestamp);
              }
              case -5n:
                return ok(-1n, -1n);
              default: {
                if (rp.timestamp < 0n) return { ...none, errorCode: ErrorCode.INVALID_REQUEST };
                const f = log.offsetForTimestamp(rp.timestamp);
                return f ? ok(f.offset, f.timestamp) : ok(-1n, -1n);
              }
            }
          }),
        };
      }),
    };
  },
  errorResponse(req, errorCode) {
    return { topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, offset: -1n, timestamp: -1n })) })) };
  },
});
