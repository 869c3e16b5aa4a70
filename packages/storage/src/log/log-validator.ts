/**
 * Kafka's LogValidator (and UnifiedLog.analyzeAndValidateRecords): the one place a produced batch is
 * checked. Two steps, both run by UnifiedLog.append:
 *  1. analyzeAndValidateRecords, when the append arrives (synchronous, header and CRC only): per
 *     batch, magic 2 (0/1 → UNSUPPORTED_FOR_MESSAGE_FORMAT, others → CORRUPT_MESSAGE), a length that
 *     fits and a CRC-32C that matches (CORRUPT_MESSAGE), a record count that agrees with the last
 *     offset delta (INVALID_RECORD), the records' max timestamp (below). From a client (Produce v3+):
 *     exactly one batch (INVALID_RECORD), at most `max.message.bytes` (MESSAGE_TOO_LARGE), no control
 *     batch (INVALID_RECORD). Then, for clients only, record-validator.ts when a record must be read
 *     (compacted topic, suspect timestamps, recompression).
 *  2. validateAndAssignOffsets, in the log's queue: idempotent producers' sequences and epochs and
 *     transactions (ProducerStateManager), then offsets, partition leader epoch and timestamps patched
 *     in place.
 * Errors are data (AppendResult.error, Kafka's error names; the broker maps them to codes, with the
 * messages Kafka 4.4's clients see).
 *
 * Timestamps, as Kafka 4.4 derives them (never trusted from the header): a CreateTime batch's max
 * timestamp is the largest of its records' (`baseTimestamp + timestampDelta`, -1 when every record
 * has -1, as librdkafka sends records without a timestamp under a header that says 0); the header is
 * rewritten to it (and the CRC recomputed) when it says otherwise, as Kafka's setMaxTimestamp does, so
 * what is stored, indexed, rolled on, retained by and served is the records' truth. An uncompressed
 * batch is read by walking each record's length and timestamp varints; a compressed one only when its
 * header is implausible (see recordsMaxTimestamp). LogAppendTime stamps the broker's clock instead
 * and reads no record.
 */
import { CompressionError, CorruptRecordError, MAGIC_OFFSET, UnsupportedMagicError } from "@odradek/codec";
import type { RecordBatchHeader } from "../record/batch.js";
import { TIMESTAMP_TYPE_FLAG, compressionOf } from "../record/batch.js";
import { LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, batchRecordTimestamps, setBaseOffset, setCreateTimeMaxTimestamp, setLogAppendTime, setPartitionLeaderEpoch, validateBatch } from "../record/batch.js";
import type { LogConfig } from "./log-config.js";
import type { AppendedBatch } from "./log-segment.js";
import { isControl } from "../record/batch.js";
import { readEndTxnMarker } from "../record/control.js";
import { ProducerStateManager } from "./producer-state-manager.js";
import type { EndTxnMarker, ProducerStateEntry } from "./producer-state-manager.js";
import type { AppendError, AppendOptions, AppendOrigin, AppendResult, KafkaErrorName } from "./partition-log.js";

/**
 * A CreateTime batch's max timestamp as Kafka's validator derives it. Records of a batch flagged
 * LogAppendTime all read as its header's max timestamp (Kafka's DefaultRecord), so that is their max.
 * Uncompressed batches are always read (a varint walk, about 0.05-0.3 ms per MB, see
 * bench/record-timestamps.mjs). A compressed batch is decompressed only when its header cannot be a
 * real client's: a base timestamp below 0, a max of 0 or less (librdkafka's header for records without
 * a timestamp), or a max below the base; otherwise its header's max is taken, as each client computes it
 * from the same records. Kafka decompresses every one; here that would cost 5-100 ms per MB (lz4 to
 * zstd) on the produce path, for headers that the four clients checked (librdkafka, kafkajs, Java,
 * franz-go) always write truthfully once a record has a timestamp.
 */
function recordsMaxTimestamp(records: Buffer, h: RecordBatchHeader, pos: number): number {
  if (h.attributes & TIMESTAMP_TYPE_FLAG) return h.maxTimestamp;
  if (compressionOf(h.attributes) !== 0 && h.baseTimestamp >= 0 && h.maxTimestamp > 0 && h.maxTimestamp >= h.baseTimestamp) return h.maxTimestamp;
  return batchRecordTimestamps(records, h, pos).maxTimestamp;
}

