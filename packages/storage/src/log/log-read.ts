/**
 * Reads of a log (Kafka's LocalLog.read), outside the log's queue: they see the segment sizes of the
 * moment they start, hold a reference on the segment they read (retention or the cleaner closes it
 * only when the read is done) and never see a partial batch (`size` moves only after a write).
 *
 * The upper bound is the high watermark, or for READ_COMMITTED the last stable offset (Kafka's
 * fetchLastStableOffsetMetadata): whole batches below it. The LSO is the base offset of the first
 * batch of the oldest open transaction (or the HW), so the read stops at that batch's position in its
 * segment. READ_COMMITTED reads also return the aborted transactions overlapping what they return
 * (aborted-transactions.ts): `[]` when none, or when nothing is returned.
 * ListOffsets (offsetForTimestamp) reads the same way.
 */
import type { LogSegment } from "./log-segment.js";
import type { LogSegments } from "./log-segments.js";
import type { ReadOptions, ReadResult, TimestampAndOffset } from "./partition-log.js";
import { ListOffsetsTimestamp } from "./partition-log.js";
import { readBufferPool } from "./read-buffer-pool.js";
import { collectAbortedTransactions, endOffsetOf } from "./aborted-transactions.js";

/** What a read sees of its log. */
export interface ReadableLog {
  readonly segments: LogSegments;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  readonly highWatermark: number;
  readonly lastStableOffset: number;
}

const noRelease = (): void => {};

/** The position of the batch holding `offset` in its segment (the end of what a read may return). */
async function positionOf(segments: LogSegments, offset: number): Promise<{ base: number; position: number } | null> {
  const seg = segments.floor(offset);
  if (!seg) return null;
  seg.acquire();
  try {
    const loc = await seg.translateOffset(offset);
    return { base: seg.baseOffset, position: loc ? loc.position : seg.size };
  } finally {
    seg.release();
  }
}

export async function readLog(log: ReadableLog, offset: number, options: ReadOptions): Promise<ReadResult> {
  const hw = log.highWatermark;
  const lso = log.lastStableOffset;
  const committed = options.isolation === "READ_COMMITTED";
  const base: ReadResult = { records: [], release: noRelease, bytes: 0, highWatermark: hw, lastStableOffset: lso, logStartOffset: log.logStartOffset, logEndOffset: log.logEndOffset };
  if (committed) base.abortedTransactions = [];
  if (offset < log.logStartOffset || offset > hw) return { ...base, error: "OFFSET_OUT_OF_RANGE" };
  const maxOffset = committed ? lso : hw;
  if (offset >= maxOffset) return base;
  const limit = maxOffset < hw ? await positionOf(log.segments, maxOffset) : null;
  const withAborted = (r: ReadResult, seg: LogSegment, upperBound: number): ReadResult =>
    committed ? { ...r, abortedTransactions: collectAbortedTransactions(log.segments, seg.baseOffset, offset, upperBound) } : r;
  for (const seg of log.segments.from(offset)) {
    if (limit && seg.baseOffset > limit.base) break;
    const maxPosition = limit && seg.baseOffset === limit.base ? limit.position : seg.size;
    seg.acquire();
    let keep = false;
    try {
      let taken: Buffer | null = null;
      const alloc = options.pooled && !options.asSlice ? (n: number): Buffer => (taken = readBufferPool.take(n)) : undefined;
      const r = await seg.read(offset, options.maxBytes, maxPosition, options.minOneBatch ?? true, !options.asSlice, alloc);
      const pooled = taken as Buffer | null;
      if (pooled && r?.bytes?.buffer !== pooled.buffer) readBufferPool.give(pooled);
      if (!r) continue;
      if (r.length === 0) return base;
      if (options.asSlice) {
        keep = true;
        let released = false;
        const release = (): void => {
          if (!released) {
            released = true;
            seg.release();
          }
        };
        // Without the bytes, the bound is the end of the segment's readable range (as loose as Kafka's).
        const upper = limit && seg.baseOffset === limit.base ? maxOffset : Math.min(maxOffset, log.segments.next(seg)?.baseOffset ?? maxOffset);
        return withAborted({ ...base, bytes: r.length, slice: { fd: seg.fd, path: seg.logPath, position: r.position, length: r.length }, release }, seg, upper);
      }
      const bytes = r.bytes ?? (await seg.readBytes(r.position, r.length));
      const upper = committed ? endOffsetOf(bytes) : 0;
      if (pooled && bytes.buffer === pooled.buffer) {
        let given = false;
        const release = (): void => {
          if (!given) {
            given = true;
            readBufferPool.give(pooled);
          }
        };
        return withAborted({ ...base, records: [bytes], bytes: bytes.length, release }, seg, upper);
      }
      return withAborted({ ...base, records: [bytes], bytes: bytes.length }, seg, upper);
    } finally {
      if (!keep) seg.release();
    }
  }
  return base;
}

/** Runs `fn` holding a reference on `seg` (retention or the cleaner may replace it meanwhile). */
async function withSegment<T>(seg: LogSegment, fn: (seg: LogSegment) => Promise<T>): Promise<T> {
  seg.acquire();
  try {
    return await fn(seg);
  } finally {
    seg.release();
  }
}

/**
 * ListOffsets. A timestamp >= 0: the first record (not batch) with a timestamp >= it, as Kafka (the
 * candidate batch is decompressed and its records scanned). MAX_TIMESTAMP (KIP-734): the first record
 * holding the largest timestamp, with its batch's leader epoch. LATEST carries `latestEpoch`.
 */
export async function offsetForTimestamp(log: ReadableLog, latestEpoch: number, timestamp: number): Promise<TimestampAndOffset | null> {
  if (timestamp === ListOffsetsTimestamp.EARLIEST) return { timestamp: -1, offset: log.logStartOffset, leaderEpoch: -1 };
  if (timestamp === ListOffsetsTimestamp.LATEST) return { timestamp: -1, offset: log.logEndOffset, leaderEpoch: latestEpoch };
  if (timestamp === ListOffsetsTimestamp.MAX_TIMESTAMP) {
    // The first segment with the largest max timestamp (-1 when no record has one, as in Kafka 4.4,
    // which then answers with the first record and timestamp -1), and in it the first record holding it.
    let best: LogSegment | null = null;
    for (const seg of log.segments.values()) {
      if (seg.size > 0 && (!best || seg.maxTimestampSoFar > best.maxTimestampSoFar)) best = seg;
    }
    if (!best) return null;
    return withSegment(best, (seg) => seg.findRecordByTimestamp(seg.maxTimestampSoFar, Math.max(seg.baseOffset, log.logStartOffset)));
  }
  // Kafka 4.4: only the first segment whose largestTimestamp (the last modification when no record
  // has a timestamp) reaches the target is searched.
  for (const seg of log.segments.values()) {
    if (seg.largestTimestamp < timestamp) continue;
    if (seg.size === 0) return null;
    return withSegment(seg, (s) => s.findRecordByTimestamp(timestamp, log.logStartOffset));
  }
  return null;
}
