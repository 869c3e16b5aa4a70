/**
 * Building RecordBatch v2 batches (what a producer sends, and the control batches a transaction
 * coordinator asks a leader to append). The batch is laid out in one buffer with a correct CRC-32C.
 * buildRecordBatch is synchronous and supports every codec but zstd, whose encoder is async only;
 * buildRecordBatchAsync supports all.
 *
 * Control records (KIP-98): key = version int16 (0) + type int16 (0 abort, 1 commit); value of an
 * end-transaction marker = version int16 (0) + coordinatorEpoch int32.
 */
import { compress, compressSync, hasSyncCompression } from "../compression/index.js";
import { CompressionError, EncodeError } from "../errors.js";
import {
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  BASE_TIMESTAMP_OFFSET,
  BATCH_LENGTH_OFFSET,
  CONTROL_FLAG_MASK,
  CompressionCodec,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_OFFSET,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  MAX_TIMESTAMP_OFFSET,
  PARTITION_LEADER_EPOCH_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  RECORD_BATCH_OVERHEAD,
  RECORDS_COUNT_OFFSET,
  TIMESTAMP_TYPE_MASK,
  TimestampType,
  TRANSACTIONAL_FLAG_MASK,
  updateBatchCrc,
  writeInt64,
} from "./batch-header.js";
import type { RecordBatchHeader } from "./batch-header.js";
import { sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from "./varint.js";

export type Bytes = Buffer | string | null;

export interface RecordInput {
  key: Bytes;
  value: Bytes;
  headers?: { key: string; value: Bytes }[];
  /** ms; default the batch's baseTimestamp, else Date.now(). */
  timestamp?: number;
  /**
   * Default: the record's index. Other values are for batches whose offsets have gaps (as a compacted
   * log's keep); the batch's lastOffsetDelta is the last record's.
   */
  offsetDelta?: number;
}

export interface BuildRecordBatchOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  records: RecordInput[];
  /** Codec id (CompressionCodec); default none. */
  compression?: number;
  timestampType?: TimestampType;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
  /** Default: the first record's timestamp (as Kafka's MemoryRecordsBuilder does). */
  baseTimestamp?: number;
  /** Mark as a control batch (used by buildControlBatch). */
  control?: boolean;
}

const toBuf = (b: Bytes): Buffer | null => (b === null ? null : typeof b === "string" ? Buffer.from(b, "utf8") : b);

interface Prepared {
  key: Buffer | null;
  value: Buffer | null;
  headers: { key: Buffer; value: Buffer | null }[];
  timestampDelta: number;
  offsetDelta: number;
  bodySize: number;
}

const sizeOfBytes = (b: Buffer | null): number => (b === null ? 1 : sizeOfVarint(b.length) + b.length);

interface Plan {
  prepared: Prepared[];
  recordsSize: number;
  baseTimestamp: number;
  maxTimestamp: number;
}

function plan(o: BuildRecordBatchOptions): Plan {
  if (o.records.length === 0) throw new EncodeError("a record batch needs at least one record");
  const now = Date.now();
  const first = o.records[0]!;
  const baseTimestamp = o.baseTimestamp ?? first.timestamp ?? now;
  let maxTimestamp = -Infinity;
  let recordsSize = 0;
  const prepared = o.records.map((r, i): Prepared => {
    const ts = r.timestamp ?? baseTimestamp;
    if (ts > maxTimestamp) maxTimestamp = ts;
    const key = toBuf(r.key);
    const value = toBuf(r.value);
    const headers = (r.headers ?? []).map((h) => ({ key: Buffer.from(h.key, "utf8"), value: toBuf(h.value) }));
    const timestampDelta = ts - baseTimestamp;
    const offsetDelta = r.offsetDelta ?? i;
    let bodySize = 1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta) + sizeOfBytes(key) + sizeOfBytes(value) + sizeOfVarint(headers.length);
    for (const h of headers) bodySize += sizeOfBytes(h.key) + sizeOfBytes(h.value);
    recordsSize += sizeOfVarint(bodySize) + bodySize;
    return { key, value, headers, timestampDelta, offsetDelta, bodySize };
  });
  return { prepared, recordsSize, baseTimestamp, maxTimestamp };
}

