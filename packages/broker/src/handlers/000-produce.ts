/**
 * Produce (key 0), advertised v0–13, served v3–13 (v0–2 are advertised only because librdkafka
 * before 2.11.1 needs Produce min 0 to enable compression, KAFKA-18659; like Kafka since KIP-896 a
 * v0–2 request closes the connection). v13 (KIP-516) addresses topics by id instead of name: an
 * unknown id → UNKNOWN_TOPIC_ID on each of its partitions, and the response names topics by id
 * (name ""), as Kafka 4.4 answers.
 *
 * Behaviour, per partition, in request order:
 *  - acks must be -1, 0 or 1 (else INVALID_REQUIRED_ACKS everywhere); acks=0 gets no response.
 *    acks=-1 with `min.insync.replicas` above 1 → NOT_ENOUGH_REPLICAS (the ISR is this broker).
 *  - unknown topic or partition → UNKNOWN_TOPIC_OR_PARTITION (Produce never auto-creates).
 *  - an internal topic (`__consumer_offsets`, `__transaction_state`, `__share_group_state`; Kafka's
 *    Topic.isInternal) → INVALID_TOPIC_EXCEPTION on each of its partitions, without a message, unless
 *    the client id is `__admin_client` (Kafka's one exception); the coordinators write there directly.
 *  - `records` must be exactly one RecordBatch v2 (KIP-896 / Kafka's v3+ rule): magic 0/1 →
 *    UNSUPPORTED_FOR_MESSAGE_FORMAT, any other magic, a length that does not fit or a bad CRC-32C →
 *    CORRUPT_MESSAGE, more than one batch → INVALID_RECORD, a batch above the topic's
 *    `max.message.bytes` → MESSAGE_TOO_LARGE.
 *  - CreateTime timestamps out of `message.timestamp.before.max.ms` / `after.max.ms`, and records
 *    without a key on a compacted topic: the batch is rejected with one record error per bad record
 *    (KIP-467; `recordErrors` and `errorMessage` from v8, the error code alone before).
 *    LogAppendTime (`message.timestamp.type`): the batch is stamped with the broker's clock
 *    (attribute bit 3 + max timestamp, CRC rewritten) and that time is returned.
 *  - idempotent batches (producer id >= 0): the partition's producer state decides: duplicate of one
 *    of the last five batches → success with the original base offset; sequence gap →
 *    OUT_OF_ORDER_SEQUENCE_NUMBER; older epoch → INVALID_PRODUCER_EPOCH.
 *  - the batch is stored exactly as sent, except its base offset and partition leader epoch.
 *  - compacted topics, timestamps possibly out of range, and a topic `compression.type`
 *    other than the batch's codec: records checked one by one and the batch recompressed.
 *  - transactional batches: admitted only into the producer's open transaction (see `verifier`); a
 *    control batch from a client is refused by the log (markers come from the coordinator only).
 * Omitted (see SKIPPED.md): throttling.
 * Every check of the batch itself (shape, size, CRC, counts, records, timestamps, keys, producer state)
 * is the log's (`@odradek/storage`'s log-validator.ts and record-validator.ts), which also assigns
 * offsets, applies LogAppendTime and `flush.messages`; this handler checks the request (acks, topic,
 * partition, min.insync.replicas), hands the batch over and maps the result (storage-errors.ts). The
 * response is sent once the append is in the log (and synced when asked).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import type { ProduceResponsePartitionProduceResponseInput, ProduceRequest } from "@odradek/codec";
import type { TransactionVerifier } from "@odradek/storage";
import { defineHandler } from "../registry.js";
import type { RequestContext } from "../registry.js";
import type { Topic } from "../topic-registry.js";
import { topicPartitionKey } from "../txn/txn-records.js";
import { transactionVersion } from "../txn/txn-versions.js";
import { appendErrorCode, errorName, storageFault } from "../storage-errors.js";

type PartitionResult = ProduceResponsePartitionProduceResponseInput;

/** Kafka's Topic.INTERNAL_TOPICS: clients cannot produce to them. */
const INTERNAL_TOPICS = new Set(["__consumer_offsets", "__transaction_state", "__share_group_state"]);
/** Kafka's AdminUtils.ADMIN_CLIENT_ID, the one client id whose produce requests may write internal topics. */
const ADMIN_CLIENT_ID = "__admin_client";

function fail(index: number, errorCode: number, errorMessage: string | null = null): PartitionResult {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage };
}

