/**
 * LogSegment: one `<base>.log` file of record batches exactly as appended (v2 batches back to back,
 * baseOffset and partitionLeaderEpoch patched, nothing else added: Kafka's DumpLogSegments reads it),
 * with its sparse OffsetIndex and TimeIndex and its TransactionIndex (aborted transactions whose
 * marker is in this segment).
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
import { LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, MIN_BATCH_LENGTH, readBatchHeader, validateBatch } from "../record/batch.js";
import type { TimestampAndOffset } from "./partition-log.js";
import * as reads from "./segment-reads.js";
import type { BatchLocation } from "./segment-reads.js";
import { OffsetIndex } from "./offset-index.js";
import { TimeIndex } from "./time-index.js";
import { TransactionIndex } from "./transaction-index.js";
import { filenamePrefixFromOffset, INDEX_SUFFIX, LOG_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX } from "./log-files.js";

/** One batch of an append, already offset-assigned. */
export interface AppendedBatch {
  /** Position in the appended buffer. */
  pos: number;
  size: number;
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

export type { BatchLocation } from "./segment-reads.js";

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
    readonly txnIndex: TransactionIndex,
    size: number,
    private readonly config: SegmentConfig,
    createdMs: number,
  ) {
    this.size = size;
    this.created = createdMs;
    this.lastModified = createdMs;
    this.rollJitterMs = randomSegmentJitter(config);
  }

  static paths(dir: string, baseOffset: number, suffix = ""): { log: string; index: string; timeIndex: string; txnIndex: string } {
    const p = joinPath(dir, filenamePrefixFromOffset(baseOffset));
    return { log: p + LOG_SUFFIX + suffix, index: p + INDEX_SUFFIX + suffix, timeIndex: p + TIME_INDEX_SUFFIX + suffix, txnIndex: p + TXN_INDEX_SUFFIX + suffix };
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
    const xi = await TransactionIndex.open(fs, p.txnIndex, baseOffset, options.loadIndexes);
    const seg = new LogSegment(fs, dir, baseOffset, p.log, log, oi, ti, xi, size, config, options.nowMs);
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

  readAt(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.log.read(buf, offset, length, position);
  }

  get indexIntervalBytes(): number {
    return this.config.indexIntervalBytes;
  }

  async readBytes(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    const n = await this.log.read(buf, 0, length, position);
    return n === length ? buf : buf.subarray(0, n);
  }

  /**
   * Headers from `position` to `end` until `fn` returns false; with `controlBodies` a control batch
   * comes with its bytes (segment-reads.ts).
   */
  scanBatches(position: number, end: number, fn: (loc: BatchLocation, h: RecordBatchHeader, batch?: Buffer) => boolean, controlBodies = false): Promise<void> {
    return reads.scanBatches(this, position, end, fn, controlBodies);
  }

  /** Whole batches from `position` to `end`, read in bounded chunks (segment-reads.ts). */
  batches(position = 0, end = this.size, chunkSize?: number): AsyncGenerator<{ h: RecordBatchHeader; bytes: Buffer; position: number }> {
    return reads.batches(this, position, end, chunkSize);
  }

  /** The first batch whose last offset is >= offset (segment-reads.ts). */
  translateOffset(offset: number, end = this.size): Promise<BatchLocation | null> {
    return reads.translateOffset(this, offset, end);
  }

  /** Whole batches from the one holding `startOffset` (segment-reads.ts). */
  read(startOffset: number, maxSize: number, maxPosition: number, minOneBatch: boolean, withBytes = false, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Promise<{ position: number; length: number; firstBatch: BatchLocation; bytes?: Buffer } | null> {
    return reads.read(this, startOffset, maxSize, maxPosition, minOneBatch, withBytes, alloc);
  }

  /** First batch at or after startingOffset whose maxTimestamp >= timestamp (segment-reads.ts). */
  findOffsetByTimestamp(timestamp: number, startingOffset: number): Promise<BatchLocation | null> {
    return reads.findOffsetByTimestamp(this, timestamp, startingOffset);
  }

  /** The first record at or after `startingOffset` with a timestamp >= `timestamp` (segment-reads.ts). */
  findRecordByTimestamp(timestamp: number, startingOffset: number): Promise<TimestampAndOffset | null> {
    return reads.findRecordByTimestamp(this, timestamp, startingOffset);
  }

  /** The offset after the last batch (baseOffset when empty). */
  readNextOffset(): Promise<number> {
    return reads.readNextOffset(this);
  }

  /**
   * Validates every batch (length, CRC-32C), rebuilds the offset and time indexes, empties the
   * transaction index (`onBatch` refills it: it sees each valid batch in order, with its bytes valid
   * during the call, for the producer state rebuild) and cuts the file after the last valid batch.
   * @returns bytes truncated (a torn or corrupt tail) and the next offset
   */
  async recover(onBatch?: (h: RecordBatchHeader, batch: Buffer) => void): Promise<{ truncatedBytes: number; nextOffset: number; reason: string | null }> {
    this.offsetIndex.reset();
    this.timeIndex.reset();
    this.txnIndex.reset();
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
        onBatch?.(h, buf.subarray(at, at + size));
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
    this.txnIndex.truncateTo(loc.baseOffset);
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
    await this.txnIndex.trim();
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
    await this.txnIndex.flush();
    this.unflushed = false;
  }

  /** Renames the four files from one suffix to another ('' for the live names). */
  async changeFileSuffixes(from: string, to: string): Promise<void> {
    const target = LogSegment.paths(this.dir, this.baseOffset, to);
    const strip = (p: string): string => (from && p.endsWith(from) ? p.slice(0, -from.length) : p);
    await this.fs.rename(this.logPath, strip(this.logPath) + to);
    this.logPath = target.log;
    await this.offsetIndex.renameTo(strip(this.offsetIndex.path) + to);
    await this.timeIndex.renameTo(strip(this.timeIndex.path) + to);
    await this.txnIndex.renameTo(strip(this.txnIndex.path) + to);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.onBecomeInactive().catch(() => {});
    await this.offsetIndex.close().catch(() => {});
    await this.timeIndex.close().catch(() => {});
    await this.txnIndex.close().catch(() => {});
    await this.log.close();
  }

  /** Closes and removes the files, once no reader holds the segment. */
  async deleteFiles(): Promise<void> {
    const del = async (): Promise<void> => {
      this.closed = true;
      await this.log.close().catch(() => {});
      await this.offsetIndex.deleteFile();
      await this.timeIndex.deleteFile();
      await this.txnIndex.deleteFile();
      await this.fs.unlink(this.logPath).catch(() => {});
    };
    if (this.readers > 0) this.deletePending = del;
    else await del();
  }
}
