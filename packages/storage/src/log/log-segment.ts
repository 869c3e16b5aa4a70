/**
 * LogSegment: one `<base>.log` file of record batches exactly as appended (v2 batches back to back,
 * baseOffset and partitionLeaderEpoch patched, nothing else added: Kafka's DumpLogSegments reads it),
 * with its sparse OffsetIndex and TimeIndex.
 *
 * Timestamps (Kafka 4.4's LogSegment): `maxTimestampSoFar` is the largest batch max timestamp and
 * `offsetOfMaxTimestampSoFar` the *last* offset of the first batch holding it (Kafka's shallow offset);
 * each time index entry is that pair. segment.ms measures from the first batch's max timestamp when it
 * is >= 0, against the incoming append's max timestamp; otherwise from the segment's creation, against
 * the clock (timeWaitedForRoll). Retention reads `largestTimestamp`: maxTimestampSoFar, or the log
 * file's last modification when no batch carries a timestamp.
 *
 * Invariants: `size` bytes of the file are whole, CRC-valid batches (bytes past `size` are a failed or
 * torn write, cut on recovery or rollback); batch offsets increase strictly and are >= baseOffset;
 * only the active (last) segment of a log is appended to. Reads take a reference (`acquire`) so a
 * segment deleted by retention or replaced by the cleaner is closed only when its last reader is done.
 */
import type { FileHandle, FileSystem } from "../fs/file-system.js";
import { joinPath } from "../fs/file-system.js";
import { CorruptRecordError } from "@odradek/codec";
import type { RecordBatchHeader } from "../record/batch.js";
import { LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, MIN_BATCH_LENGTH, readBatchHeader, readInt64, validateBatch } from "../record/batch.js";
import { recordsOf, recordTimestamp } from "../record/records.js";
import type { TimestampAndOffset } from "./partition-log.js";
import { OffsetIndex } from "./offset-index.js";
import { TimeIndex } from "./time-index.js";
import { filenamePrefixFromOffset, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX } from "./log-files.js";

/** One batch of an append, already offset-assigned. */
export interface AppendedBatch {
  /** Position in the appended buffer. */
  pos: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

export interface BatchLocation {
  position: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
  leaderEpoch: number;
}

export interface SegmentConfig {
  indexIntervalBytes: number;
  segmentIndexBytes: number;
  segmentMs?: number;
  segmentJitterMs?: number;
}

/** Kafka's LogConfig.randomSegmentJitter: uniform in [0, min(segment.jitter.ms, segment.ms)), 0 without jitter. */
function randomSegmentJitter(c: SegmentConfig): number {
  const jitter = c.segmentJitterMs ?? 0;
  if (jitter <= 0) return 0;
  return Math.floor(Math.random() * Math.min(jitter, c.segmentMs ?? jitter));
}

const SCAN_CHUNK = 64 * 1024;
const SCAN_CHUNK_MAX = 1024 * 1024;
const RECOVER_CHUNK = 8 * 1024 * 1024;

export class LogSegment {
  size: number;
  maxTimestampSoFar = -1;
  offsetOfMaxTimestampSoFar = -1;
  private bytesSinceLastIndexEntry = 0;
  /** The first batch's max timestamp (Kafka's rollingBasedTimestamp); null while the segment is empty. */
  private firstBatchMaxTimestamp: number | null = null;
  /** ms; when this object was created (Kafka's `created`: the clock at open, also for a loaded segment). */
  readonly created: number;
  /** ms; the log file's last modification (from the file system at open, then the clock of each append). */
  lastModified: number;
  /** Subtracted from segment.ms for this segment (segment.jitter.ms, drawn once per segment). */
  readonly rollJitterMs: number;
  /** Bytes appended since the last fsync of the log file. */
  unflushed = false;
  private readers = 0;
  private deletePending: (() => Promise<void>) | null = null;
  private closed = false;

