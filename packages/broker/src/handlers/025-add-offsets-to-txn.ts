/**
 * AddOffsetsToTxn (key 25), v0–4.
 *
 * Behaviour (Kafka's): adds the group's `__consumer_offsets` partition to the open transaction (or
 * opens one), so that the TxnOffsetCommit that follows commits with the transaction; the same checks
 * as AddPartitionsToTxn (INVALID_PRODUCER_ID_MAPPING, PRODUCER_FENCED — INVALID_PRODUCER_EPOCH before
 * v2 —, CONCURRENT_TRANSACTIONS while the previous transaction completes); an empty group id →
 * INVALID_GROUP_ID.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { GROUP_METADATA_TOPIC } from "../group/group-coordinator.js";
import { topicPartitionKey } from "../txn/txn-records.js";
import { fencedFor, transactionVersion } from "../txn/txn-versions.js";

export default defineHandler({
  apiKey: ApiKey.AddOffsetsToTxn,
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, req) {
    if (req.groupId === "") return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_GROUP_ID };
    await ctx.groups.ensureReady();
    const tp = topicPartitionKey(GROUP_METADATA_TOPIC, ctx.groups.partitionFor(req.groupId));
    const r = await ctx.txns.addPartitions(req.transactionalId, Number(req.producerId), req.producerEpoch, [tp], transactionVersion(ctx.features, Infinity, ctx.apiVersion));
    if (r.errorCode !== ErrorCode.NONE) ctx.log.debug({ transactionalId: req.transactionalId, errorCode: r.errorCode, why: r.message }, "AddOffsetsToTxn refused");
    return { throttleTimeMs: 0, errorCode: fencedFor(r.errorCode, ctx.apiVersion, 2) };
  },
  errorResponse(_req, errorCode) {
    return { errorCode };
  },
});
