/**
 * Records inside a v2 batch, just enough for the LogCleaner and ListOffsets (key, tombstone, offset
 * and timestamp deltas, verbatim bytes), the cleaner's batch rebuild, and a batch builder for tests
 * and benchmarks. Record layout (KIP-98; the codec's `record/records.ts` owns it):
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint | key | valueLength varint | value | headerCount varint | headers
 * The codec's own record decoder returns decoded records; the cleaner needs each record's verbatim
 * bytes (to rebuild a batch re-encoding only the timestamp delta), hence this small reader.
 * Compressed batches are decompressed with the codec's async `decompress` (gzip and snappy off the
 * event loop; lz4 and zstd decode on it, about 1 ms per MiB of a batch). Batches are written by the
 * codec only (`assembleRecordBatch`, `buildRecordBatch`); `buildRecordBatch` here is a test shortcut
 * over the codec's with defaults (uncompressed, attribute bits as given).
 */
import { assembleRecordBatch, buildRecordBatch as buildBatch, compress, CONTROL_FLAG_MASK, CorruptRecordError, decompress, readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, TimestampType, TRANSACTIONAL_FLAG_MASK, writeVarint, writeVarlong } from "@odradek/codec";
import type { Cursor, RecordBatchFields } from "@odradek/codec";
import type { RecordBatchHeader } from "./batch.js";
import { COMPRESSION_MASK, compressionOf, DELETE_HORIZON_FLAG, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, TIMESTAMP_TYPE_FLAG } from "./batch.js";
import { systemClock } from "../clock.js";

export interface RecordView {
  offsetDelta: number;
  timestampDelta: number;
  /** null for a null key. A view on the records buffer. */
  key: Buffer | null;
  /** true when the value is null (a tombstone). */
  tombstone: boolean;
  /** The whole record, length prefix included, as stored. */
  bytes: Buffer;
  /** The record from its offsetDelta to its end (what a rebuild copies after a new timestamp delta). */
  rest: Buffer;
}

/** The records of an uncompressed records section (bytes after the 61-byte header). */
export function* iterateRecords(records: Buffer, count: number): Generator<RecordView> {
  const c: Cursor = { buf: records, pos: 0, end: records.length };
  for (let i = 0; i < count; i++) {
    const start = c.pos;
    const len = readVarint(c);
    const bodyStart = c.pos;
    if (len < 0 || bodyStart + len > records.length) throw new CorruptRecordError("record overruns its batch");
    c.pos++; // attributes
    const timestampDelta = readVarlong(c);
    const restStart = c.pos;
    const offsetDelta = readVarint(c);
    const keyLen = readVarint(c);
    const key = keyLen < 0 ? null : records.subarray(c.pos, c.pos + keyLen);
    if (keyLen > 0) c.pos += keyLen;
    const valueLen = readVarint(c);
    c.pos = bodyStart + len;
    if (c.pos > records.length) throw new CorruptRecordError("record overruns its batch");
    yield { offsetDelta, timestampDelta, key, tombstone: valueLen < 0, bytes: records.subarray(start, c.pos), rest: records.subarray(restStart, c.pos) };
  }
}

/** The records of the whole batch `batch` (header `h`), decompressed when the batch is compressed. */
export async function recordsOf(batch: Buffer, h: RecordBatchHeader): Promise<RecordView[]> {
  const end = h.batchLength + LOG_OVERHEAD;
  const section = batch.subarray(RECORD_BATCH_OVERHEAD, end);
  const codec = compressionOf(h.attributes);
  const data = codec === 0 ? section : await decompress(codec, section);
  return [...iterateRecords(data, h.recordCount)];
}

/** A record's timestamp: the batch's maxTimestamp for LogAppendTime batches, else base + delta. */
export function recordTimestamp(h: Pick<RecordBatchHeader, "attributes" | "baseTimestamp" | "maxTimestamp">, r: Pick<RecordView, "timestampDelta">): number {
  return h.attributes & TIMESTAMP_TYPE_FLAG ? h.maxTimestamp : h.baseTimestamp + r.timestampDelta;
}

