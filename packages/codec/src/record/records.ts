/**
 * The records inside a RecordBatch v2, read without copying keys and values (they are `subarray` views
 * of the batch, or of the decompressed buffer for a compressed batch). One record:
 *
 *   length            varint   bytes that follow
 *   attributes        int8     unused, 0
 *   timestampDelta    varlong  from the batch's baseTimestamp
 *   offsetDelta       varint   from the batch's baseOffset
 *   keyLength         varint   -1 = null key
 *   key               bytes
 *   valueLength       varint   -1 = null value
 *   value             bytes
 *   headersCount      varint
 *   headers           repeated: keyLength varint, key (UTF-8), valueLength varint (-1 = null), value
 *
 * Sync and async: readRecords decompresses synchronously (every codec has a synchronous decoder, see
 * ../compression/index.ts) and so blocks the event loop while it does; readRecordsAsync runs gzip and
 * snappy on the thread pool. Both bound the decompressed size by `maxBytes` (default 64 MiB).
 * Anything malformed (a varint past the end, a length past the record, a record past the batch, a count
 * that does not match) is a CorruptRecordError, never a RangeError.
 */
import { decompress, decompressSync } from "../compression/index.js";
import type { DecompressOptions } from "../compression/index.js";
import { CorruptRecordError } from "../errors.js";
import { compressionOf, LOG_OVERHEAD, readBatchHeader, RECORDS_OFFSET } from "./batch-header.js";
import type { RecordBatchHeader } from "./batch-header.js";
import { readVarint, readVarlong } from "./varint.js";
import type { Cursor } from "./varint.js";

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

