/**
 * AddPartitionsToTxn (key 24), v0–5: v0–3 the client's form (one transaction), v4+ the batched form
 * brokers send (several transactions, `verify_only`).
 *
 * Behaviour (Kafka's): every partition must exist, else UNKNOWN_TOPIC_OR_PARTITION for those and
 * OPERATION_NOT_ATTEMPTED for the rest of the transaction; then the transaction coordinator adds
 * them (opening the transaction: Ongoing) with its checks — INVALID_PRODUCER_ID_MAPPING (unknown id
 * or another producer id), PRODUCER_FENCED (INVALID_PRODUCER_EPOCH before v2), CONCURRENT_TRANSACTIONS
 * while the previous transaction's markers are written; the error is given to every partition.
 * `verify_only`: no change, each partition NONE when it is in the open transaction, else
 * INVALID_TXN_STATE (KIP-890 part 1, what Produce's verification asks).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import type { RequestContext } from "../registry.js";
import { topicPartitionKey } from "../txn/txn-records.js";
import { fencedFor, transactionVersion } from "../txn/txn-versions.js";

type Topics = { name: string; partitions: number[] }[];
type TopicResults = { name: string; resultsByPartition: { partitionIndex: number; partitionErrorCode: number }[] }[];

const each = (topics: Topics, code: (topic: string, p: number) => number): TopicResults =>
  topics.map((t) => ({ name: t.name, resultsByPartition: t.partitions.map((p) => ({ partitionIndex: p, partitionErrorCode: code(t.name, p) })) }));

async function addOne(ctx: RequestContext, txn: { transactionalId: string; producerId: bigint; producerEpoch: number; verifyOnly: boolean; topics: Topics }): Promise<TopicResults> {
  const exists = (topic: string, p: number) => {
    const t = ctx.topics.topic(topic);
    return t !== undefined && p >= 0 && p < t.partitions.length;
  };
  if (txn.topics.some((t) => t.partitions.some((p) => !exists(t.name, p)))) {
    return each(txn.topics, (t, p) => (exists(t, p) ? ErrorCode.OPERATION_NOT_ATTEMPTED : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  }
  const pid = Number(txn.producerId);
  if (txn.verifyOnly) {
    const codes = new Map<string, number>();
    for (const t of txn.topics) {
      for (const p of t.partitions) {
        const r = await ctx.txns.verify(txn.transactionalId, pid, txn.producerEpoch, topicPartitionKey(t.name, p));
        codes.set(topicPartitionKey(t.name, p), r.errorCode);
      }
    }
    return each(txn.topics, (t, p) => codes.get(topicPartitionKey(t, p))!);
  }
  const keys = txn.topics.flatMap((t) => t.partitions.map((p) => topicPartitionKey(t.name, p)));
  const r = await ctx.txns.addPartitions(txn.transactionalId, pid, txn.producerEpoch, keys, transactionVersion(ctx.features, Infinity, ctx.apiVersion));
  if (r.errorCode !== ErrorCode.NONE) ctx.log.debug({ transactionalId: txn.transactionalId, errorCode: r.errorCode, why: r.message }, "AddPartitionsToTxn refused");
  const code = fencedFor(r.errorCode, ctx.apiVersion, 2);
  return each(txn.topics, () => code);
}

export default defineHandler({
  apiKey: ApiKey.AddPartitionsToTxn,
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, req) {
    if (ctx.apiVersion < 4) {
      const results = await addOne(ctx, {
        transactionalId: req.v3AndBelowTransactionalId, producerId: req.v3AndBelowProducerId, producerEpoch: req.v3AndBelowProducerEpoch,
        verifyOnly: false, topics: req.v3AndBelowTopics,
      });
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction: [], resultsByTopicV3AndBelow: results };
    }
    const resultsByTransaction = [];
    for (const t of req.transactions) resultsByTransaction.push({ transactionalId: t.transactionalId, topicResults: await addOne(ctx, t) });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, resultsByTransaction, resultsByTopicV3AndBelow: [] };
  },
  errorResponse(req, errorCode, apiVersion) {
    if (apiVersion < 4) return { resultsByTopicV3AndBelow: each(req.v3AndBelowTopics, () => errorCode) };
    return { errorCode, resultsByTransaction: [] };
  },
});
