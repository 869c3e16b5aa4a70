/**
 * The storage side of Kafka's LogValidator: checks one append (whole RecordBatch v2 batches, CRC-32C,
 * offset deltas that match the record count, idempotent producers' sequences and epochs) and assigns
 * offsets, partition leader epoch and timestamps in place.
 *
 * Timestamps, as Kafka 4.4 derives them (never trusted from the header): a CreateTime batch's max
 * timestamp is the largest of its records' (`baseTimestamp + timestampDelta`, -1 when every record
 * has -1, as librdkafka sends records without a timestamp under a header that says 0); the header is
 * rewritten to it (and the CRC recomputed) when it says otherwise, as Kafka's setMaxTimestamp does, so
 * what is stored, indexed, rolled on, retained by and served is the records' truth. An uncompressed
 * batch is read by walking each record's length and timestamp varints; a compressed one only when its
 * header is implausible (see recordsMaxTimestamp). LogAppendTime stamps the broker's clock instead
 * and reads no record. Record-level checks that need the
 * records themselves (keys on compacted topics, CreateTime limits, recompression) are the broker's
 * (its log-validator).
 */
import { CompressionError, CorruptRecordError, UnsupportedMagicError } from "@odradek/codec";
import type { RecordBatchHeader } from "../record/batch.js";
import { TIMESTAMP_TYPE_FLAG, compressionOf } from "../record/batch.js";
import { LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, batchRecordTimestamps, readBatchHeader, setBaseOffset, setCreateTimeMaxTimestamp, setLogAppendTime, setPartitionLeaderEpoch, validateBatch } from "../record/batch.js";
import type { LogConfig } from "./log-config.js";
import type { AppendedBatch } from "./log-segment.js";
import { isControl } from "../record/batch.js";
import { readEndTxnMarker } from "../record/control.js";
import { ProducerStateManager } from "./producer-state-manager.js";
import type { EndTxnMarker, ProducerStateEntry } from "./producer-state-manager.js";
import type { AppendOptions, AppendResult } from "./partition-log.js";

/** The header of a batch that must lie whole within `buf` (its CRC already checked by the caller). */
function readWholeBatchHeader(buf: Buffer, pos: number): RecordBatchHeader {
  const h = readBatchHeader(buf, pos);
  if (pos + LOG_OVERHEAD + h.batchLength > buf.length) throw new CorruptRecordError(`record batch at ${pos} overruns its buffer of ${buf.length} bytes`);
  return h;
}

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
  readonly messageTimestampType: LogConfig["messageTimestampType"];
  /** `<topic>-<partition>`, for messages. */
  readonly name: string;
  now(): number;
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
 * Kafka's LogValidator and analyzeAndValidateProducerState for one append whose first offset is
 * `next`, seeing the producer updates of the earlier appends of its group (`producers`): the result
 * to answer with, or the batches with offsets assigned in place.
 */
export function validateAndAssignOffsets(
  records: Buffer,
  options: AppendOptions,
  next: number,
  producers: ReadonlyMap<number, ProducerStateEntry>,
  log: ValidationContext,
): AppendResult | ValidatedAppend {
  const rejected = (error: AppendResult["error"], errorMessage: string): AppendResult => ({ baseOffset: -1, lastOffset: -1, logAppendTime: -1, logStartOffset: log.logStartOffset, error, errorMessage });
  // Validate (LogValidator): whole v2 batches, CRC, consistent offsets delta.
  const headers: RecordBatchHeader[] = [];
  const positions: number[] = [];
  /** Per batch, the records' max timestamp (CreateTime). */
  const recordTimestamps: number[] = [];
  let pos = 0;
  try {
    if (records.length === 0) return rejected("INVALID_RECORD", "no record batches");
    while (pos < records.length) {
      if (records.length - pos < RECORD_BATCH_OVERHEAD) throw new CorruptRecordError(`truncated record batch at ${pos}`);
      const h = options.crcChecked ? readWholeBatchHeader(records, pos) : validateBatch(records, pos);
      if (h.recordCount === 0 || h.lastOffsetDelta !== h.recordCount - 1) {
        return rejected("INVALID_RECORD", `batch at ${pos} has ${h.recordCount} records and last offset delta ${h.lastOffsetDelta}`);
      }
      // Kafka's LogValidator.validateBatch for AppendOrigin.CLIENT (InvalidRecordException).
      if (isControl(h.attributes) && (options.origin ?? "client") === "client") {
        return rejected("INVALID_RECORD", `Clients are not allowed to write control records in topic partition ${log.name}`);
      }
      headers.push(h);
      positions.push(pos);
      pos += h.batchLength + LOG_OVERHEAD;
    }
    if (log.messageTimestampType !== "LogAppendTime") {
      for (let k = 0; k < headers.length; k++) recordTimestamps[k] = recordsMaxTimestamp(records, headers[k]!, positions[k]!);
    }
  } catch (e) {
    if (e instanceof UnsupportedMagicError) return rejected("UNSUPPORTED_FOR_MESSAGE_FORMAT", e.message);
    if (e instanceof CorruptRecordError || e instanceof CompressionError) return rejected("CORRUPT_MESSAGE", e.message);
    throw e;
  }
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
  const logAppendTime = log.messageTimestampType === "LogAppendTime" ? (options.nowMs ?? log.now()) : -1;
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
      const ts = recordTimestamps[k]!;
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
