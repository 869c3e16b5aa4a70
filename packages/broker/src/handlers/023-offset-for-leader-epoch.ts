/**
 * OffsetForLeaderEpoch (key 23), v2–4.
 *
 * Behaviour: every partition has had one leader epoch (0), so: requested epoch 0 → (0, log end
 * offset); a later epoch → UNDEFINED (-1, -1), as Kafka answers for an epoch it has not seen;
 * an earlier one (-1) → (-1, -1) as well. `current_leader_epoch` that does not match →
 * FENCED/UNKNOWN_LEADER_EPOCH; unknown topic/partition → UNKNOWN_TOPIC_OR_PARTITION.
 * Omitted: follower requests (replica id) are answered the same way.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { checkLeaderEpoch } from "./001-fetch.js";

export default defineHandler({
  apiKey: ApiKey.OffsetForLeaderEpoch,
  minVersion: 2,
  maxVersion: 4,
  handle(ctx, req) {
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({
        topic: t.topic,
        partitions: t.partitions.map((rp) => {
          const p = ctx.topics.partition(t.topic, rp.partition);
          if (!p) return { partition: rp.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderEpoch: -1, endOffset: -1n };
          const e = checkLeaderEpoch(rp.currentLeaderEpoch, p.leaderEpoch);
          if (e !== ErrorCode.NONE) return { partition: rp.partition, errorCode: e, leaderEpoch: -1, endOffset: -1n };
          if (rp.leaderEpoch === p.leaderEpoch) return { partition: rp.partition, errorCode: ErrorCode.NONE, leaderEpoch: p.leaderEpoch, endOffset: BigInt(p.log.logEndOffset) };
          return { partition: rp.partition, errorCode: ErrorCode.NONE, leaderEpoch: -1, endOffset: -1n };
        }),
      })),
    };
  },
  errorResponse(req, errorCode) {
    return { topics: req.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode, leaderEpoch: -1, endOffset: -1n })) })) };
  },
});
