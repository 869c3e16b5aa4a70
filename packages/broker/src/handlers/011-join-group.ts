/**
 * JoinGroup (key 11), v0–9: the classic group protocol (group/classic-protocol.ts has the rules).
 *
 * The response waits until the group's rebalance completes (every member rejoined, or the rebalance
 * timeout); v4+ members without an id get MEMBER_ID_REQUIRED first (KIP-394); static members
 * (v5+, KIP-345). v0 has no rebalance timeout: the session timeout is used, as Kafka does.
 * Omitted: `skip_assignment` (v9; only for KIP-848 brokers' upgrade path, always false here).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { joinGroup } from "../group/classic-in-consumer-group.js";

export default defineHandler({
  apiKey: ApiKey.JoinGroup,
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, req) {
    const deferred = await ctx.groups.run(req.groupId, (s) => joinGroup(s, {
      groupId: req.groupId,
      sessionTimeoutMs: req.sessionTimeoutMs,
      rebalanceTimeoutMs: ctx.apiVersion >= 1 ? req.rebalanceTimeoutMs : req.sessionTimeoutMs,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      protocolType: req.protocolType,
      protocols: req.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      reason: req.reason,
      clientId: ctx.header.clientId ?? "",
      clientHost: ctx.clientHost,
      apiVersion: ctx.apiVersion,
    }));
    const r = await deferred!.wait;
    if (r.errorCode !== ErrorCode.NONE && r.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) ctx.log.debug({ group: req.groupId, member: req.memberId, errorCode: r.errorCode }, "join rejected");
    // ProtocolName is nullable only from v7; older versions carry "" for "none chosen".
    return { throttleTimeMs: 0, ...r, protocolName: r.protocolName ?? (ctx.apiVersion >= 7 ? null : "") };
  },
  errorResponse(req, errorCode, apiVersion) {
    return { errorCode, generationId: -1, protocolName: apiVersion >= 7 ? null : "", leader: "", memberId: req.memberId, members: [] };
  },
});