  private constructor(
    private readonly fs: FileSystem,
    readonly dir: string,
    readonly baseOffset: number,
    public logPath: string,
    private log: FileHandle,
    readonly offsetIndex: OffsetIndex,
    readonly timeIndex: TimeIndex,
    size: number,
    private readonly config: SegmentConfig,
    createdMs: number,
  ) {
    this.size = size;
    this.created = createdMs;
    this.lastModified = createdMs;
    this.rollJitterMs = randomSegmentJitter(config);
  }

  static paths(dir: string, baseOffset: number, suffix = ""): { log: string; index: string; timeIndex: string } {
    const p = joinPath(dir, filenamePrefixFromOffset(baseOffset));
    return { log: p + LOG_SUFFIX + suffix, index: p + INDEX_SUFFIX + suffix, timeIndex: p + TIME_INDEX_SUFFIX + suffix };
  }

  /**
   * Opens (or creates) the segment's files. `loadIndexes` reads the index files as they are (checked
   * by sanityCheck); otherwise they start empty and `recover()` rebuilds them.
   */
  static async open(fs: FileSystem, dir: string, baseOffset: number, config: SegmentConfig, options: { suffix?: string; loadIndexes: boolean; nowMs: number }): Promise<LogSegment> {
    const p = LogSegment.paths(dir, baseOffset, options.suffix ?? "");
    const log = await fs.open(p.log, "create");
    const size = await log.size();
    const oi = await OffsetIndex.open(fs, p.index, baseOffset, config.segmentIndexBytes, options.loadIndexes);
    const ti = await TimeIndex.open(fs, p.timeIndex, baseOffset, config.segmentIndexBytes, options.loadIndexes);
    const seg = new LogSegment(fs, dir, baseOffset, p.log, log, oi, ti, size, config, options.nowMs);
    if (size > 0) {
      seg.lastModified = (await fs.stat(p.log))?.mtimeMs ?? options.nowMs;
      await seg.loadFirstBatchTimestamp();
    }
    if (options.loadIndexes) {
      const last = ti.lastEntry;
      seg.maxTimestampSoFar = last.timestamp;
      seg.offsetOfMaxTimestampSoFar = last.offset;
    }
    return seg;
  }

  /** Reads the first batch's max timestamp from the file (Kafka loads it lazily; one 61-byte read here). */
  private async loadFirstBatchTimestamp(): Promise<void> {
    this.firstBatchMaxTimestamp = null;
    if (this.size < RECORD_BATCH_OVERHEAD) return;
    const head = await this.readBytes(0, RECORD_BATCH_OVERHEAD);
    if (head.length === RECORD_BATCH_OVERHEAD) this.firstBatchMaxTimestamp = readBatchHeader(head, 0).maxTimestamp;
  }

  /**
   * Kafka's timeWaitedForRoll: `messageTimestamp` (the incoming append's max timestamp) minus the first
   * batch's max timestamp when that is >= 0, else the time since the segment was created.
   */
  timeWaitedForRoll(now: number, messageTimestamp: number): number {
    const ts = this.firstBatchMaxTimestamp ?? -1;
    return ts >= 0 ? messageTimestamp - ts : now - this.created;
  }

  /** Kafka's largestTimestamp (what retention.ms compares): the max timestamp, else the last modification. */
  get largestTimestamp(): number {
    return this.maxTimestampSoFar >= 0 ? this.maxTimestampSoFar : this.lastModified;
  }

  get fd(): number | null {
    return this.log.fd;
  }

  acquire(): void {
    this.readers++;
  }
  release(): void {
    this.readers--;
    if (this.readers === 0 && this.deletePending) {
      const d = this.deletePending;
      this.deletePending = null;
      void d();
    }
  }

  /**
   * Writes the batches (one buffer, already offset-patched) at the end of the file and indexes them.
   * On a write failure the file is cut back to its previous size, so nothing partial remains, and the
   * error is rethrown.
   */
  async append(buffer: Buffer, batches: readonly AppendedBatch[], nowMs?: number): Promise<void> {
    return this.appendv([buffer], batches, nowMs);
  }

