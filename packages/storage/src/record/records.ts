/**
 * Records inside a v2 batch, just enough for the LogCleaner and ListOffsets (key, tombstone, offset
 * and timestamp deltas, verbatim bytes), the cleaner's batch rebuild, and a batch builder for tests
 * and benchmarks. Record layout (KIP-98; the codec's `record/records.ts` owns it):
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint |
 *   keyLength varint | key | valueLength varint | value | headerCount varint | headers
 * The codec's own record decoder returns decoded records; the cleaner needs each record's verbatim
 * bytes (to rebuild a batch re-encoding only the timestamp delta), hence this small reader.
 * Compressed batches are decompressed with the codec's async `decompress` (gzip and snappy off the
 * event loop; lz4 and zstd decode on it, about 1 ms per MiB of a batch). `buildRecordBatch` here is
 * a test/benchmark shortcut (the codec's `buildRecordBatch` is the full builder).
 */
import { compress, CorruptRecordError, decompress, readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from "@odradek/codec";
import type { Cursor } from "@odradek/codec";
import type { RecordBatchHeader } from "./batch.js";
import { COMPRESSION_MASK, compressionOf, DELETE_HORIZON_FLAG, LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, TIMESTAMP_TYPE_FLAG, updateBatchCrc, writeInt64 } from "./batch.js";
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
    return assembleBatch({ ...base, attributes, baseTimestamp: h.maxTimestamp, maxTimestamp: h.maxTimestamp }, []);
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
  return assembleBatch({ ...base, attributes, baseTimestamp, maxTimestamp }, [section], kept.length);
}

export interface SimpleRecord {
  key?: Buffer | string | null;
  value?: Buffer | string | null;
  timestamp?: number;
}

export interface BuildBatchOptions {
  baseOffset?: number;
  partitionLeaderEpoch?: number;
  /** Attribute bits (compression must be 0 here: this builder does not compress). */
  attributes?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  timestamp?: number;
}

const toBuf = (v: Buffer | string | null | undefined): Buffer | null => (v == null ? null : typeof v === "string" ? Buffer.from(v) : v);

/** Encodes one record (length-prefixed) with the given deltas. */
export function encodeRecord(r: SimpleRecord, offsetDelta: number, timestampDelta: number): Buffer {
  const key = toBuf(r.key);
  const value = toBuf(r.value);
  const bodyLen =
    1 + sizeOfVarlong(timestampDelta) + sizeOfVarint(offsetDelta) + sizeOfVarint(key ? key.length : -1) + (key?.length ?? 0) + sizeOfVarint(value ? value.length : -1) + (value?.length ?? 0) + sizeOfVarint(0);
  const out = Buffer.alloc(sizeOfVarint(bodyLen) + bodyLen);
  let p = writeVarint(out, bodyLen, 0);
  out[p++] = 0;
  p = writeVarlong(out, timestampDelta, p);
  p = writeVarint(out, offsetDelta, p);
  p = writeVarint(out, key ? key.length : -1, p);
  if (key) p += key.copy(out, p);
  p = writeVarint(out, value ? value.length : -1, p);
  if (value) p += value.copy(out, p);
  writeVarint(out, 0, p);
  return out;
}

/**
 * Builds an uncompressed v2 batch from already-encoded records (`encodeRecord`), with the header fields
 * given; recomputes the CRC. Used by the cleaner to rewrite a batch keeping its base offset and
 * lastOffsetDelta (records keep their offset deltas, so offsets are preserved).
 */
export function assembleBatch(
  header: { baseOffset: number; partitionLeaderEpoch: number; attributes: number; lastOffsetDelta: number; baseTimestamp: number; maxTimestamp: number; producerId: number; producerEpoch: number; baseSequence: number },
  records: readonly Buffer[],
  recordCount = records.length,
): Buffer {
  const size = RECORD_BATCH_OVERHEAD + records.reduce((n, r) => n + r.length, 0);
  const b = Buffer.alloc(size);
  writeInt64(b, header.baseOffset, 0);
  b.writeInt32BE(size - 12, 8);
  b.writeInt32BE(header.partitionLeaderEpoch, 12);
  b.writeInt8(2, 16);
  b.writeInt16BE(header.attributes, 21);
  b.writeInt32BE(header.lastOffsetDelta, 23);
  writeInt64(b, header.baseTimestamp, 27);
  writeInt64(b, header.maxTimestamp, 35);
  writeInt64(b, header.producerId, 43);
  b.writeInt16BE(header.producerEpoch, 51);
  b.writeInt32BE(header.baseSequence, 53);
  b.writeInt32BE(recordCount, 57);
  let p = RECORD_BATCH_OVERHEAD;
  for (const r of records) p += r.copy(b, p);
  updateBatchCrc(b, 0);
  return b;
}

/** A valid uncompressed v2 batch of `records` (timestamps default to `options.timestamp` or the system clock). */
export function buildRecordBatch(records: readonly SimpleRecord[], options: BuildBatchOptions = {}): Buffer {
  const base = options.timestamp ?? records[0]?.timestamp ?? systemClock.now();
  let max = base;
  const encoded = records.map((r, i) => {
    const ts = r.timestamp ?? base;
    if (ts > max) max = ts;
    return encodeRecord(r, i, ts - base);
  });
  return assembleBatch(
    {
      baseOffset: options.baseOffset ?? 0,
      partitionLeaderEpoch: options.partitionLeaderEpoch ?? -1,
      attributes: options.attributes ?? 0,
      lastOffsetDelta: Math.max(0, records.length - 1),
      baseTimestamp: base,
      maxTimestamp: max,
      producerId: options.producerId ?? -1,
      producerEpoch: options.producerEpoch ?? -1,
      baseSequence: options.baseSequence ?? -1,
    },
    encoded,
  );
}
