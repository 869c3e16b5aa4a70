/**
 * The part of Kafka's LogValidator that needs the records inside a batch, and recompression; run by
 * UnifiedLog.append for appends from clients (AppendOrigin "client") before they queue, on batches
 * log-validator.ts has already checked (whole, CRC-32C, counts).
 *
 * When it runs (the rest of the time the batch is stored as sent, untouched: the produce hot path
 * treats batches as opaque bytes, STYLE 8, where Kafka also reads every compressed batch):
 *  - the topic is compacted (`cleanup.policy` contains compact): every record needs a key;
 *  - CreateTime, and the records' max timestamp (the header's when it is plausible) is more than
 *    `message.timestamp.after.max.ms` ahead, or the topic sets `message.timestamp.before.max.ms`
 *    (see timestampsSuspect);
 *  - the topic's `compression.type` names a codec (not `producer`) other than the batch's: the batch
 *    is rebuilt with that codec (`uncompressed` = none), keeping producer id, epoch, base sequence,
 *    transactional flag, base timestamp, and every record's timestamp, key, value and headers.
 *
 *  - the topic is LogAppendTime and so is the batch (producers may not set it).
 *
 * Record errors (KIP-467, Produce v8+ `recordErrors`): every record is checked and each bad one gives
 * one `{batchIndex, batchIndexErrorMessage}` (a missing key on a compacted topic, else a CreateTime
 * timestamp out of range or a producer's LogAppendTime), in batch order; any of them rejects the whole batch. The partition's error
 * is INVALID_TIMESTAMP when a timestamp is among them, else INVALID_RECORD, with Kafka 4.4's texts
 * (checked against a real 4.4 broker). Other checks: a record count that disagrees with the header
 * (INVALID_RECORD), bytes that decompress and decode (CORRUPT_MESSAGE), and after recompression the
 * new size within `max.message.bytes` (MESSAGE_TOO_LARGE).
 * Offset deltas other than 0, 1, 2, … are not an error, as in Kafka 4.4 (it keeps an uncompressed
 * batch as sent; its rewrite of such a compressed batch fails with UNKNOWN_SERVER_ERROR): the batch is
 * stored as sent, and a recompressed one is renumbered 0, 1, 2, ….
 */
import {
  CompressionCodec,
  CorruptRecordError,
  TimestampType,
  batchRecordTimestamps,
  buildRecordBatchAsync,
  compressionOf,
  isTransactional,
  readRecordsAsync,
  timestampType,
} from "@odradek/codec";
import type { KafkaRecord, RecordBatchHeader } from "@odradek/codec";
import type { LogConfig } from "./log-config.js";

const CODEC_BY_NAME: Record<string, number> = {
  uncompressed: CompressionCodec.none,
  gzip: CompressionCodec.gzip,
  snappy: CompressionCodec.snappy,
  lz4: CompressionCodec.lz4,
  zstd: CompressionCodec.zstd,
};

/** What the record checks read: the log's config as of the append, and the clock. */
export interface ValidationPolicy {
  compacted: boolean;
  /** The topic's `compression.type`. */
  compressionType: string;
  /** CreateTime limits in ms; ignored for LogAppendTime topics. */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  logAppendTime: boolean;
  maxMessageBytes: number;
  nowMs: number;
}

export function validationPolicy(config: LogConfig, nowMs: number): ValidationPolicy {
  return {
    compacted: config.cleanupPolicy.includes("compact"),
    compressionType: config.compressionType,
    timestampBeforeMaxMs: config.messageTimestampBeforeMaxMs,
    timestampAfterMaxMs: config.messageTimestampAfterMaxMs,
    logAppendTime: config.messageTimestampType === "LogAppendTime",
    maxMessageBytes: config.maxMessageBytes,
    nowMs,
  };
}

/** One rejected record of a batch, as Produce v8+ reports it. */
export interface RecordError {
  batchIndex: number;
  batchIndexErrorMessage: string;
}

/** The batch to store (the one given or its recompressed copy), or the append's error (Kafka's name). */
export type Validated = { batch: Buffer } | { error: RecordValidationError; message: string; recordErrors?: RecordError[] };
export type RecordValidationError = "INVALID_TIMESTAMP" | "INVALID_RECORD" | "CORRUPT_MESSAGE" | "MESSAGE_TOO_LARGE";

const LONG_MAX = 2n ** 63n - 1n;
/** A long config read as a number, back to Kafka's exact long (only Long.MAX_VALUE is above 2^53 in practice). */
const asLong = (ms: number): bigint => (ms >= 2 ** 63 ? LONG_MAX : BigInt(ms));
/** Java's wrapping long arithmetic, for the bounds Kafka prints. */
const javaLong = (v: bigint): bigint => BigInt.asIntN(64, v);

/**
 * Whether a CreateTime timestamp may be out of range. A real client's header max timestamp bounds every
 * record from above, so `after.max.ms` (default 1 h) costs nothing; a header that cannot be a real
 * client's (librdkafka's max of 0 over records without a timestamp, a base below 0, a max below the
 * base) bounds nothing, and then the records' max is read (a varint walk when uncompressed, the same
 * rule as log-validator.ts's recordsMaxTimestamp). Nothing in the header bounds them from below (the base timestamp
 * is the first record's, deltas may be negative), so a `before.max.ms` other than its default
 * Long.MAX_VALUE has every batch read, as Kafka reads every batch.
 */