function writeBytes(buf: Buffer, b: Buffer | null, pos: number): number {
  if (b === null) return writeVarint(buf, -1, pos);
  pos = writeVarint(buf, b.length, pos);
  b.copy(buf, pos);
  return pos + b.length;
}

function writeRecords(buf: Buffer, prepared: Prepared[], pos: number): number {
  for (const r of prepared) {
    pos = writeVarint(buf, r.bodySize, pos);
    buf[pos++] = 0; // attributes
    pos = writeVarlong(buf, r.timestampDelta, pos);
    pos = writeVarint(buf, r.offsetDelta, pos);
    pos = writeBytes(buf, r.key, pos);
    pos = writeBytes(buf, r.value, pos);
    pos = writeVarint(buf, r.headers.length, pos);
    for (const h of r.headers) {
      pos = writeBytes(buf, h.key, pos);
      pos = writeBytes(buf, h.value, pos);
    }
  }
  return pos;
}

/** The header fields a batch is written with; its length, magic and CRC-32C are computed. */
export type RecordBatchFields = Omit<RecordBatchHeader, "batchLength" | "magic" | "crc">;

/**
 * The one writer of a RecordBatch v2: the header `h` followed by a records section of `recordsSize`
 * bytes (encoded records, compressed when the attributes say so) that `writeSection` writes at the
 * position given; the CRC-32C is computed last. Used by the builders here and by storage's cleaner,
 * which rewrites a batch keeping its header fields and its records' bytes.
 */
export function assembleRecordBatch(h: RecordBatchFields, recordsSize: number, writeSection: (buf: Buffer, pos: number) => void): Buffer {
  const buf = Buffer.allocUnsafe(RECORD_BATCH_OVERHEAD + recordsSize);
  writeInt64(buf, h.baseOffset, 0);
  buf.writeInt32BE(buf.length - LOG_OVERHEAD, BATCH_LENGTH_OFFSET);
  buf.writeInt32BE(h.partitionLeaderEpoch, PARTITION_LEADER_EPOCH_OFFSET);
  buf.writeInt8(CURRENT_MAGIC, MAGIC_OFFSET);
  buf.writeInt16BE(h.attributes, ATTRIBUTES_OFFSET);
  buf.writeInt32BE(h.lastOffsetDelta, LAST_OFFSET_DELTA_OFFSET);
  writeInt64(buf, h.baseTimestamp, BASE_TIMESTAMP_OFFSET);
  writeInt64(buf, h.maxTimestamp, MAX_TIMESTAMP_OFFSET);
  writeInt64(buf, h.producerId, PRODUCER_ID_OFFSET);
  buf.writeInt16BE(h.producerEpoch, PRODUCER_EPOCH_OFFSET);
  buf.writeInt32BE(h.baseSequence, BASE_SEQUENCE_OFFSET);
  buf.writeInt32BE(h.recordCount, RECORDS_COUNT_OFFSET);
  writeSection(buf, RECORD_BATCH_OVERHEAD);
  updateBatchCrc(buf, 0);
  return buf;
}

function assemble(o: BuildRecordBatchOptions, p: Plan, codec: number, payload: Buffer | null): Buffer {
  let attributes = codec;
  if ((o.timestampType ?? TimestampType.CreateTime) === TimestampType.LogAppendTime) attributes |= TIMESTAMP_TYPE_MASK;
  if (o.transactional) attributes |= TRANSACTIONAL_FLAG_MASK;
  if (o.control) attributes |= CONTROL_FLAG_MASK;
  const h: RecordBatchFields = {
    baseOffset: o.baseOffset ?? 0,
    partitionLeaderEpoch: o.partitionLeaderEpoch ?? -1,
    attributes,
    lastOffsetDelta: p.prepared[p.prepared.length - 1]!.offsetDelta,
    baseTimestamp: p.baseTimestamp,
    maxTimestamp: p.maxTimestamp,
    producerId: o.producerId ?? -1,
    producerEpoch: o.producerEpoch ?? -1,
    baseSequence: o.baseSequence ?? -1,
    recordCount: p.prepared.length,
  };
  return assembleRecordBatch(h, payload ? payload.length : p.recordsSize, (buf, pos) => {
    if (payload) payload.copy(buf, pos);
    else writeRecords(buf, p.prepared, pos);
  });
}

