/**
 * DeleteTopics (key 20), v1–6.
 *
 * Behaviour: v1–5 name topics; v6 names each by name or by id (both set, or neither →
 * INVALID_REQUEST). Unknown name → UNKNOWN_TOPIC_OR_PARTITION, unknown id → UNKNOWN_TOPIC_ID.
 * Deletion is immediate: the partition logs are closed and their directories removed; a later
 * topic of the same name gets a new id.
 * Omitted: `delete.topic.enable=false` (always enabled), `timeout_ms`.
 */
import { ApiKey, ErrorCode, ZERO_UUID } from "@odradek/codec";
import type { DeleteTopicsResponseDeletableTopicResultInput } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { mapSeq } from "../map-seq.js";


export default defineHandler({
  apiKey: ApiKey.DeleteTopics,
  minVersion: 1,
  maxVersion: 6,
  async handle(ctx, req) {
    const topics = ctx.topics;
    const targets = ctx.apiVersion >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    const responses = await mapSeq(targets, async (t): Promise<DeleteTopicsResponseDeletableTopicResultInput> => {
      const byName = t.name !== null && t.name !== "";
      const byId = t.topicId !== ZERO_UUID;
      if (byName === byId) return { name: t.name, topicId: t.topicId, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Exactly one of topic name or topic id must be set" };
      const topic = byName ? topics.topic(t.name!) : topics.topicById(t.topicId);
      if (!topic) {
        return byName
          ? { name: t.name, topicId: t.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "This server does not host this topic-partition." }
          : { name: null, topicId: t.topicId, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, errorMessage: "This server does not host this topic ID." };
      }
      await topics.deleteTopic(topic);
      return { name: topic.name, topicId: topic.id, errorCode: ErrorCode.NONE, errorMessage: null };
    });
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req, errorCode, version) {
    const targets = version >= 6 ? req.topics : req.topicNames.map((name) => ({ name, topicId: ZERO_UUID }));
    return { responses: targets.map((t) => ({ name: t.name, topicId: t.topicId, errorCode })) };
  },
});
