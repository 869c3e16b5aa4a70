/**
 * LeaveGroup (key 13), v0–5 (v3+ batches members, by member id or group.instance.id).
 *
 * Each member leaves at once (its pending join or sync is answered UNKNOWN_MEMBER_ID) and the group
 * rebalances without it; a static member named by instance id with another member id →
 * FENCED_INSTANCE_ID; unknown → UNKNOWN_MEMBER_ID (per member from v3, top-level before).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { leaveGroup } from "../group/classic-in-consumer-group.js";

export default defineHandler({
  apiKey: ApiKey.LeaveGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    const members = ctx.apiVersion >= 3 ? req.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })) : [{ memberId: req.memberId, groupInstanceId: null }];
    const r = (await ctx.groups.run(req.groupId, (s) => leaveGroup(s, req.groupId, members)))!;
    if (ctx.apiVersion >= 3) return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
    return { throttleTimeMs: 0, errorCode: r.errorCode !== ErrorCode.NONE ? r.errorCode : r.members[0]?.errorCode ?? ErrorCode.NONE };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, members: [] };
  },
});