/**
 * The cleaner's rewrite of batch `h` keeping `kept` (a subset of its records, in order), as Kafka's
 * MemoryRecords.buildRetainedRecordsInto: same codec, base offset, lastOffsetDelta (so the producer's
 * last sequence survives), producer id/epoch/base sequence, leader epoch and attribute flags; records
 * keep their offset deltas, keys, values and headers; baseTimestamp becomes the first kept record's
 * timestamp, or the delete horizon when `deleteHorizonMs` >= 0 (KIP-534: attribute bit 6 set, the
 * records' timestamp deltas are then relative to the horizon); maxTimestamp is the kept records' max
 * (LogAppendTime batches keep theirs). No records left: Kafka's empty header (writeEmptyHeader), with
 * no compression, no horizon, both timestamps = the old maxTimestamp and recordCount 0.
 */
export async function rebuildBatch(h: RecordBatchHeader, kept: readonly RecordView[], deleteHorizonMs = -1): Promise<Buffer> {
  const logAppendTime = (h.attributes & TIMESTAMP_TYPE_FLAG) !== 0;
  const base = { baseOffset: h.baseOffset, partitionLeaderEpoch: h.partitionLeaderEpoch, lastOffsetDelta: h.lastOffsetDelta, producerId: h.producerId, producerEpoch: h.producerEpoch, baseSequence: h.baseSequence };
  if (kept.length === 0) {
    const attributes = h.attributes & ~(COMPRESSION_MASK | DELETE_HORIZON_FLAG);
    return writeBatch({ ...base, attributes, baseTimestamp: h.maxTimestamp, maxTimestamp: h.maxTimestamp, recordCount: 0 }, EMPTY);
  }
  const stamps = kept.map((r) => recordTimestamp(h, r));
  const baseTimestamp = deleteHorizonMs >= 0 ? deleteHorizonMs : stamps[0]!;
  const maxTimestamp = logAppendTime ? h.maxTimestamp : Math.max(...stamps);
  let size = 0;
  const bodies = kept.map((r, i) => {
    const delta = stamps[i]! - baseTimestamp;
    const body = 1 + sizeOfVarlong(delta) + r.rest.length;
    size += sizeOfVarint(body) + body;
    return { delta, body };
  });
  const raw = Buffer.allocUnsafe(size);
  let p = 0;
  kept.forEach((r, i) => {
    const { delta, body } = bodies[i]!;
    p = writeVarint(raw, body, p);
    raw[p++] = 0;
    p = writeVarlong(raw, delta, p);
    p += r.rest.copy(raw, p);
  });
  const codec = compressionOf(h.attributes);
  const section = codec === 0 ? raw : await compress(codec, raw);
  let attributes = h.attributes & ~DELETE_HORIZON_FLAG;
  if (deleteHorizonMs >= 0) attributes |= DELETE_HORIZON_FLAG;
  return writeBatch({ ...base, attributes, baseTimestamp, maxTimestamp, recordCount: kept.length }, section);
}

const EMPTY = Buffer.alloc(0);

/** A batch of header `h` and records section `section` (the codec's writer). */
const writeBatch = (h: RecordBatchFields, section: Buffer): Buffer => assembleRecordBatch(h, section.length, (buf, pos) => section.copy(buf, pos));

export interface SimpleRecord {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  timestamp?: number;
}

export interface BuildBatchOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  /** Attribute bits: transactional (0x10), control (0x20), LogAppendTime (0x08); no compression here. */
  attributes?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  /** The base timestamp; default the first record's, else the system clock. */
  timestamp?: number;
}

/** An uncompressed v2 batch of `records` through the codec's builder (a test shortcut: optional keys and values, attribute bits). */
export function buildRecordBatch(records: readonly SimpleRecord[], options: BuildBatchOptions = {}): Buffer {
  const attributes = options.attributes ?? 0;
  const baseTimestamp = options.timestamp ?? records[0]?.timestamp ?? systemClock.now();
  return buildBatch({
    records: records.map((r) => ({ key: r.key ?? null, value: r.value ?? null, timestamp: r.timestamp ?? baseTimestamp })),
    baseTimestamp,
    ...(options.baseOffset === undefined ? {} : { baseOffset: options.baseOffset }),
    ...(options.partitionLeaderEpoch === undefined ? {} : { partitionLeaderEpoch: options.partitionLeaderEpoch }),
    producerId: options.producerId ?? -1,
    producerEpoch: options.producerEpoch ?? -1,
    baseSequence: options.baseSequence ?? -1,
    transactional: (attributes & TRANSACTIONAL_FLAG_MASK) !== 0,
    control: (attributes & CONTROL_FLAG_MASK) !== 0,
    timestampType: attributes & TIMESTAMP_TYPE_FLAG ? TimestampType.LogAppendTime : TimestampType.CreateTime,
  });
}