  /** As append, for buffers written back to back with one writev (`pos` counts from the first). */
  async appendv(buffers: readonly Buffer[], batches: readonly AppendedBatch[], nowMs?: number): Promise<void> {
    const start = this.size;
    let length = 0;
    for (const b of buffers) length += b.length;
    try {
      await this.log.writev(buffers, start);
    } catch (e) {
      await this.log.truncate(start).catch(() => {});
      throw e;
    }
    this.recordWritten(start, length, batches, nowMs);
  }

  /** Bookkeeping after `length` bytes holding `batches` were written at `start`: indexes, then size. */
  private recordWritten(start: number, length: number, batches: readonly AppendedBatch[], nowMs: number | undefined): void {
    this.unflushed = true;
    if (nowMs !== undefined) this.lastModified = nowMs;
    if (start === 0 && batches[0]) this.firstBatchMaxTimestamp = batches[0].maxTimestamp;
    for (const b of batches) this.indexBatch(start + b.pos, b.size, b.baseOffset, b.lastOffset, b.maxTimestamp);
    this.size = start + length;
  }

  /** Whether `appendSync` can be used (the file system writes on the calling thread). */
  get canAppendSync(): boolean {
    return this.log.writeSync !== undefined;
  }

  /**
   * As append, written on the calling thread (requires canAppendSync). On a write failure nothing is
   * recorded (size unchanged) and the error is rethrown; the caller cuts the file back with `rollbackTo`.
   */
  appendSync(buffer: Buffer, batches: readonly AppendedBatch[], nowMs?: number): void {
    const start = this.size;
    this.log.writeSync!(buffer, start);
    this.recordWritten(start, buffer.length, batches, nowMs);
  }

  /** Cuts the file back to `size` after a failed write (bytes past it are a torn write). */
  async rollbackTo(size: number): Promise<void> {
    if (size === this.size) await this.log.truncate(size);
  }

  /**
   * Index bookkeeping for a batch at `position` (append and recovery). The time index pairs the max
   * timestamp so far with the last offset of the batch that first reached it (Kafka 4.4).
   */
  private indexBatch(position: number, size: number, baseOffset: number, lastOffset: number, maxTimestamp: number): void {
    if (maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = maxTimestamp;
      this.offsetOfMaxTimestampSoFar = lastOffset;
    }
    if (this.bytesSinceLastIndexEntry > this.config.indexIntervalBytes) {
      this.offsetIndex.append(baseOffset, position);
      this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += size;
  }

  get isFull(): boolean {
    return this.offsetIndex.isFull || this.timeIndex.isFull;
  }

  async readBytes(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    const n = await this.log.read(buf, 0, length, position);
    return n === length ? buf : buf.subarray(0, n);
  }

  /**
   * Calls `fn` with each batch header from `position` up to `end`, in order, until it returns false.
   * Headers only: reads 64 KiB chunks and never checks CRCs.
   */
  async scanBatches(position: number, end: number, fn: (loc: BatchLocation, h: RecordBatchHeader) => boolean): Promise<void> {
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
        chunkLen = await this.log.read(chunk, 0, len, pos);
        chunkStart = pos;
        want = Math.min(want * 4, SCAN_CHUNK_MAX);
        if (chunkLen < RECORD_BATCH_OVERHEAD) return;
      }
      const h = readBatchHeader(chunk.subarray(0, chunkLen), pos - chunkStart);
      const size = h.batchLength + LOG_OVERHEAD;
      if (pos + size > end) return;
      if (!fn({ position: pos, size, baseOffset: h.baseOffset, lastOffset: h.baseOffset + h.lastOffsetDelta, maxTimestamp: h.maxTimestamp, leaderEpoch: h.partitionLeaderEpoch }, h)) return;
      pos += size;
    }
  }

