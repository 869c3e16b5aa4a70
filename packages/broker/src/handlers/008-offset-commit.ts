/**
 * OffsetCommit (key 8), v2–10 (v10 names topics by id).
 *
 * Behaviour (Kafka's): a commit is in `__consumer_offsets` before it is acknowledged. The group must be
 * Empty for a commit without generation (-1, a "simple" group is created for it when there is none:
 * manual commits), else the member and generation must match (UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION,
 * FENCED_INSTANCE_ID; REBALANCE_IN_PROGRESS in CompletingRebalance). A KIP-848 consumer group needs
 * v9+ and a known member; an older member epoch is accepted when every committed partition was
 * assigned to the member at or before that epoch (KIP-1251, group/assignment-epochs.ts), else
 * STALE_MEMBER_EPOCH for the whole request, as is an epoch above the member's. A group that does not exist
 * with a generation → GROUP_ID_NOT_FOUND from v9, ILLEGAL_GENERATION before. Per partition: an
 * unknown topic or partition → UNKNOWN_TOPIC_OR_PARTITION (by id, v10: UNKNOWN_TOPIC_ID); metadata
 * above `offset.metadata.max.bytes` → OFFSET_METADATA_TOO_LARGE. The leader epoch (v6+) and metadata
 * are kept. `offsets.retention.minutes` expires offsets as Kafka does (group-shard.ts). Omitted:
 * `retention_time_ms` (v2–4).
 */
import { ApiKey } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { splitCommitPartitions } from "../group/commit-partitions.js";

export default defineHandler({
  apiKey: ApiKey.OffsetCommit,
  minVersion: 2,
  maxVersion: 10,
  async handle(ctx, req) {
    const byId = ctx.apiVersion >= 10;
    const { answered, valid } = splitCommitPartitions(ctx.topics, req.topics, byId);
    const r = (await ctx.groups.run(req.groupId, (s) => s.commitOffsets({
      groupId: req.groupId,
      generationId: req.generationIdOrMemberEpoch,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      apiVersion: ctx.apiVersion,
      topics: valid.map((v) => ({ name: v.name, partitions: v.partitions })),
    })))!;
    r.topics.forEach((t, i) => answered.get(valid[i]!.at)!.push(...t.partitions));
    return {
      throttleTimeMs: 0,
      topics: req.topics.map((t, at) => ({ name: t.name, topicId: t.topicId, partitions: answered.get(at)! })),
    };
  },
  errorResponse(req, errorCode) {
    return { topics: req.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) };
  },
});