export interface KafkaRecord {
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export type ReadRecordsOptions = DecompressOptions;

function readBytes(c: Cursor, what: string): Buffer | null {
  const len = readVarint(c);
  if (len < 0) {
    if (len === -1) return null;
    throw new CorruptRecordError(`${what} length ${len} at ${c.pos} is invalid`);
  }
  if (len > c.end - c.pos) throw new CorruptRecordError(`${what} of ${len} bytes at ${c.pos} runs past the record`);
  const v = c.buf.subarray(c.pos, c.pos + len);
  c.pos += len;
  return v;
}

/** Reads one record at `c.pos` (within `c.end`), leaving `c.pos` after it. */
export function readRecord(c: Cursor): KafkaRecord {
  const length = readVarint(c);
  if (length < 0 || length > c.end - c.pos) {
    throw new CorruptRecordError(`record length ${length} at ${c.pos} runs past the batch (${c.end - c.pos} bytes left)`);
  }
  const end = c.pos + length;
  const r: Cursor = { buf: c.buf, pos: c.pos, end };
  if (r.pos >= end) throw new CorruptRecordError(`empty record at ${r.pos}`);
  const attributes = c.buf.readInt8(r.pos++);
  const timestampDelta = readVarlong(r);
  const offsetDelta = readVarint(r);
  const key = readBytes(r, "key");
  const value = readBytes(r, "value");
  const count = readVarint(r);
  // Each header takes at least two bytes: a bound on the count before anything is allocated.
  if (count < 0 || count * 2 > end - r.pos) throw new CorruptRecordError(`header count ${count} at ${r.pos} is invalid`);
  const headers: RecordHeader[] = [];
  for (let i = 0; i < count; i++) {
    const k = readBytes(r, "header key");
    if (k === null) throw new CorruptRecordError(`null header key at ${r.pos}`);
    headers.push({ key: k.toString("utf8"), value: readBytes(r, "header value") });
  }
  if (r.pos !== end) throw new CorruptRecordError(`record at ${c.pos} has ${end - r.pos} bytes after its headers`);
  c.pos = end;
  return { attributes, timestampDelta, offsetDelta, key, value, headers };
}

/** Decodes `count` records from `data[start, end)`, which must hold exactly those records. */
export function decodeRecords(data: Buffer, count: number, start = 0, end = data.length): KafkaRecord[] {
  // Each record takes at least 7 bytes: a bound on the count before the array grows.
  if (count < 0 || count > (end - start) / 7 + 1) throw new CorruptRecordError(`record count ${count} does not fit ${end - start} bytes`);
  const c: Cursor = { buf: data, pos: start, end };
  const out: KafkaRecord[] = [];
  for (let i = 0; i < count; i++) {
    if (c.pos >= end) throw new CorruptRecordError(`batch claims ${count} records but holds ${i}`);
    out.push(readRecord(c));
  }
  if (c.pos !== end) throw new CorruptRecordError(`${end - c.pos} bytes after the last of ${count} records`);
  return out;
}

function recordsArea(batch: Buffer, pos: number): { header: RecordBatchHeader; start: number; end: number } {
  const header = readBatchHeader(batch, pos);
  const end = pos + LOG_OVERHEAD + header.batchLength;
  if (end > batch.length) throw new CorruptRecordError(`record batch at ${pos} overruns its buffer`);
  return { header, start: pos + RECORDS_OFFSET, end };
}

/**
 * The records of the batch at `pos`, decompressing synchronously if the batch is compressed. Does not
 * check the CRC (use validateBatch first when the bytes come from outside).
 */
export function readRecords(batch: Buffer, pos = 0, options: ReadRecordsOptions = {}): KafkaRecord[] {
  const { header, start, end } = recordsArea(batch, pos);
  const codec = compressionOf(header.attributes);
  if (codec === 0) return decodeRecords(batch, header.recordCount, start, end);
  const data = decompressSync(codec, batch.subarray(start, end), options);
  return decodeRecords(data, header.recordCount);
}

/** As readRecords, decompressing gzip and snappy off the event loop. */
export async function readRecordsAsync(batch: Buffer, pos = 0, options: ReadRecordsOptions = {}): Promise<KafkaRecord[]> {
  const { header, start, end } = recordsArea(batch, pos);
  const codec = compressionOf(header.attributes);
  if (codec === 0) return decodeRecords(batch, header.recordCount, start, end);
  const data = await decompress(codec, batch.subarray(start, end), options);
  return decodeRecords(data, header.recordCount);
}

/** The largest record timestamp of a batch and the index (0-based) of the first record holding it. */
export interface RecordTimestamps {
  /** -1 (Kafka's NO_TIMESTAMP) when no record has a larger one. */
  maxTimestamp: number;
  /** -1 when maxTimestamp is -1. */
  indexOfMaxTimestamp: number;
}

/**
 * The max timestamp of `count` records in `data[start, end)` (uncompressed), as Kafka's LogValidator
 * derives it: each record's timestamp is `baseTimestamp + timestampDelta`, the max starts at -1 and
 * moves only on a strictly larger timestamp. Reads each record's length, attributes and timestamp
 * delta and skips the rest (no keys, values or headers decoded). A record running past `end`, or
 * fewer records than `count`, is a CorruptRecordError.
 */
export function scanRecordTimestamps(data: Buffer, count: number, baseTimestamp: number, start = 0, end = data.length): RecordTimestamps {
  const c: Cursor = { buf: data, pos: start, end };
  let maxTimestamp = -1;
  let indexOfMaxTimestamp = -1;
  for (let i = 0; i < count; i++) {
    const length = readVarint(c);
    const next = c.pos + length;
    if (length < 2 || next > end) throw new CorruptRecordError(`record ${i} of length ${length} at ${c.pos} runs past the batch`);
    c.pos++; // attributes
    const ts = baseTimestamp + readVarlong(c);
    if (ts > maxTimestamp) {
      maxTimestamp = ts;
      indexOfMaxTimestamp = i;
    }
    c.pos = next;
  }
  return { maxTimestamp, indexOfMaxTimestamp };
}

/**
 * scanRecordTimestamps over the whole batch at `pos` (its header already read as `h`), decompressing
 * a compressed batch synchronously (as Kafka's validator reads every compressed batch).
 */
export function batchRecordTimestamps(batch: Buffer, h: RecordBatchHeader, pos = 0, options: ReadRecordsOptions = {}): RecordTimestamps {
  const start = pos + RECORDS_OFFSET;
  const end = pos + LOG_OVERHEAD + h.batchLength;
  const codec = compressionOf(h.attributes);
  if (codec === 0) return scanRecordTimestamps(batch, h.recordCount, h.baseTimestamp, start, end);
  const data = decompressSync(codec, batch.subarray(start, end), options);
  return scanRecordTimestamps(data, h.recordCount, h.baseTimestamp);
}
