/**
 * LogSegment: one `<base>.log` file of record batches exactly as appended (v2 batches back to back,
 * baseOffset and partitionLeaderEpoch patched, nothing else added: Kafka's DumpLogSegments reads it),
 * with its sparse OffsetIndex and TimeIndex.
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
}

const SCAN_CHUNK = 64 * 1024;
const RECOVER_CHUNK = 8 * 1024 * 1024;

export class LogSegment {
  size: number;
  maxTimestampSoFar = -1;
  offsetOfMaxTimestampSoFar = -1;
  private bytesSinceLastIndexEntry = 0;
  /** ms; the timestamp segment.ms is measured from (first batch's max timestamp, else creation). */
  rollingBasedTimestamp: number;
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
    this.rollingBasedTimestamp = createdMs;
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
    if (options.loadIndexes) {
      const last = ti.lastEntry;
      seg.maxTimestampSoFar = last.timestamp;
      seg.offsetOfMaxTimestampSoFar = last.offset;
    }
    return seg;
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
  async append(buffer: Buffer, batches: readonly AppendedBatch[]): Promise<void> {
    const start = this.size;
    try {
      await this.log.write(buffer, 0, buffer.length, start);
    } catch (e) {
      await this.log.truncate(start).catch(() => {});
      throw e;
    }
    this.unflushed = true;
    if (start === 0 && batches[0]) this.rollingBasedTimestamp = batches[0].maxTimestamp >= 0 ? batches[0].maxTimestamp : this.rollingBasedTimestamp;
    for (const b of batches) this.indexBatch(start + b.pos, b.size, b.baseOffset, b.maxTimestamp);
    this.size = start + buffer.length;
  }

  /** Index bookkeeping for a batch at `position` (append and recovery). */
  private indexBatch(position: number, size: number, baseOffset: number, maxTimestamp: number): void {
    if (maxTimestamp > this.maxTimestampSoFar) {
      this.maxTimestampSoFar = maxTimestamp;
      this.offsetOfMaxTimestampSoFar = baseOffset;
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
    let chunk: Buffer = Buffer.alloc(0);
    let chunkStart = position;
    let pos = position;
    while (pos + RECORD_BATCH_OVERHEAD <= end) {
      if (pos + RECORD_BATCH_OVERHEAD > chunkStart + chunk.length) {
        chunk = await this.readBytes(pos, Math.min(SCAN_CHUNK, end - pos));
        chunkStart = pos;
        if (chunk.length < RECORD_BATCH_OVERHEAD) return;
      }
      const h = readBatchHeader(chunk, pos - chunkStart);
      const size = h.batchLength + LOG_OVERHEAD;
      if (pos + size > end) return;
      if (!fn({ position: pos, size, baseOffset: h.baseOffset, lastOffset: h.baseOffset + h.lastOffsetDelta, maxTimestamp: h.maxTimestamp, leaderEpoch: h.partitionLeaderEpoch }, h)) return;
      pos += size;
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
  async read(startOffset: number, maxSize: number, maxPosition: number, minOneBatch: boolean, withBytes = false): Promise<{ position: number; length: number; firstBatch: BatchLocation; bytes?: Buffer } | null> {
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
    let valid = 0;
    let next = this.baseOffset;
    let reason: string | null = null;
    let chunk: Buffer = Buffer.alloc(0);
    let chunkStart = 0;
    const load = async (want: number): Promise<void> => {
      chunk = await this.readBytes(valid, Math.min(want, fileSize - valid));
      chunkStart = valid;
    };
    outer: while (valid < fileSize) {
      let pos = valid - chunkStart;
      if (chunk.length - pos < LOG_OVERHEAD) {
        await load(RECOVER_CHUNK);
        pos = 0;
        if (chunk.length < LOG_OVERHEAD) {
          reason = `torn batch header at position ${valid}`;
          break;
        }
      }
      const batchLength = chunk.readInt32BE(pos + 8);
      if (batchLength < MIN_BATCH_LENGTH) {
        reason = `bad batch length ${batchLength} at position ${valid}`;
        break;
      }
      if (pos + LOG_OVERHEAD + batchLength > chunk.length) {
        await load(Math.max(RECOVER_CHUNK, LOG_OVERHEAD + batchLength));
        pos = 0;
        if (LOG_OVERHEAD + batchLength > chunk.length) {
          reason = `torn batch at position ${valid}`;
          break;
        }
      }
      let h: RecordBatchHeader;
      try {
        h = validateBatch(chunk, pos);
      } catch (e) {
        if (!(e instanceof CorruptRecordError)) throw e;
        reason = `${e.message} (segment position ${valid})`;
        break outer;
      }
      if (h.baseOffset < next) {
        reason = `batch at position ${valid} has offset ${h.baseOffset} below ${next}`;
        break;
      }
      const size = batchLength + LOG_OVERHEAD;
      this.indexBatch(valid, size, h.baseOffset, h.maxTimestamp);
      onBatch?.(h);
      next = h.baseOffset + h.lastOffsetDelta + 1;
      valid += size;
    }
    const truncatedBytes = fileSize - valid;
    if (truncatedBytes > 0) await this.log.truncate(valid);
    this.size = valid;
    return { truncatedBytes, nextOffset: next, reason };
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
        this.offsetOfMaxTimestampSoFar = b.baseOffset;
      }
      return true;
    });
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
