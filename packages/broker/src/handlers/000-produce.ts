/**
 * Produce (key 0), advertised v0–11, served v3–11 (v0–2 are advertised only because librdkafka
 * before 2.11.1 needs Produce min 0 to enable compression; like Kafka since KIP-896 a v0–2 request
 * closes the connection).
 *
 * Behaviour, per partition, in request order:
 *  - acks must be -1, 0 or 1 (else INVALID_REQUIRED_ACKS everywhere); acks=0 gets no response.
 *    acks=-1 with `min.insync.replicas` above 1 → NOT_ENOUGH_REPLICAS (the ISR is this broker).
 *  - unknown topic or partition → UNKNOWN_TOPIC_OR_PARTITION (Produce never auto-creates).
 *  - `records` must be exactly one RecordBatch v2 (KIP-896 / Kafka's v3+ rule): magic 0/1 →
 *    UNSUPPORTED_FOR_MESSAGE_FORMAT, any other magic, a length that does not fit or a bad CRC-32C →
 *    CORRUPT_MESSAGE, more than one batch → INVALID_RECORD, a batch above the topic's
 *    `max.message.bytes` → MESSAGE_TOO_LARGE.
 *  - CreateTime: a max timestamp more than `message.timestamp.after.max.ms` ahead, or a base
 *    timestamp more than `message.timestamp.before.max.ms` behind → INVALID_TIMESTAMP.
 *    LogAppendTime (`message.timestamp.type`): the batch is stamped with the broker's clock
 *    (attribute bit 3 + max timestamp, CRC rewritten) and that time is returned.
 *  - idempotent batches (producer id >= 0): the partition's producer state decides: duplicate of one
 *    of the last five batches → success with the original base offset; sequence gap →
 *    OUT_OF_ORDER_SEQUENCE_NUMBER; older epoch → INVALID_PRODUCER_EPOCH.
 *  - the batch is stored exactly as sent, except its base offset and partition leader epoch.
 * Omitted (see SKIPPED.md): transactional batches (INVALID_TXN_STATE until transactions exist);
 * recompression when the topic's `compression.type` is not `producer` (batches are kept as sent);
 * per-record validation inside compressed batches; throttling; `flush.messages`.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import type { ProduceResponsePartitionProduceResponseInput, ProduceRequest } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import type { Broker, Topic } from "../broker.js";
import { BATCH_HEADER_SIZE, LOG_OVERHEAD, MAGIC_OFFSET, batchCrcMatches, isTransactional, readBatchHeader, setLogAppendTime } from "../log/record-batch.js";

type PartitionResult = ProduceResponsePartitionProduceResponseInput;

function fail(index: number, errorCode: number, errorMessage: string | null = null): PartitionResult {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, errorMessage };
}

function appendPartition(b: Broker, topic: Topic, index: number, records: Buffer | null, acks: number): PartitionResult {
  const p = topic.partitions[index];
  if (!p) return fail(index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const cfg = (name: string) => b.config.topicValue(name, topic.configs)!;
  if (acks === -1 && Number(cfg("min.insync.replicas")) > 1) {
    return fail(index, ErrorCode.NOT_ENOUGH_REPLICAS, `The size of the current ISR 1 is insufficient to satisfy the min.isr requirement of ${cfg("min.insync.replicas")}`);
  }
  if (records === null || records.length < LOG_OVERHEAD + 5) return fail(index, ErrorCode.CORRUPT_MESSAGE, "records are missing or shorter than a batch header");
  const magic = records.readInt8(MAGIC_OFFSET);
  if (magic === 0 || magic === 1) return fail(index, ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT, `magic ${magic} is not supported`);
  if (magic !== 2) return fail(index, ErrorCode.CORRUPT_MESSAGE, `unknown magic ${magic}`);
  if (records.length < BATCH_HEADER_SIZE) return fail(index, ErrorCode.CORRUPT_MESSAGE, "record batch shorter than its header");
  const size = LOG_OVERHEAD + records.readInt32BE(8);
  if (size < BATCH_HEADER_SIZE || size > records.length) return fail(index, ErrorCode.CORRUPT_MESSAGE, "record batch length does not fit");
  if (size !== records.length) return fail(index, ErrorCode.INVALID_RECORD, "Produce requests with version 3 and above may contain exactly one record batch");
  if (size > Number(cfg("max.message.bytes"))) {
    return fail(index, ErrorCode.MESSAGE_TOO_LARGE, `The record batch of ${size} bytes exceeds max.message.bytes ${cfg("max.message.bytes")}`);
  }
  if (!batchCrcMatches(records)) return fail(index, ErrorCode.CORRUPT_MESSAGE, "record batch CRC does not match");
  const h = readBatchHeader(records);
  if (h.recordCount <= 0 || h.lastOffsetDelta < 0) return fail(index, ErrorCode.INVALID_RECORD, "record batch holds no records");
  if (isTransactional(h)) return fail(index, ErrorCode.INVALID_TXN_STATE, "transactions are not supported yet");
  const now = BigInt(Date.now());
  const logAppendTime = cfg("message.timestamp.type") === "LogAppendTime";
  if (!logAppendTime) {
    const after = BigInt(cfg("message.timestamp.after.max.ms"));
    const before = BigInt(cfg("message.timestamp.before.max.ms"));
    if (h.maxTimestamp - now > after || (h.baseTimestamp >= 0n && now - h.baseTimestamp > before)) {
      return fail(index, ErrorCode.INVALID_TIMESTAMP, "Timestamp of the batch is out of range (message.timestamp.before.max.ms / after.max.ms)");
    }
  }
  const seq = p.log.producerState.check(h);
  if (seq.kind === "error") return fail(index, seq.errorCode, seq.message);
  if (seq.kind === "duplicate") {
    return { index, errorCode: ErrorCode.NONE, baseOffset: seq.firstOffset, logAppendTimeMs: -1n, logStartOffset: p.log.logStartOffset };
  }
  // A private copy: the request frame is a view on the socket's buffer.
  const batch = Buffer.allocUnsafe(size);
  records.copy(batch, 0, 0, size);
  batch.writeInt32BE(p.leaderEpoch, 12); // partitionLeaderEpoch is outside the CRC
  if (logAppendTime) setLogAppendTime(batch, now);
  const { baseOffset } = p.log.append(batch);
  return { index, errorCode: ErrorCode.NONE, baseOffset, logAppendTimeMs: logAppendTime ? now : -1n, logStartOffset: p.log.logStartOffset };
}

function errorAll(req: ProduceRequest, errorCode: number, message: string | null = null) {
  return {
    responses: req.topicData.map((t) => ({ name: t.name, partitionResponses: t.partitionData.map((pd) => fail(pd.index, errorCode, message)) })),
  };
}

export default defineHandler({
  apiKey: ApiKey.Produce,
  minVersion: 0,
  acceptMin: 3,
  maxVersion: 11,
  handle(ctx, req) {
    const b = ctx.broker;
    if (req.acks !== -1 && req.acks !== 0 && req.acks !== 1) {
      return req.acks === 0 ? null : errorAll(req, ErrorCode.INVALID_REQUIRED_ACKS);
    }
    if (req.transactionalId !== null) {
      return req.acks === 0 ? null : errorAll(req, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, "transactions are not supported yet");
    }
    let appended = false;
    const responses = req.topicData.map((td) => {
      const topic = b.topic(td.name);
      return {
        name: td.name,
        partitionResponses: td.partitionData.map((pd) => {
          if (!topic) return fail(pd.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          const r = appendPartition(b, topic, pd.index, pd.records, req.acks);
          if (r.errorCode === ErrorCode.NONE) appended = true;
          else ctx.log.debug({ topic: td.name, partition: pd.index, errorCode: r.errorCode, msg: r.errorMessage }, "produce rejected");
          return r;
        }),
      };
    });
    if (appended) b.notifyAppend();
    if (req.acks === 0) return null;
    return { responses, throttleTimeMs: 0 };
  },
  errorResponse(req, errorCode) {
    return req.acks === 0 ? null : errorAll(req, errorCode);
  },
});