/** What the validator reads of the log it appends to. */
export interface ValidationContext {
  readonly producerState: ProducerStateManager;
  readonly logStartOffset: number;
  readonly config: LogConfig;
  /** `<topic>-<partition>`, for messages. */
  readonly name: string;
  now(): number;
}

/** An append whose batches passed step 1, offsets not yet assigned. */
export interface CheckedAppend {
  records: Buffer;
  headers: RecordBatchHeader[];
  /** Per batch, where it starts in `records`. */
  positions: number[];
  /** Per batch, the records' max timestamp (CreateTime topics; empty under LogAppendTime). */
  recordTimestamps: number[];
}

export type Rejection = { error: AppendError | KafkaErrorName; errorMessage?: string };

/**
 * Step 1 for one append: the checks of the header comment in Kafka 4.4's order (a client's batch:
 * shape, size, CRC, counts, control flag), returning the batches' headers or the rejection.
 */
export function analyzeAndValidateRecords(records: Buffer, origin: AppendOrigin, config: LogConfig, name: string): CheckedAppend | Rejection {
  const reject = (error: AppendError, errorMessage: string): Rejection => ({ error, errorMessage });
  const client = origin === "client";
  const headers: RecordBatchHeader[] = [];
  const positions: number[] = [];
  const recordTimestamps: number[] = [];
  let pos = 0;
  try {
    do {
      const left = records.length - pos;
      if (left <= MAGIC_OFFSET) return reject("CORRUPT_MESSAGE", "records are missing or shorter than a batch header");
      const magic = records.readInt8(pos + MAGIC_OFFSET);
      if (magic === 0 || magic === 1) return reject("UNSUPPORTED_FOR_MESSAGE_FORMAT", `magic ${magic} is not supported`);
      if (magic !== 2) return reject("CORRUPT_MESSAGE", `unknown magic ${magic}`);
      if (left < RECORD_BATCH_OVERHEAD) return reject("CORRUPT_MESSAGE", "record batch shorter than its header");
      const size = LOG_OVERHEAD + records.readInt32BE(pos + 8);
      if (size < RECORD_BATCH_OVERHEAD || size > left) return reject("CORRUPT_MESSAGE", "record batch length does not fit");
      if (client && size !== left) return reject("INVALID_RECORD", "Produce requests with version 3 and above may contain exactly one record batch");
      if (client && size > config.maxMessageBytes) return reject("MESSAGE_TOO_LARGE", `The record batch of ${size} bytes exceeds max.message.bytes ${config.maxMessageBytes}`);
      const h = validateBatch(records, pos);
      if (h.recordCount <= 0 || h.lastOffsetDelta !== h.recordCount - 1) return reject("INVALID_RECORD", "record batch holds no records or its last offset delta does not match its count");
      // Kafka's LogValidator.validateBatch for AppendOrigin.CLIENT (InvalidRecordException).
      if (client && isControl(h.attributes)) return reject("INVALID_RECORD", `Clients are not allowed to write control records in topic partition ${name}`);
      headers.push(h);
      positions.push(pos);
      pos += size;
    } while (pos < records.length);
    if (config.messageTimestampType !== "LogAppendTime") {
      for (let k = 0; k < headers.length; k++) recordTimestamps[k] = recordsMaxTimestamp(records, headers[k]!, positions[k]!);
    }
  } catch (e) {
    if (e instanceof UnsupportedMagicError) return reject("UNSUPPORTED_FOR_MESSAGE_FORMAT", e.message);
    if (e instanceof CorruptRecordError || e instanceof CompressionError) return reject("CORRUPT_MESSAGE", e.message);
    throw e;
  }
  return { records, headers, positions, recordTimestamps };
}

/** An accepted append with its offsets assigned in place, not yet written. */
export interface ValidatedAppend {
  records: Buffer;
  headers: RecordBatchHeader[];
  batches: AppendedBatch[];
  /** The offset after the append. */
  next: number;
  /** Records in the append. */
  count: number;
  /** The largest timestamp of the append (Kafka's LogAppendInfo.maxTimestamp; -1 = none): what segment.ms rolls on. */
  maxTimestamp: number;
  epoch: number;
  /** Per batch (as `headers`), the marker of a control batch. */
  markers: (EndTxnMarker | null | undefined)[];
  /** Producer state after the append (for the next append of the group). */
  producers: ReadonlyMap<number, ProducerStateEntry>;
  result: (logStartOffset: number) => AppendResult;
}

