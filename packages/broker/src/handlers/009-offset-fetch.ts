/**
 * OffsetFetch (key 9), v1–10 (v8+ batches groups, v10 names topics by id).
 *
 * Behaviour: the committed offset, leader epoch (v5+) and metadata of each named partition, -1 where
 * the group has none (also for a group that does not exist); `topics` null (v2+) = every partition
 * the group has offsets for. `require_stable` (v7+): a partition with an offset committed by an open
 * transaction (TxnOffsetCommit) answers UNSTABLE_OFFSET_COMMIT until its marker is written. v10: a topic id that is not known → UNKNOWN_TOPIC_ID on its partitions.
 * An empty group id → INVALID_GROUP_ID (v8+: per group).
 * v9+ member id and epoch (Kafka's ConsumerGroup.validateOffsetFetch): for a KIP-848 consumer group,
 * a fetch that names a member must come from a current member (else UNKNOWN_MEMBER_ID) at its current
 * member epoch (else STALE_MEMBER_EPOCH); without member id and with epoch < 0 (admin tools, old
 * clients) it is always answered. Classic groups are not checked (Kafka does not either).
 */
import { ApiKey, ErrorCode, ZERO_UUID } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import type { RequestContext } from "../registry.js";
import type { CommittedOffset } from "../group/group-shard.js";

type Topics = { name: string; partitionIndexes: number[] }[] | null;
type Fetched = { errorCode: number; topics: { name: string; partitions: (CommittedOffset & { partitionIndex: number; errorCode?: number })[] }[] };

async function fetchGroup(ctx: RequestContext, groupId: string, topics: Topics, requireStable: boolean, member: { memberId: string | null; memberEpoch: number } | null = null): Promise<Fetched> {
  if (groupId === "") return { errorCode: ErrorCode.INVALID_GROUP_ID, topics: [] };
  const r = await ctx.groups.run(groupId, (s) => {
    const errorCode = member ? s.validateOffsetFetch(groupId, member.memberId, member.memberEpoch) : ErrorCode.NONE;
    if (errorCode !== ErrorCode.NONE) ctx.log.debug({ group: groupId, member: member!.memberId, memberEpoch: member!.memberEpoch, errorCode }, "offset fetch refused");
    return { records: [], response: errorCode !== ErrorCode.NONE ? { errorCode, topics: [] } : s.fetchOffsets(groupId, topics, requireStable) };
  }, false);
  const none = { offset: -1n, leaderEpoch: -1, metadata: "", commitTimestamp: -1n };
  return r ?? { errorCode: ErrorCode.NONE, topics: (topics ?? []).map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ ...none, partitionIndex })) })) };
}

const partitionOut = (p: CommittedOffset & { partitionIndex: number; errorCode?: number }, errorCode: number = p.errorCode ?? ErrorCode.NONE) => ({
  partitionIndex: p.partitionIndex, committedOffset: p.offset, committedLeaderEpoch: p.leaderEpoch, metadata: p.offset < 0n ? "" : p.metadata, errorCode,
});

export default defineHandler({
  apiKey: ApiKey.OffsetFetch,
  minVersion: 1,
  maxVersion: 10,
  async handle(ctx, req) {
    if (ctx.apiVersion < 8) {
      const r = await fetchGroup(ctx, req.groupId, req.topics, ctx.apiVersion >= 7 && req.requireStable);
      return { throttleTimeMs: 0, errorCode: r.errorCode, topics: r.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => partitionOut(p)) })) };
    }
    const byId = ctx.apiVersion >= 10;
    const groups = [];
    for (const g of req.groups) {
      const unknownIds = new Set<string>();
      const topics = g.topics === null ? null : g.topics.map((t) => {
        if (!byId) return { name: t.name, partitionIndexes: t.partitionIndexes };
        const name = ctx.topics.topicById(t.topicId)?.name;
        if (name === undefined) unknownIds.add(t.topicId);
        return { name: name ?? `\0${t.topicId}`, partitionIndexes: t.partitionIndexes };
      });
      const r = await fetchGroup(ctx, g.groupId, topics, req.requireStable, ctx.apiVersion >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : null);
      groups.push({
        groupId: g.groupId,
        errorCode: r.errorCode,
        topics: r.topics.map((t, i) => {
          const id = g.topics?.[i]?.topicId ?? ctx.topics.topic(t.name)?.id ?? ZERO_UUID;
          const unknown = byId && unknownIds.has(id);
          return { name: unknown ? "" : t.name, topicId: id, partitions: t.partitions.map((p) => partitionOut(p, unknown ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.NONE)) };
        }),
      });
    }
    return { throttleTimeMs: 0, groups };
  },
  errorResponse(req, errorCode, apiVersion) {
    if (apiVersion < 8) return { errorCode, topics: [] };
    return { groups: req.groups.map((g) => ({ groupId: g.groupId, errorCode, topics: [] })) };
  },
});
