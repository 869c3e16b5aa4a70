/**
 * DescribeClientQuotas (key 48), v0–1.
 *
 * Behaviour (Kafka 4.4's, probed 2026-12-02; client-quotas.ts): the quota entities matching the
 * filter, each with its quotas. A component matches one entity type: EXACT a name, DEFAULT the
 * default entity, SPECIFIED any name or the default; `strict` leaves out entities with other types
 * too. An invalid filter answers with entries null and Kafka's message: INVALID_REQUEST (empty or
 * repeated type, a match string where none belongs or none where one does, an unknown match type,
 * IP together with user/client-id), UNSUPPORTED_VERSION for an unknown entity type. Success carries
 * the error message "" as Kafka's does. Entities in creation order, quota keys sorted (Kafka's order
 * is its hash maps').
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { DescribeError } from "../client-quotas.js";

export default defineHandler({
  apiKey: ApiKey.DescribeClientQuotas,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    try {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: "", entries: ctx.clientQuotas.describe(req) };
    } catch (e) {
      if (!(e instanceof DescribeError)) throw e;
      return { throttleTimeMs: 0, errorCode: e.errorCode, errorMessage: e.message, entries: null };
    }
  },
  errorResponse(_req, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, entries: null };
  },
});