/** min.insync.replicas above 1 cannot be met: the ISR is this broker (Kafka's NotEnoughReplicasException text). */
function notEnoughReplicas(ctx: Pick<RequestContext, "config">, topic: Topic, index: number): PartitionResult | null {
  const min = Number(ctx.config.topicValue("min.insync.replicas", topic.configs));
  return min > 1 ? fail(index, ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR 1 is insufficient to satisfy the min.isr requirement of ${min}`) : null;
}

/**
 * A transactional batch is admitted only into the producer's open transaction: under transactions
 * version 1 the partition must have been added (AddPartitionsToTxn; KIP-890 part 1 verification, when
 * `transaction.partition.verification.enable`), under version 2 (v12+) it is added here. Errors as
 * Kafka's produce path maps them: fenced or unknown producer → INVALID_PRODUCER_EPOCH, the previous
 * transaction still completing → NOT_ENOUGH_REPLICAS (retriable for every client), not in the
 * transaction → INVALID_TXN_STATE.
 */
function verifier(ctx: RequestContext, transactionalId: string | null, topic: string, partition: number): TransactionVerifier {
  const tv = transactionVersion(ctx.features, 12, ctx.apiVersion);
  return async (h) => {
    if (transactionalId === null) return { error: "TRANSACTIONAL_ID_AUTHORIZATION_FAILED", errorMessage: "a transactional batch needs the request's transactional id" };
    const tp = topicPartitionKey(topic, partition);
    let r;
    if (tv >= 2) r = await ctx.txns.addPartitions(transactionalId, h.producerId, h.producerEpoch, [tp], tv);
    else if (ctx.config.bool("transaction.partition.verification.enable")) r = await ctx.txns.verify(transactionalId, h.producerId, h.producerEpoch, tp);
    else return null;
    const refused = (code: number) => (r.message === undefined ? { error: errorName(code) } : { error: errorName(code), errorMessage: r.message });
    switch (r.errorCode) {
      case ErrorCode.NONE: return null;
      case ErrorCode.PRODUCER_FENCED:
      case ErrorCode.INVALID_PRODUCER_ID_MAPPING: return refused(ErrorCode.INVALID_PRODUCER_EPOCH);
      case ErrorCode.CONCURRENT_TRANSACTIONS:
      case ErrorCode.COORDINATOR_NOT_AVAILABLE: return refused(ErrorCode.NOT_ENOUGH_REPLICAS);
      default: return refused(r.errorCode);
    }
  };
}

async function appendPartition(ctx: RequestContext, topic: Topic, index: number, records: Buffer | null, acks: number, transactionalId: string | null): Promise<PartitionResult> {
  const p = topic.partitions[index];
  if (!p) return fail(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  if (acks === -1) {
    const refused = notEnoughReplicas(ctx, topic, index);
    if (refused) return refused;
  }
  // No copy: the log patches offsets in place in the request's own bytes (the frame is a view on a
  // buffer that belongs to this connection's read and is never reused for other data).
  try {
    const r = await p.log.append(records ?? EMPTY, { leaderEpoch: p.leaderEpoch, origin: "client", verifyTransaction: verifier(ctx, transactionalId, topic.name, index) });
    if (r.error === undefined) return { index, errorCode: ErrorCode.NONE, baseOffset: BigInt(r.baseOffset), logAppendTimeMs: BigInt(r.logAppendTime), logStartOffset: BigInt(r.logStartOffset) };
    const failed = fail(index, appendErrorCode(r.error), r.errorMessage ?? null);
    // Kafka's RecordValidationException: with the log start offset and the record errors (KIP-467).
    return r.recordErrors ? { ...failed, logStartOffset: BigInt(r.logStartOffset), recordErrors: r.recordErrors } : failed;
  } catch (e) {
    const fault = storageFault(e);
    if (fault) return fail(index, fault.errorCode, fault.message);
    throw e;
  }
}

const EMPTY = Buffer.alloc(0);

function errorAll(req: ProduceRequest, errorCode: number, message: string | null = null) {
  return {
    responses: req.topicData.map((t) => ({ name: t.name, topicId: t.topicId, partitionResponses: t.partitionData.map((pd) => fail(pd.index, errorCode, message)) })),
  };
}

/** v13+ names topics by id (the name is "" on the wire both ways); older versions by name. */
const TOPIC_IDS_FROM = 13;

export default defineHandler({
  apiKey: ApiKey.Produce,
  minVersion: 0,
  acceptMin: 3,
  maxVersion: 13,
  async handle(ctx, req) {
    if (req.acks !== -1 && req.acks !== 0 && req.acks !== 1) {
      return req.acks === 0 ? null : errorAll(req, ErrorCode.INVALID_REQUIRED_ACKS);
    }
    // Partitions append concurrently; each partition's log keeps its own appends in order.
    const byId = ctx.apiVersion >= TOPIC_IDS_FROM;
    const responses = await Promise.all(req.topicData.map(async (td) => {
      const topic = byId ? ctx.topics.topicById(td.topicId) : ctx.topics.topic(td.name);
      const unknown = byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      return {
        name: td.name,
        topicId: td.topicId,
        partitionResponses: await Promise.all(td.partitionData.map(async (pd) => {
          if (!topic) return fail(pd.index, unknown);
          if (INTERNAL_TOPICS.has(topic.name) && ctx.header.clientId !== ADMIN_CLIENT_ID) {
            ctx.log.debug({ topic: topic.name, partition: pd.index }, "produce to an internal topic refused");
            return fail(pd.index, ErrorCode.INVALID_TOPIC_EXCEPTION);
          }
          const r = await appendPartition(ctx, topic, pd.index, pd.records, req.acks, req.transactionalId);
          if (r.errorCode === ErrorCode.NONE) ctx.delayedFetches.notifyAppend(topic.name, pd.index);
          else ctx.log.debug({ topic: topic.name, partition: pd.index, errorCode: r.errorCode, msg: r.errorMessage }, "produce rejected");
          return r;
        })),
      };
    }));
    if (req.acks === 0) return null;
    return { responses, throttleTimeMs: 0 };
  },
  errorResponse(req, errorCode) {
    return req.acks === 0 ? null : errorAll(req, errorCode);
  },
});
