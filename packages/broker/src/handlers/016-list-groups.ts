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
    const states = ctx.apiVersion >= 4 ? req.statesFilter : [];
    const types = ctx.apiVersion >= 5 ? req.typesFilter : [];
    const groups = (await ctx.groups.all((s) => s.listGroups(states, types))).flat();
    // Share groups known only by their share-partition state (membership is not persisted): Empty.
    const known = new Set(groups.map((g) => g.groupId));
    const stateOk = states.length === 0 || states.some((x) => x.toLowerCase() === "empty");
    const typeOk = types.length === 0 || types.some((x) => x.toLowerCase() === "share");
    if (stateOk && typeOk) {
      for (const groupId of await ctx.shares.storedGroupIds()) {
        if (!known.has(groupId)) groups.push({ groupId, protocolType: "share", groupState: "Empty", groupType: "share" });
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, groups };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, groups: [] };
  },
});