function timestampsSuspect(batch: Buffer, h: RecordBatchHeader, policy: ValidationPolicy): boolean {
  if (policy.logAppendTime) return false;
  if (asLong(policy.timestampBeforeMaxMs) !== LONG_MAX) return true;
  const plausible = h.baseTimestamp >= 0 && h.maxTimestamp > 0 && h.maxTimestamp >= h.baseTimestamp;
  let max = h.maxTimestamp;
  if (!plausible) {
    try {
      max = batchRecordTimestamps(batch, h).maxTimestamp;
    } catch {
      return true; // validateRecords reports it
    }
  }
  return max - policy.nowMs > policy.timestampAfterMaxMs;
}

/** The codec the topic wants for this batch, or null to keep the producer's. */
function targetCodec(h: RecordBatchHeader, compressionType: string): number | null {
  const codec = CODEC_BY_NAME[compressionType];
  return codec === undefined || codec === compressionOf(h.attributes) ? null : codec;
}

/** Whether `validateRecords` has anything to do for this batch (the common case is no). */
export function needsRecordValidation(batch: Buffer, h: RecordBatchHeader, policy: ValidationPolicy): boolean {
  return policy.compacted || timestampsSuspect(batch, h, policy) || targetCodec(h, policy.compressionType) !== null ||
    (policy.logAppendTime && timestampType(h.attributes) === TimestampType.LogAppendTime);
}

/**
 * Kafka's per-record checks over the whole batch: null when every record passes, else the
 * partition's error with one record error per bad record.
 */
function recordErrors(records: KafkaRecord[], h: RecordBatchHeader, policy: ValidationPolicy, topicPartition: string): Validated | null {
  const logAppendTimeBatch = timestampType(h.attributes) === TimestampType.LogAppendTime;
  const now = policy.nowMs;
  let errors: RecordError[] | null = null;
  let anyTimestamp = false;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    let message: string | null = null;
    if (policy.compacted && r.key === null) {
      message = `Compacted topic cannot accept message without key in topic partition ${topicPartition}`;
    } else {
      // a LogAppendTime batch's records all carry its max timestamp
      const ts = logAppendTimeBatch ? h.maxTimestamp : h.baseTimestamp + r.timestampDelta;
      if (policy.logAppendTime || ts === -1) {
        if (logAppendTimeBatch) {
          message = `Invalid timestamp type in message DefaultRecord(offset=${h.baseOffset + r.offsetDelta}, timestamp=${ts}, key=${r.key?.length ?? 0} bytes, value=${r.value?.length ?? 0} bytes). Producer should not set timestamp type to LogAppendTime.`;
          anyTimestamp = true;
        }
      } else if (now - ts > policy.timestampBeforeMaxMs || ts - now > policy.timestampAfterMaxMs) {
        const from = javaLong(BigInt(now) - asLong(policy.timestampBeforeMaxMs));
        const to = javaLong(BigInt(now) + asLong(policy.timestampAfterMaxMs));
        message = `Timestamp ${ts} of message with offset ${h.baseOffset + r.offsetDelta} is out of range. The timestamp should be within [${from}, ${to}]`;
        anyTimestamp = true;
      }
    }
    if (message !== null) (errors ??= []).push({ batchIndex: i, batchIndexErrorMessage: message });
  }
  if (errors === null) return null;
  if (anyTimestamp) return { error: "INVALID_TIMESTAMP", message: "One or more records have been rejected due to invalid timestamp", recordErrors: errors };
  const shown = errors.slice(0, 3).map((e) => `RecordError(batchIndex=${e.batchIndex}, message='${e.batchIndexErrorMessage}')`);
  return {
    error: "INVALID_RECORD",
    message: `One or more records have been rejected due to ${errors.length} record errors in total, and only showing the first three errors at most: [${shown.join(", ")}]`,
    recordErrors: errors,
  };
}

/**
 * Validates the records of one whole, CRC-checked batch of `topicPartition` ("name-index", for
 * Kafka's messages); returns it (or its recompressed copy) or an error.
 */
export async function validateRecords(batch: Buffer, h: RecordBatchHeader, policy: ValidationPolicy, topicPartition: string): Promise<Validated> {
  let records: KafkaRecord[];
  try {
    records = await readRecordsAsync(batch);
  } catch (e) {
    if (e instanceof CorruptRecordError) return { error: "CORRUPT_MESSAGE", message: e.message };
    throw e;
  }
  if (records.length !== h.recordCount) return { error: "INVALID_RECORD", message: `the batch holds ${records.length} records, its header says ${h.recordCount}` };
  const rejected = recordErrors(records, h, policy, topicPartition);
  if (rejected) return rejected;
  const codec = targetCodec(h, policy.compressionType);
  if (codec === null) return { batch };
  const rebuilt = await buildRecordBatchAsync({
    records: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: h.baseTimestamp + r.timestampDelta })),
    compression: codec,
    timestampType: timestampType(h.attributes),
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    transactional: isTransactional(h.attributes),
    baseTimestamp: h.baseTimestamp,
  });
  if (rebuilt.length > policy.maxMessageBytes) {
    return { error: "MESSAGE_TOO_LARGE", message: `The record batch is ${rebuilt.length} bytes after recompression, above max.message.bytes ${policy.maxMessageBytes}` };
  }
  return { batch: rebuilt };
}
