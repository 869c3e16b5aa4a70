/**
 * Reads and searches over one segment's `.log` file, by batch header (Kafka's LogSegment.read,
 * translateOffset, findOffsetByTimestamp and FileRecords.searchForTimestamp). LogSegment exposes each
 * as a method; here they see the segment only through `SegmentFile` (its file, size and indexes).
 * Batches are located by their 61-byte headers and never CRC-checked here (appends and recovery are).
 */
import { CorruptRecordError } from "@odradek/codec";
import type { RecordBatchHeader } from "../record/batch.js";
import { LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, isControl, readBatchHeader, readInt64 } from "../record/batch.js";
import { recordsOf, recordTimestamp } from "../record/records.js";
import type { OffsetIndex } from "./offset-index.js";
import type { TimestampAndOffset } from "./partition-log.js";
import type { TimeIndex } from "./time-index.js";

export interface BatchLocation {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  leaderEpoch: number;
}

/** What the reads need of a segment. */
export interface SegmentFile {
  readonly baseOffset: number;
  readonly logPath: string;
  /** Bytes of whole batches in the file. */
  readonly size: number;
  readonly offsetIndex: OffsetIndex;
  readonly timeIndex: TimeIndex;
  readonly indexIntervalBytes: number;
  /** pread of the `.log` file: bytes read into `buf[offset, offset + length)` from `position`. */
  readAt(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  readBytes(position: number, length: number): Promise<Buffer>;
}

const SCAN_CHUNK = 64 * 1024;
const SCAN_CHUNK_MAX = 1024 * 1024;

/**
 * Calls `fn` with each batch header from `position` up to `end`, in order, until it returns false.
 * Headers only: reads 64 KiB chunks and never checks CRCs.
 */
export async function scanBatches(seg: SegmentFile, position: number, end: number, fn: (loc: BatchLocation, h: RecordBatchHeader, batch?: Buffer) => boolean, controlBodies = false): Promise<void> {
  // Reads grow from 64 KiB (an index lookup lands within index.interval.bytes of its target) to
  // 1 MiB for long scans, into one reused buffer.
  let chunk: Buffer = Buffer.allocUnsafe(0);
  let chunkLen = 0;
  let want = SCAN_CHUNK;
  let chunkStart = position;
  let pos = position;
  while (pos + RECORD_BATCH_OVERHEAD <= end) {
    if (pos + RECORD_BATCH_OVERHEAD > chunkStart + chunkLen) {
      const len = Math.min(want, end - pos);
      if (chunk.length < len) chunk = Buffer.allocUnsafe(len);
      chunkLen = await seg.readAt(chunk, 0, len, pos);
      chunkStart = pos;
      want = Math.min(want * 4, SCAN_CHUNK_MAX);
      if (chunkLen < RECORD_BATCH_OVERHEAD) return;
    }
    const h = readBatchHeader(chunk.subarray(0, chunkLen), pos - chunkStart);
    const size = h.batchLength + LOG_OVERHEAD;
    if (pos + size > end) return;
    let batch: Buffer | undefined;
    if (controlBodies && isControl(h.attributes)) {
      if (pos + size > chunkStart + chunkLen) {
        if (chunk.length < size) chunk = Buffer.allocUnsafe(size);
        chunkLen = await seg.readAt(chunk, 0, Math.min(chunk.length, end - pos), pos);
        chunkStart = pos;
        if (chunkLen < size) return;
      }
      batch = chunk.subarray(pos - chunkStart, pos - chunkStart + size);
    }
    if (!fn({ position: pos, size, baseOffset: h.baseOffset, lastOffset: h.baseOffset + h.lastOffsetDelta, maxTimestamp: h.maxTimestamp, leaderEpoch: h.partitionLeaderEpoch }, h, batch)) return;
    pos += size;
  }
}

/**
 * Whole batches from `position` up to `end`, in order, read in chunks of about `chunkSize` (a larger
 * batch is read alone): memory stays bounded whatever the segment's size (the cleaner). Each `bytes`
 * is a view into a chunk the generator does not reuse; the batches are not CRC-checked.
 */
export async function* batches(seg: SegmentFile, position = 0, end = seg.size, chunkSize = SCAN_CHUNK_MAX): AsyncGenerator<{ h: RecordBatchHeader; bytes: Buffer; position: number }> {
  let pos = position;
  while (pos + RECORD_BATCH_OVERHEAD <= end) {
    let chunk = await seg.readBytes(pos, Math.min(chunkSize, end - pos));
    if (chunk.length < RECORD_BATCH_OVERHEAD) return;
    let at = 0;
    while (at + RECORD_BATCH_OVERHEAD <= chunk.length) {
      const size = chunk.readInt32BE(at + 8) + LOG_OVERHEAD;
      if (size < RECORD_BATCH_OVERHEAD) throw new CorruptRecordError(`batch of ${size} bytes at position ${pos} of ${seg.logPath}`);
      if (at + size > chunk.length) {
        if (at > 0) break;
        // A batch larger than the chunk: read it alone.
        if (pos + size > end) return;
        chunk = await seg.readBytes(pos, size);
        if (chunk.length < size) return;
      }
      const bytes = chunk.subarray(at, at + size);
      yield { h: readBatchHeader(bytes, 0), bytes, position: pos };
      at += size;
      pos += size;
    }
  }
}

/** The first batch whose last offset is >= offset, scanning from the index entry below it. */
export async function translateOffset(seg: SegmentFile, offset: number, end = seg.size): Promise<BatchLocation | null> {
  const start = seg.offsetIndex.lookup(offset).position;
  let found: BatchLocation | null = null;
  await scanBatches(seg, start, end, (loc) => {
    if (loc.lastOffset >= offset) {
      found = loc;
      return false;
    }
    return true;
  });
  return found;
}

/**
 * Whole batches from the one holding `startOffset`, at most `maxSize` bytes (at least one batch when
 * `minOneBatch`), not past `maxPosition`. Returns the byte range, or null when no batch holds it.
 */
export async function read(seg: SegmentFile, startOffset: number, maxSize: number, maxPosition: number, minOneBatch: boolean, withBytes = false, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Promise<{ position: number; length: number; firstBatch: BatchLocation; bytes?: Buffer } | null> {
  if (withBytes) {
    const fast = await readOnce(seg, startOffset, maxSize, maxPosition, minOneBatch, alloc);
    if (fast !== undefined) return fast;
  }
  const first = await translateOffset(seg, startOffset, maxPosition);
  if (!first) return null;
  if (first.size > maxSize) {
    if (!minOneBatch) return { position: first.position, length: 0, firstBatch: first };
    return { position: first.position, length: first.size, firstBatch: first, ...(withBytes ? { bytes: await seg.readBytes(first.position, first.size) } : {}) };
  }
  const window = Math.min(maxSize, maxPosition - first.position);
  if (withBytes) {
    // One read of the window, cut after the last whole batch in it.
    const buf = await seg.readBytes(first.position, window);
    let length = 0;
    while (length + LOG_OVERHEAD <= buf.length) {
      const size = buf.readInt32BE(length + 8) + LOG_OVERHEAD;
      if (length + size > buf.length) break;
      length += size;
    }
    return { position: first.position, length, firstBatch: first, bytes: buf.subarray(0, length) };
  }
  let length = first.size;
  await scanBatches(seg, first.position + first.size, first.position + window, (loc) => {
    length += loc.size;
    return true;
  });
  return { position: first.position, length, firstBatch: first };
}

/**
 * `read` with one pread: from the offset index entry at or below startOffset, maxSize plus
 * index.interval.bytes (the batch holding startOffset nearly always starts within that distance of
 * its index entry). undefined when the window does not hold what is needed (`read` then scans).
 */
async function readOnce(seg: SegmentFile, startOffset: number, maxSize: number, maxPosition: number, minOneBatch: boolean, alloc: (size: number) => Buffer): Promise<{ position: number; length: number; firstBatch: BatchLocation; bytes: Buffer } | null | undefined> {
  const from = seg.offsetIndex.lookup(startOffset).position;
  const want = Math.min(maxSize + seg.indexIntervalBytes + RECORD_BATCH_OVERHEAD, maxPosition - from);
  if (want <= 0) return null;
  const buf = alloc(want);
  const n = await seg.readAt(buf, 0, want, from);
  const toEnd = from + n >= maxPosition;
  let p = 0;
  for (;;) {
    if (p + RECORD_BATCH_OVERHEAD > n) return toEnd && p === n ? null : undefined;
    const size = buf.readInt32BE(p + 8) + LOG_OVERHEAD;
    if (readInt64(buf, p) + buf.readInt32BE(p + 23) >= startOffset) break;
    p += size;
  }
  const h = readBatchHeader(buf, p);
  const firstSize = h.batchLength + LOG_OVERHEAD;
  const firstBatch: BatchLocation = { position: from + p, size: firstSize, baseOffset: h.baseOffset, lastOffset: h.baseOffset + h.lastOffsetDelta, maxTimestamp: h.maxTimestamp, leaderEpoch: h.partitionLeaderEpoch };
  if (firstSize > maxSize) {
    if (!minOneBatch) return { position: from + p, length: 0, firstBatch, bytes: buf.subarray(p, p) };
    return p + firstSize <= n ? { position: from + p, length: firstSize, firstBatch, bytes: buf.subarray(p, p + firstSize) } : undefined;
  }
  if (p + firstSize > n) return undefined;
  const limit = Math.min(n, p + maxSize);
  let length = firstSize;
  while (p + length + LOG_OVERHEAD <= limit) {
    const size = buf.readInt32BE(p + length + 8) + LOG_OVERHEAD;
    if (p + length + size > limit) break;
    length += size;
  }
  return { position: from + p, length, firstBatch, bytes: buf.subarray(p, p + length) };
}

/** First batch at or after startingOffset whose maxTimestamp >= timestamp. */
export async function findOffsetByTimestamp(seg: SegmentFile, timestamp: number, startingOffset: number): Promise<BatchLocation | null> {
  const ts = seg.timeIndex.lookup(timestamp);
  const from = seg.offsetIndex.lookup(Math.max(ts.offset, startingOffset)).position;
  let found: BatchLocation | null = null;
  await scanBatches(seg, from, seg.size, (loc) => {
    if (loc.maxTimestamp >= timestamp && loc.lastOffset >= startingOffset) {
      found = loc;
      return false;
    }
    return true;
  });
  return found;
}

/**
 * Kafka's FileRecords.searchForTimestamp: the first record at or after `startingOffset` whose
 * timestamp is >= `timestamp`, with that record's timestamp and its batch's leader epoch. Batches are
 * found by header (maxTimestamp), then the candidate's records are read (decompressed if need be).
 */
export async function findRecordByTimestamp(seg: SegmentFile, timestamp: number, startingOffset: number): Promise<TimestampAndOffset | null> {
  const ts = seg.timeIndex.lookup(timestamp);
  let from = seg.offsetIndex.lookup(Math.max(ts.offset, startingOffset)).position;
  const end = seg.size;
  for (;;) {
    let cand: BatchLocation | null = null;
    await scanBatches(seg, from, end, (loc) => {
      if (loc.maxTimestamp < timestamp || loc.lastOffset < startingOffset) return true;
      cand = loc;
      return false;
    });
    const loc = cand as BatchLocation | null;
    if (!loc) return null;
    const bytes = await seg.readBytes(loc.position, loc.size);
    const h = readBatchHeader(bytes, 0);
    for (const r of await recordsOf(bytes, h)) {
      const t = recordTimestamp(h, r);
      const offset = h.baseOffset + r.offsetDelta;
      if (t >= timestamp && offset >= startingOffset) return { timestamp: t, offset, leaderEpoch: h.partitionLeaderEpoch };
    }
    from = loc.position + loc.size;
  }
}

/** The offset after the last batch (baseOffset when empty). */
export async function readNextOffset(seg: SegmentFile): Promise<number> {
  let next = seg.baseOffset;
  const from = seg.offsetIndex.lookup(Number.MAX_SAFE_INTEGER).position;
  await scanBatches(seg, from, seg.size, (loc) => {
    next = loc.lastOffset + 1;
    return true;
  });
  return next;
}
