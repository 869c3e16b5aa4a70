/**
 * FindCoordinator (key 10), v0–6 (v4+ batches keys).
 *
 * Behaviour: key type 0 (group) → this broker, once `__consumer_offsets` exists (it is created on the
 * first request, as Kafka does) and its partitions are loaded; an empty group id → INVALID_REQUEST.
 * Key type 1 (transaction) → this broker once `__transaction_state` exists (created on the first
 * request, as Kafka does) and is loaded; an empty transactional id → INVALID_REQUEST. Key type 2 (share) → INVALID_REQUEST (share
 * groups not built); any other key type → INVALID_REQUEST.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import type { RequestContext } from "../registry.js";

const GROUP = 0;
const TRANSACTION = 1;

async function find(ctx: RequestContext, key: string, keyType: number): Promise<{ errorCode: number; errorMessage: string | null }> {
  if (keyType === TRANSACTION) {
    if (key === "") return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "the transactional id is empty" };
    await ctx.txns.ensureReady();
    return { errorCode: ErrorCode.NONE, errorMessage: null };
  }
  if (keyType !== GROUP) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `key type ${keyType} is not supported (share groups are not built yet)` };
  if (key === "") return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "the group id is empty" };
  await ctx.groups.ensureReady();
  return { errorCode: ErrorCode.NONE, errorMessage: null };
}

export default defineHandler({
  apiKey: ApiKey.FindCoordinator,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req) {
    const node = { nodeId: ctx.node.nodeId, host: ctx.node.advertised.host, port: ctx.node.advertised.port };
    const none = { nodeId: -1, host: "", port: -1 };
    if (ctx.apiVersion >= 4) {
      const coordinators = [];
      for (const key of req.coordinatorKeys) {
        const r = await find(ctx, key, req.keyType);
        coordinators.push({ key, ...(r.errorCode === ErrorCode.NONE ? node : none), ...r });
      }
      return { throttleTimeMs: 0, coordinators };
    }
    const r = await find(ctx, req.key, req.keyType);
    return { throttleTimeMs: 0, ...(r.errorCode === ErrorCode.NONE ? node : none), ...r };
  },
  errorResponse(req, errorCode, apiVersion) {
    if (apiVersion >= 4) return { coordinators: req.coordinatorKeys.map((key) => ({ key, nodeId: -1, host: "", port: -1, errorCode })) };
    return { errorCode, nodeId: -1, host: "", port: -1 };
  },
});