  /**
   * Whole batches from `position` up to `end`, in order, read in chunks of about `chunkSize` (a larger
   * batch is read alone): memory stays bounded whatever the segment's size (the cleaner). Each `bytes`
   * is a view into a chunk the generator does not reuse; the batches are not CRC-checked.
   */
  async *batches(position = 0, end = this.size, chunkSize = SCAN_CHUNK_MAX): AsyncGenerator<{ h: RecordBatchHeader; bytes: Buffer; position: number }> {
    let pos = position;
    while (pos + RECORD_BATCH_OVERHEAD <= end) {
      let chunk = await this.readBytes(pos, Math.min(chunkSize, end - pos));
      if (chunk.length < RECORD_BATCH_OVERHEAD) return;
      let at = 0;
      while (at + RECORD_BATCH_OVERHEAD <= chunk.length) {
        const size = chunk.readInt32BE(at + 8) + LOG_OVERHEAD;
        if (size < RECORD_BATCH_OVERHEAD) throw new CorruptRecordError(`batch of ${size} bytes at position ${pos} of ${this.logPath}`);
        if (at + size > chunk.length) {
          if (at > 0) break;
          // A batch larger than the chunk: read it alone.
          if (pos + size > end) return;
          chunk = await this.readBytes(pos, size);
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
  async translateOffset(offset: number, end = this.size): Promise<BatchLocation | null> {
    const start = this.offsetIndex.lookup(offset).position;
    let found: BatchLocation | null = null;
    await this.scanBatches(start, end, (loc) => {
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
  async read(startOffset: number, maxSize: number, maxPosition: number, minOneBatch: boolean, withBytes = false, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Promise<{ position: number; length: number; firstBatch: BatchLocation; bytes?: Buffer } | null> {
    if (withBytes) {
      const fast = await this.readOnce(startOffset, maxSize, maxPosition, minOneBatch, alloc);
      if (fast !== undefined) return fast;
    }
    const first = await this.translateOffset(startOffset, maxPosition);
    if (!first) return null;
    if (first.size > maxSize) {
      if (!minOneBatch) return { position: first.position, length: 0, firstBatch: first };
      return { position: first.position, length: first.size, firstBatch: first, ...(withBytes ? { bytes: await this.readBytes(first.position, first.size) } : {}) };
    }
    const window = Math.min(maxSize, maxPosition - first.position);
    if (withBytes) {
      // One read of the window, cut after the last whole batch in it.
      const buf = await this.readBytes(first.position, window);
      let length = 0;
      while (length + LOG_OVERHEAD <= buf.length) {
        const size = buf.readInt32BE(length + 8) + LOG_OVERHEAD;
        if (length + size > buf.length) break;
        length += size;
      }
      return { position: first.position, length, firstBatch: first, bytes: buf.subarray(0, length) };
    }
    let length = first.size;
    await this.scanBatches(first.position + first.size, first.position + window, (loc) => {
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
  private async readOnce(startOffset: number, maxSize: number, maxPosition: number, minOneBatch: boolean, alloc: (size: number) => Buffer): Promise<{ position: number; length: number; firstBatch: BatchLocation; bytes: Buffer } | null | undefined> {
    const from = this.offsetIndex.lookup(startOffset).position;
    const want = Math.min(maxSize + this.config.indexIntervalBytes + RECORD_BATCH_OVERHEAD, maxPosition - from);
    if (want <= 0) return null;
    const buf = alloc(want);
    const n = await this.log.read(buf, 0, want, from);
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
  async findOffsetByTimestamp(timestamp: number, startingOffset: number): Promise<BatchLocation | null> {
    const ts = this.timeIndex.lookup(timestamp);
    const from = this.offsetIndex.lookup(Math.max(ts.offset, startingOffset)).position;
    let found: BatchLocation | null = null;
    await this.scanBatches(from, this.size, (loc) => {
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
  async findRecordByTimestamp(timestamp: number, startingOffset: number): Promise<TimestampAndOffset | null> {
    const ts = this.timeIndex.lookup(timestamp);
    let from = this.offsetIndex.lookup(Math.max(ts.offset, startingOffset)).position;
    const end = this.size;
    for (;;) {
      let cand: BatchLocation | null = null;
      await this.scanBatches(from, end, (loc) => {
        if (loc.maxTimestamp < timestamp || loc.lastOffset < startingOffset) return true;
        cand = loc;
        return false;
      });
      const loc = cand as BatchLocation | null;
      if (!loc) return null;
      const bytes = await this.readBytes(loc.position, loc.size);
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
  async readNextOffset(): Promise<number> {
    let next = this.baseOffset;
    const from = this.offsetIndex.lookup(Number.MAX_SAFE_INTEGER).position;
    await this.scanBatches(from, this.size, (loc) => {
      next = loc.lastOffset + 1;
      return true;
    });
    return next;
  }

  /**
   * Validates every batch (length, CRC-32C), rebuilds both indexes and cuts the file after the last
   * valid batch. `onBatch` sees each valid batch header in order (producer state rebuild).
   * @returns bytes truncated (a torn or corrupt tail) and the next offset
   */
  async recover(onBatch?: (h: RecordBatchHeader) => void): Promise<{ truncatedBytes: number; nextOffset: number; reason: string | null }> {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.maxTimestampSoFar = -1;
    this.offsetOfMaxTimestampSoFar = -1;
    this.bytesSinceLastIndexEntry = 0;
    const fileSize = await this.log.size();
    // Large sequential reads into two reused buffers, the next chunk read while this one is checked;
    // a batch straddling two chunks is read on its own.
    const chunkSize = Math.max(LOG_OVERHEAD, Math.min(RECOVER_CHUNK, fileSize));
    let cur: Buffer = Buffer.allocUnsafe(chunkSize);
    let spare: Buffer = Buffer.allocUnsafe(chunkSize);
    let curStart = 0;
    let curLen = 0;
    let next: Promise<number> | null = null;
    let nextStart = 0;
    const readAt = (buf: Buffer, at: number): Promise<number> => this.log.read(buf, 0, Math.min(buf.length, fileSize - at), at);
    const moveTo = async (position: number): Promise<void> => {
      if (next !== null) {
        const n = await next;
        next = null;
        [cur, spare] = [spare, cur];
        curStart = nextStart;
        curLen = n;
      }
      if (position < curStart || position >= curStart + curLen) {
        curStart = position;
        curLen = await readAt(cur, position);
      }
      nextStart = curStart + curLen;
      if (curLen > 0 && nextStart < fileSize) next = readAt(spare, nextStart);
    };
    let valid = 0;
    let next_ = this.baseOffset;
    let reason: string | null = null;
    try {
      if (fileSize > 0) await moveTo(0);
      while (valid < fileSize) {
        if (fileSize - valid < LOG_OVERHEAD) {
          reason = `torn batch header at position ${valid}`;
          break;
        }
        let buf = cur;
        let at = valid - curStart;
        const inChunk = curLen - at;
        const batchLength = inChunk >= LOG_OVERHEAD ? cur.readInt32BE(at + 8) : (await this.readBytes(valid, LOG_OVERHEAD)).readInt32BE(8);
        if (batchLength < MIN_BATCH_LENGTH) {
          reason = `bad batch length ${batchLength} at position ${valid}`;
          break;
        }
        const size = batchLength + LOG_OVERHEAD;
        if (valid + size > fileSize) {
          reason = `torn batch at position ${valid}`;
          break;
        }
        if (size > inChunk) {
          buf = await this.readBytes(valid, size);
          at = 0;
          if (buf.length < size) {
            reason = `torn batch at position ${valid}`;
            break;
          }
        }
        let h: RecordBatchHeader;
        try {
          h = validateBatch(buf, at);
        } catch (e) {
          if (!(e instanceof CorruptRecordError)) throw e;
          reason = `${e.message} (segment position ${valid})`;
          break;
        }
        if (h.baseOffset < next_) {
          reason = `batch at position ${valid} has offset ${h.baseOffset} below ${next_}`;
          break;
        }
        this.indexBatch(valid, size, h.baseOffset, h.baseOffset + h.lastOffsetDelta, h.maxTimestamp);
        onBatch?.(h);
        next_ = h.baseOffset + h.lastOffsetDelta + 1;
        valid += size;
        if (valid >= curStart + curLen && valid < fileSize) await moveTo(valid);
      }
    } finally {
      await (next as Promise<number> | null)?.catch(() => 0);
    }
    const truncatedBytes = fileSize - valid;
    if (truncatedBytes > 0) await this.log.truncate(valid);
    this.size = valid;
    await this.loadFirstBatchTimestamp();
    return { truncatedBytes, nextOffset: next_, reason };
  }

  /**
   * Removes every batch whose last offset is >= offset (a batch holding `offset` goes whole).
   * @returns bytes removed
   */
  async truncateTo(offset: number): Promise<number> {
    const loc = await this.translateOffset(offset);
    if (!loc) return 0;
    const removed = this.size - loc.position;
    this.offsetIndex.truncateTo(loc.baseOffset);
    this.timeIndex.truncateTo(loc.baseOffset);
    await this.log.truncate(loc.position);
    this.size = loc.position;
    // Max timestamp and index spacing restart from what is left.
    this.maxTimestampSoFar = -1;
    this.offsetOfMaxTimestampSoFar = -1;
    await this.scanBatches(0, this.size, (b) => {
      if (b.maxTimestamp > this.maxTimestampSoFar) {
        this.maxTimestampSoFar = b.maxTimestamp;
        this.offsetOfMaxTimestampSoFar = b.lastOffset;
      }
      return true;
    });
    await this.loadFirstBatchTimestamp();
    this.bytesSinceLastIndexEntry = this.size - this.offsetIndex.lookup(Number.MAX_SAFE_INTEGER).position;
    this.unflushed = true;
    return removed;
  }

  /** The segment stops being active: final time index entry, files trimmed (Kafka's onBecomeInactiveSegment). */
  async onBecomeInactive(): Promise<void> {
    if (this.maxTimestampSoFar >= 0) this.timeIndex.maybeAppend(this.maxTimestampSoFar, this.offsetOfMaxTimestampSoFar);
    await this.offsetIndex.trim();
    await this.timeIndex.trim();
  }

  /** fdatasync of the log file only (the active segment's indexes are not trusted after a crash). */
  async flushLog(): Promise<void> {
    if (this.closed) return;
    await this.log.sync();
    this.unflushed = false;
  }

  async flush(): Promise<void> {
    if (this.closed) return;
    await this.log.sync();
    await this.offsetIndex.flush();
    await this.timeIndex.flush();
    this.unflushed = false;
  }

  /** Renames the three files from one suffix to another ('' for the live names). */
  async changeFileSuffixes(from: string, to: string): Promise<void> {
    const target = LogSegment.paths(this.dir, this.baseOffset, to);
    const strip = (p: string): string => (from && p.endsWith(from) ? p.slice(0, -from.length) : p);
    await this.fs.rename(this.logPath, strip(this.logPath) + to);
    this.logPath = target.log;
    await this.offsetIndex.renameTo(strip(this.offsetIndex.path) + to);
    await this.timeIndex.renameTo(strip(this.timeIndex.path) + to);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.onBecomeInactive().catch(() => {});
    await this.offsetIndex.close().catch(() => {});
    await this.timeIndex.close().catch(() => {});
    await this.log.close();
  }

  /** Closes and removes the files, once no reader holds the segment. */
  async deleteFiles(): Promise<void> {
    const del = async (): Promise<void> => {
      this.closed = true;
      await this.log.close().catch(() => {});
      await this.offsetIndex.deleteFile();
      await this.timeIndex.deleteFile();
      await this.fs.unlink(this.logPath).catch(() => {});
    };
    if (this.readers > 0) this.deletePending = del;
    else await del();
  }
}
