/**
 * InitProducerId (key 22), v0–5.
 *
 * Behaviour: without a transactional id, every call allocates a new producer id with epoch 0, as
 * Kafka does for idempotent producers (also when v3+ passes its current id/epoch: KIP-360's bump
 * for a non-transactional producer is a fresh id). Ids come from a counter persisted in the data
 * directory before an id is handed out, so they are never reused across restarts.
 * With a transactional id: the transaction coordinator (txn/txn-shard.ts): the first call creates the
 * id's metadata, each call bumps the epoch (fencing an older producer of the same id: its requests
 * get PRODUCER_FENCED), an open transaction is aborted first (CONCURRENT_TRANSACTIONS: retry),
 * an exhausted epoch rotates the producer id; `transaction_timeout_ms` must be in
 * 1..`transaction.max.timeout.ms` (INVALID_TRANSACTION_TIMEOUT); an empty id → INVALID_REQUEST.
 * PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before v4 (KIP-588).
 * v6 (KIP-939, two-phase commit) is not advertised: Kafka 4.4 marks it unstable and advertises
 * 0–5 too (a v6 request closes the connection on both).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { fencedFor } from "../txn/txn-versions.js";

export default defineHandler({
  apiKey: ApiKey.InitProducerId,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    if (req.transactionalId !== null) {
      const expected = req.producerId >= 0n ? { producerId: Number(req.producerId), epoch: req.producerEpoch } : null;
      const r = await ctx.txns.initProducerId(req.transactionalId, req.transactionTimeoutMs, expected);
      if (r.errorCode !== ErrorCode.NONE || !r.metadata) {
        ctx.log.debug({ transactionalId: req.transactionalId, errorCode: r.errorCode, why: r.message }, "InitProducerId refused");
        return { throttleTimeMs: 0, errorCode: fencedFor(r.errorCode, ctx.apiVersion, 4), producerId: -1n, producerEpoch: -1 };
      }
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: BigInt(r.metadata.producerId), producerEpoch: r.metadata.producerEpoch };
    }
    const producerId = BigInt(await ctx.producerIds.allocateProducerId());
    ctx.log.debug({ producerId: producerId.toString() }, "new producer id");
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId, producerEpoch: 0 };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, producerId: -1n, producerEpoch: -1 };
  },
});
