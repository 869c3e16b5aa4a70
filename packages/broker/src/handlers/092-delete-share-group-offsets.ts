/**
 * DeleteShareGroupOffsets (key 92), v0: forgets the share-partition state of the named topics for a
 * share group with no members (NON_EMPTY_GROUP otherwise; another group type → GROUP_ID_NOT_FOUND);
 * the next member starts them from `share.auto.offset.reset` again. An unknown topic →
 * UNKNOWN_TOPIC_OR_PARTITION.
 */
import { ApiKey, ErrorCode, ZERO_UUID } from "@odradek/codec";
import { defineHandler } from "../registry.js";

export default defineHandler({
  apiKey: ApiKey.DeleteShareGroupOffsets,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const state = await ctx.groups.run(req.groupId, (s) => ({
      records: [],
      response: s.shareGroups.get(req.groupId)?.members.size ? "busy" : s.consumerGroups.has(req.groupId) || (s.groups.get(req.groupId)?.members.size ?? 0) > 0 ? "other" : "ok",
    }));
    if (state === "busy") return { throttleTimeMs: 0, errorCode: ErrorCode.NON_EMPTY_GROUP, errorMessage: `share group ${req.groupId} has members`, responses: [] };
    if (state === "other") return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${req.groupId} is not a share group.`, responses: [] };
    const stored = await ctx.shares.partitions.store.ofGroup(req.groupId);
    const responses = [];
    for (const t of req.topics) {
      const topic = ctx.topics.topic(t.topicName);
      if (!topic) {
        responses.push({ topicName: t.topicName, topicId: ZERO_UUID, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null });
        continue;
      }
      for (const st of stored.filter((x) => x.topicId === topic.id)) await ctx.shares.partitions.delete(req.groupId, st.topicId, st.partition);
      responses.push({ topicName: t.topicName, topicId: topic.id, errorCode: ErrorCode.NONE, errorMessage: null });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, responses: [] };
  },
});
