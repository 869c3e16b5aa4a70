/**
 * EndTxn (key 26), v0–5.
 *
 * Behaviour (Kafka's endTransaction, txn/txn-shard.ts): commit or abort the open transaction: the
 * PrepareCommit/PrepareAbort record is durable before the answer, then markers go to every partition
 * of the transaction and the transaction completes. A retry of a finished commit/abort is answered
 * NONE; the other outcome → INVALID_TXN_STATE; one in progress → CONCURRENT_TRANSACTIONS; no open
 * transaction → INVALID_TXN_STATE; a wrong producer id → INVALID_PRODUCER_ID_MAPPING; an old epoch →
 * PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2). v5 under transactions version 2 (KIP-890):
 * the epoch is bumped at every end and the new producer id/epoch are returned.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { fencedFor, transactionVersion } from "../txn/txn-versions.js";

export default defineHandler({
  apiKey: ApiKey.EndTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    const r = await ctx.txns.endTxn(req.transactionalId, Number(req.producerId), req.producerEpoch, req.committed, transactionVersion(ctx.features, 5, ctx.apiVersion));
    if (r.errorCode !== ErrorCode.NONE || !r.metadata) {
      ctx.log.debug({ transactionalId: req.transactionalId, errorCode: r.errorCode, why: r.message }, "EndTxn refused");
      return { throttleTimeMs: 0, errorCode: fencedFor(r.errorCode, ctx.apiVersion, 2), producerId: -1n, producerEpoch: -1 };
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: BigInt(r.metadata.producerId), producerEpoch: r.metadata.producerEpoch };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, producerId: -1n, producerEpoch: -1 };
  },
});
