/**
 * SyncGroup (key 14), v0–5: the classic group protocol's second phase (group/classic-protocol.ts).
 *
 * Followers wait for the leader's assignment; the leader's request stores the generation's
 * assignment (written to `__consumer_offsets` before anyone is answered) and releases every waiting
 * member. v5 checks the protocol type and name against the group's (INCONSISTENT_GROUP_PROTOCOL).
 */
import { ApiKey } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { syncGroup } from "../group/classic-in-consumer-group.js";

export default defineHandler({
  apiKey: ApiKey.SyncGroup,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    const deferred = await ctx.groups.run(req.groupId, (s) => syncGroup(s, {
      groupId: req.groupId,
      generationId: req.generationId,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: ctx.apiVersion >= 5 ? req.protocolType : null,
      protocolName: ctx.apiVersion >= 5 ? req.protocolName : null,
      assignments: req.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
    }));
    return { throttleTimeMs: 0, ...(await deferred!.wait) };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, assignment: Buffer.alloc(0) };
  },
});
