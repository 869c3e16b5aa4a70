/**
 * DescribeShareGroupOffsets (key 90), v0–1: per share group and partition its share-partition start
 * offset (SPSO; -1 when the partition was never initialized for the group) and, v1, the lag
 * (high watermark − start offset − records already delivered and done above it). `topics` null =
 * every share-partition the group has state for. A group id that is another type of group →
 * GROUP_ID_NOT_FOUND; unknown topics → UNKNOWN_TOPIC_OR_PARTITION per partition.
 */
import { ApiKey, ErrorCode, ZERO_UUID } from "@odradek/codec";
import { defineHandler } from "../registry.js";

export default defineHandler({
  apiKey: ApiKey.DescribeShareGroupOffsets,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    const groups = [];
    for (const g of req.groups) {
      const other = await ctx.groups.run(g.groupId, (s) => ({ records: [], response: !s.shareGroups.has(g.groupId) && (s.consumerGroups.has(g.groupId) || (s.groups.get(g.groupId)?.members.size ?? 0) > 0) }), false);
      if (other) {
        groups.push({ groupId: g.groupId, topics: [], errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${g.groupId} is not a share group.` });
        continue;
      }
      let wanted = g.topics;
      if (wanted === null) {
        const stored = await ctx.shares.partitions.store.ofGroup(g.groupId);
        const byTopic = new Map<string, number[]>();
        for (const st of stored) {
          const name = ctx.topics.topicById(st.topicId)?.name;
          if (name !== undefined) byTopic.set(name, [...(byTopic.get(name) ?? []), st.partition]);
        }
        wanted = [...byTopic].map(([topicName, partitions]) => ({ topicName, partitions: partitions.sort((x, y) => x - y) }));
      }
      const topics = [];
      for (const t of wanted) {
        const topic = ctx.topics.topic(t.topicName);
        const partitions = [];
        for (const p of t.partitions) {
          if (!topic || p < 0 || p >= topic.partitions.length) {
            partitions.push({ partitionIndex: p, startOffset: -1n, leaderEpoch: -1, lag: -1n, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null });
            continue;
          }
          const st = await ctx.shares.partitions.startOffset(g.groupId, topic, p);
          const hw = topic.partitions[p]!.log.highWatermark;
          const lag = st === null ? -1 : Math.max(0, hw - st.startOffset - Math.max(0, st.deliveryComplete));
          partitions.push({ partitionIndex: p, startOffset: BigInt(st?.startOffset ?? -1), leaderEpoch: st ? 0 : -1, lag: BigInt(lag), errorCode: ErrorCode.NONE, errorMessage: null });
        }
        topics.push({ topicName: t.topicName, topicId: topic?.id ?? ZERO_UUID, partitions });
      }
      groups.push({ groupId: g.groupId, topics, errorCode: ErrorCode.NONE, errorMessage: null });
    }
    return { throttleTimeMs: 0, groups };
  },
  errorResponse(req, errorCode) {
    return { groups: req.groups.map((g) => ({ groupId: g.groupId, topics: [], errorCode })) };
  },
});
