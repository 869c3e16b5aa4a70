/**
 * AlterShareGroupOffsets (key 91), v0: sets share-partition start offsets of a share group with no
 * members (NON_EMPTY_GROUP otherwise; another group type → GROUP_ID_NOT_FOUND): each named partition
 * starts over at the given offset (its in-flight state is forgotten), creating the state when the
 * group never read it. Unknown topics or partitions → UNKNOWN_TOPIC_OR_PARTITION per partition.
 * `kafka-share-groups --reset-offsets` sends it.
 */
import { ApiKey, ErrorCode, ZERO_UUID } from "@odradek/codec";
import { defineHandler } from "../registry.js";

export default defineHandler({
  apiKey: ApiKey.AlterShareGroupOffsets,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const state = await ctx.groups.run(req.groupId, (s) => ({
      records: [],
      response: s.shareGroups.get(req.groupId)?.members.size ? "busy" : s.consumerGroups.has(req.groupId) || (s.groups.get(req.groupId)?.members.size ?? 0) > 0 ? "other" : "ok",
    }));
    const top = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, errorCode, errorMessage, responses: [] });
    if (state === "busy") return top(ErrorCode.NON_EMPTY_GROUP, `share group ${req.groupId} has members; offsets can be altered only when it is empty`);
    if (state === "other") return top(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} is not a share group.`);
    const responses = [];
    for (const t of req.topics) {
      const topic = ctx.topics.topic(t.topicName);
      const partitions = [];
      for (const p of t.partitions) {
        if (!topic || p.partitionIndex < 0 || p.partitionIndex >= topic.partitions.length) {
          partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: null });
          continue;
        }
        await ctx.shares.partitions.reset(req.groupId, topic, p.partitionIndex, Number(p.startOffset));
        partitions.push({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE, errorMessage: null });
      }
      responses.push({ topicName: t.topicName, topicId: topic?.id ?? ZERO_UUID, partitions });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, responses };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, responses: [] };
  },
});
