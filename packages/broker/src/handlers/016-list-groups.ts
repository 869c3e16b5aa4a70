/**
 * ListGroups (key 16), v0–5.
 *
 * Behaviour: every group of every `__consumer_offsets` partition with its protocol type ("" for a
 * simple group of manual commits), its state (v4+) and its type (v5+: "classic"); `states_filter`
 * (v4+) and `types_filter` (v5+) are matched without regard to case, as Kafka does. No groups yet
 * (no `__consumer_offsets`): an empty list.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";

export default defineHandler({
  apiKey: ApiKey.ListGroups,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    const lists = await ctx.broker.groups.all((s) => s.listGroups(ctx.apiVersion >= 4 ? req.statesFilter : [], ctx.apiVersion >= 5 ? req.typesFilter : []));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups: lists.flat() };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, groups: [] };
  },
});