/**
 * Step 2, Kafka's analyzeAndValidateProducerState and offset assignment for one checked append whose
 * first offset is `next`, seeing the producer updates of the earlier appends of its group
 * (`producers`): the result to answer with, or the batches with offsets assigned in place.
 */
export function validateAndAssignOffsets(
  checked: CheckedAppend,
  options: AppendOptions,
  next: number,
  producers: ReadonlyMap<number, ProducerStateEntry>,
  log: ValidationContext,
): AppendResult | ValidatedAppend {
  const rejected = (error: AppendResult["error"], errorMessage: string): AppendResult => ({ baseOffset: -1, lastOffset: -1, logAppendTime: -1, logStartOffset: log.logStartOffset, error, errorMessage });
  const { records, headers, positions, recordTimestamps } = checked;
  // Producer state on the offsets about to be assigned.
  const firstOffset = next;
  let pending: Map<number, ProducerStateEntry> | null = null;
  const markers: (EndTxnMarker | null | undefined)[] = [];
  for (let k = 0; k < headers.length; k++) {
    const h = headers[k]!;
    h.baseOffset = next;
    let marker: EndTxnMarker | null | undefined;
    if (isControl(h.attributes)) {
      try {
        marker = markers[k] = readEndTxnMarker(records, positions[k]!, h);
      } catch (e) {
        if (e instanceof CorruptRecordError || e instanceof CompressionError) return rejected("CORRUPT_MESSAGE", e.message);
        throw e;
      }
    }
    if (options.producerCheck !== false && h.producerId >= 0) {
      pending ??= new Map(producers);
      const c = log.producerState.check(h, pending, marker, log.name, options.origin ?? "client");
      if (c.kind === "duplicate") {
        if (headers.length === 1) return { baseOffset: c.firstOffset, lastOffset: c.lastOffset, logAppendTime: -1, logStartOffset: log.logStartOffset, duplicateOf: { firstOffset: c.firstOffset, lastOffset: c.lastOffset } };
        return rejected("OUT_OF_ORDER_SEQUENCE_NUMBER", "a duplicate batch inside a multi-batch append");
      }
      if (c.kind === "error") return rejected(c.error, c.message);
      const entry = ProducerStateManager.apply(pending.get(h.producerId) ?? log.producerState.activeProducers.get(h.producerId), h, marker);
      if (entry) pending.set(h.producerId, entry);
    }
    next += h.lastOffsetDelta + 1;
  }
  // Assign offsets in place.
  const logAppendTime = log.config.messageTimestampType === "LogAppendTime" ? (options.nowMs ?? log.now()) : -1;
  const epoch = options.leaderEpoch ?? 0;
  const batches: AppendedBatch[] = [];
  let count = 0;
  let maxTimestamp = -1;
  headers.forEach((h, k) => {
    const p = positions[k]!;
    setBaseOffset(records, p, h.baseOffset);
    setPartitionLeaderEpoch(records, p, epoch);
    h.partitionLeaderEpoch = epoch;
    if (logAppendTime >= 0) {
      setLogAppendTime(records, p, logAppendTime);
      h.maxTimestamp = logAppendTime;
    } else {
      const ts = recordTimestamps[k] ?? recordsMaxTimestamp(records, h, p); // the topic left LogAppendTime meanwhile
      if (setCreateTimeMaxTimestamp(records, p, ts)) {
        h.maxTimestamp = ts;
        h.attributes &= ~TIMESTAMP_TYPE_FLAG;
      }
    }
    if (h.maxTimestamp > maxTimestamp) maxTimestamp = h.maxTimestamp;
    count += h.recordCount;
    batches.push({ pos: p, size: h.batchLength + LOG_OVERHEAD, baseOffset: h.baseOffset, lastOffset: h.baseOffset + h.lastOffsetDelta, maxTimestamp: h.maxTimestamp });
  });
  const lastOffset = next - 1;
  return { records, headers, batches, next, count, maxTimestamp, epoch, markers, producers: pending ?? producers, result: (logStartOffset) => ({ baseOffset: firstOffset, lastOffset, logAppendTime, logStartOffset }) };
}
