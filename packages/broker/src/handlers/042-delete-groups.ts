/**
 * DeleteGroups (key 42), v0–3.
 *
 * Behaviour (Kafka's): only an Empty group can be deleted (else NON_EMPTY_GROUP); a group that does
 * not exist → GROUP_ID_NOT_FOUND; deletion writes tombstones for its offsets and its metadata, so it
 * stays deleted after a restart.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";

export default defineHandler({
  apiKey: ApiKey.DeleteGroups,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    const results = [];
    for (const groupId of req.groupsNames) {
      const errorCode = (await ctx.broker.groups.run(groupId, (s) => s.deleteGroup(groupId), false)) ?? ErrorCode.GROUP_ID_NOT_FOUND;
      results.push({ groupId, errorCode, errorMessage: null });
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, errorCode) {
    return { results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) };
  },
});
