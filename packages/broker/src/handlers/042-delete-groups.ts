/**
 * DeleteGroups (key 42), v0–3.
 *
 * Behaviour (Kafka's): only an Empty group can be deleted (else NON_EMPTY_GROUP); a group that does
 * not exist → GROUP_ID_NOT_FOUND; deletion writes tombstones for its offsets and its metadata, so it
 * stays deleted after a restart. A share group (no members, else NON_EMPTY_GROUP) loses its
 * share-partition state in `__share_group_state` and its group configs, also when it is known only
 * by that state (after a restart).
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
      let errorCode = (await ctx.groups.run(groupId, (s) => s.deleteGroup(groupId), false)) ?? ErrorCode.GROUP_ID_NOT_FOUND;
      if (errorCode === ErrorCode.NONE || errorCode === ErrorCode.GROUP_ID_NOT_FOUND) {
        if (await ctx.shares.deleteGroup(groupId)) errorCode = ErrorCode.NONE;
      }
      results.push({ groupId, errorCode, errorMessage: null });
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, errorCode) {
    return { results: req.groupsNames.map((groupId) => ({ groupId, errorCode })) };
  },
});