function encodeRecords(p: Plan): Buffer {
  const raw = Buffer.allocUnsafe(p.recordsSize);
  writeRecords(raw, p.prepared, 0);
  return raw;
}

function checkCodec(codec: number): void {
  if (!Number.isInteger(codec) || codec < CompressionCodec.none || codec > CompressionCodec.zstd) {
    throw new CompressionError(`unknown compression codec ${codec}`, 76 /* UNSUPPORTED_COMPRESSION_TYPE */);
  }
}

/**
 * A RecordBatch v2 holding `records` with offset deltas 0..n-1.
 * @throws CompressionError for zstd (use buildRecordBatchAsync); EncodeError for no records
 */
export function buildRecordBatch(o: BuildRecordBatchOptions): Buffer {
  const codec = o.compression ?? CompressionCodec.none;
  checkCodec(codec);
  if (!hasSyncCompression(codec)) throw new CompressionError(`codec ${codec} has no synchronous encoder; use buildRecordBatchAsync`);
  const p = plan(o);
  return assemble(o, p, codec, codec === CompressionCodec.none ? null : compressSync(codec, encodeRecords(p)));
}

/** As buildRecordBatch, for every codec. */
export async function buildRecordBatchAsync(o: BuildRecordBatchOptions): Promise<Buffer> {
  const codec = o.compression ?? CompressionCodec.none;
  checkCodec(codec);
  const p = plan(o);
  return assemble(o, p, codec, codec === CompressionCodec.none ? null : await compress(codec, encodeRecords(p)));
}

/** Control record types (the int16 after the version in a control record's key). */
export const ControlRecordType = { abort: 0, commit: 1 } as const;
export type ControlRecordType = (typeof ControlRecordType)[keyof typeof ControlRecordType];

export interface BuildControlBatchOptions {
  commit: boolean;
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  baseOffset?: number;
  timestamp: number;
  partitionLeaderEpoch?: number;
}

/** An end-transaction marker: a transactional control batch with one COMMIT or ABORT record. */
export function buildControlBatch(o: BuildControlBatchOptions): Buffer {
  const key = Buffer.alloc(4);
  key.writeInt16BE(0, 0);
  key.writeInt16BE(o.commit ? ControlRecordType.commit : ControlRecordType.abort, 2);
  const value = Buffer.alloc(6);
  value.writeInt16BE(0, 0);
  value.writeInt32BE(o.coordinatorEpoch, 2);
  return buildRecordBatch({
    baseOffset: o.baseOffset ?? 0,
    partitionLeaderEpoch: o.partitionLeaderEpoch ?? -1,
    producerId: o.producerId,
    producerEpoch: o.producerEpoch,
    baseSequence: -1,
    transactional: true,
    control: true,
    baseTimestamp: o.timestamp,
    records: [{ key, value, timestamp: o.timestamp }],
  });
}

export interface ControlRecord {
  version: number;
  type: number;
}

/** Parses a control record's key. @returns null if it is too short */
export function parseControlRecordKey(key: Buffer | null): ControlRecord | null {
  if (key === null || key.length < 4) return null;
  return { version: key.readInt16BE(0), type: key.readInt16BE(2) };
}

/** Parses an end-transaction marker's value. @returns null if it is too short */
export function parseEndTxnMarker(value: Buffer | null): { version: number; coordinatorEpoch: number } | null {
  if (value === null || value.length < 6) return null;
  return { version: value.readInt16BE(0), coordinatorEpoch: value.readInt32BE(2) };
}
