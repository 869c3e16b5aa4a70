/**
 * Heartbeat (key 12), v0–4: keeps a classic group member's session alive (group/classic-protocol.ts):
 * UNKNOWN_MEMBER_ID, ILLEGAL_GENERATION, FENCED_INSTANCE_ID as Kafka; REBALANCE_IN_PROGRESS while
 * the group prepares a rebalance (the member must rejoin).
 */
import { ApiKey } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { heartbeatGroup } from "../group/classic-in-consumer-group.js";

export default defineHandler({
  apiKey: ApiKey.Heartbeat,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    const errorCode = await ctx.groups.run(req.groupId, (s) => heartbeatGroup(s, req));
    return { throttleTimeMs: 0, errorCode: errorCode! };
  },
  errorResponse(_req, errorCode) {
    return { errorCode };
  },
});
