/**
 * InitProducerId (key 22), v0–5.
 *
 * Behaviour: without a transactional id, every call allocates a new producer id with epoch 0, as
 * Kafka does for idempotent producers (also when v3+ passes its current id/epoch: KIP-360's bump
 * for a non-transactional producer is a fresh id). Ids come from a counter persisted in the data
 * directory before an id is handed out, so they are never reused across restarts.
 * With a transactional id → TRANSACTIONAL_ID_AUTHORIZATION_FAILED (transactions not built yet; a
 * fatal error in clients, instead of a retriable one that would retry forever).
 * v6 (KIP-939, two-phase commit) is not advertised: Kafka 4.4 marks it unstable and advertises
 * 0–5 too (a v6 request closes the connection on both).
 * Omitted: transactions (see SKIPPED.md), `transaction_timeout_ms`.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";

export default defineHandler({
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    if (req.transactionalId !== null) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    const producerId = await ctx.broker.allocateProducerId();
    ctx.log.debug({ producerId: producerId.toString() }, "new producer id");
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, producerId: -1n, producerEpoch: -1 };
  },
});
