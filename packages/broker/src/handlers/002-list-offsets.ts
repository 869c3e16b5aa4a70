/**
 * ListOffsets (key 2), v1–11.
 *
 * Behaviour per partition (timestamp field): -2 earliest → log start offset; -1 latest → log end
 * offset (= high watermark = last stable offset here, for either isolation level); -3 max
 * timestamp (KIP-734, v7+) → the first record holding the largest timestamp; -4 earliest local
 * (KIP-405) → log start offset; -5 latest tiered and -6 earliest pending upload (KIP-1023, v11) → -1
 * (no tiered storage; Kafka 4.4 answers both so on a topic without it); t >= 0 → the first
 * record (not batch: compressed batches are opened) whose timestamp is >= t, else offset -1 /
 * timestamp -1. Latest with read_committed → the last stable offset.
 * Returned timestamp is -1 for -1/-2/-4. Leader epoch (v4+) is the partition's epoch, or -1 when no
 * offset was found. Unknown topic/partition → UNKNOWN_TOPIC_OR_PARTITION; a `current_leader_epoch`
 * that does not match → FENCED/UNKNOWN_LEADER_EPOCH; a partition in an offline log dir →
 * KAFKA_STORAGE_ERROR (as Kafka 4.4). Every requested partition is answered.
 * Omitted: v0 (old-style offset lists; not advertised).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import type { ListOffsetsResponseListOffsetsPartitionResponseInput } from "@odradek/codec";
import { ListOffsetsTimestamp } from "@odradek/storage";
import { defineHandler } from "../registry.js";
import { mapSeq } from "../map-seq.js";
import { checkLeaderEpoch } from "./001-fetch.js";
import { offlinePartitions } from "../storage-errors.js";

/** KIP-405's special timestamps: earliest local (= earliest here), latest tiered (none here). */
const EARLIEST_LOCAL = -4;
const LATEST_TIERED = -5;
/** KIP-1023 (v11): the earliest offset not yet uploaded to tiered storage (none here). */
const EARLIEST_PENDING_UPLOAD = -6;

export default defineHandler({
  apiKey: ApiKey.ListOffsets,
  minVersion: 1,
  maxVersion: 11,
  async handle(ctx, req) {
    const readCommitted = req.isolationLevel === 1;
    const offline = offlinePartitions(ctx.logs);
    return {
      throttleTimeMs: 0,
      topics: await mapSeq(req.topics, async (rt) => {
        const topic = ctx.topics.topic(rt.name);
        return {
          name: rt.name,
          partitions: await mapSeq(rt.partitions, async (rp): Promise<ListOffsetsResponseListOffsetsPartitionResponseInput> => {
            const p = topic?.partitions[rp.partitionIndex];
            const none = { partitionIndex: rp.partitionIndex, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
            if (!p) return { ...none, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
            if (offline(rt.name, rp.partitionIndex)) return { ...none, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
            const epochError = checkLeaderEpoch(rp.currentLeaderEpoch, p.leaderEpoch);
            if (epochError !== ErrorCode.NONE) return { ...none, errorCode: epochError };
            const log = p.log;
            const ok = (offset: number, timestamp: number, epoch = -1) => ({
              partitionIndex: rp.partitionIndex,
              errorCode: ErrorCode.NONE,
              timestamp: BigInt(timestamp),
              offset: BigInt(offset),
              leaderEpoch: offset >= 0 ? (epoch >= 0 ? epoch : p.leaderEpoch) : -1,
            });
            const ts = Number(rp.timestamp);
            switch (ts) {
              case ListOffsetsTimestamp.EARLIEST:
              case EARLIEST_LOCAL:
                return ok(log.logStartOffset, -1);
              case ListOffsetsTimestamp.LATEST:
                return ok(readCommitted ? log.lastStableOffset : log.highWatermark, -1);
              case LATEST_TIERED:
              case EARLIEST_PENDING_UPLOAD:
                return ok(-1, -1);
              default: {
                if (ts < 0 && ts !== ListOffsetsTimestamp.MAX_TIMESTAMP) return { ...none, errorCode: ErrorCode.INVALID_REQUEST };
                const f = await log.offsetForTimestamp(ts);
                return f ? ok(f.offset, f.timestamp, f.leaderEpoch) : ok(-1, -1);
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
