/**
 * LocalLog: the segments of one partition on its file system (Kafka's LocalLog): the active segment
 * and roll, flush and the recovery point, truncation, deletion and the cleaner's segment swap. It
 * holds no offsets of its own beyond the log end offset; UnifiedLog owns the log start offset,
 * producer state and the serial queue, and calls every mutating method here from inside that queue.
 *
 * Invariants:
 *  - `segments` is never empty; the last one is the active segment, the only one written to.
 *  - recoveryPoint <= logEndOffset: every byte below the recovery point has been fsynced.
 *  - Background work (the fsync of a segment just rolled, the producer snapshot taken at the roll)
 *    runs off the queue; whatever moves the recovery point or removes segments waits for it first
 *    (settleBackground).
 *  - A failed fsync sets `failure` (as Kafka takes the log dir offline): UnifiedLog refuses every
 *    later call with it, and a reopen recovers from the last good state. A failed write is cut back
 *    by the caller (LogSegment.rollbackTo) and leaves the log usable.
 */
import type { FileSystem } from "../fs/file-system.js";
import type { Logger } from "../logger.js";
import type { Clock } from "../clock.js";
import { KafkaStorageError } from "../errors.js";
import type { LogConfig } from "./log-config.js";
import { LogSegment } from "./log-segment.js";
import type { LogSegments } from "./log-segments.js";
import { DELETED_SUFFIX } from "./log-files.js";

export interface LocalLogParams {
  fs: FileSystem;
  /** The partition directory. */
  dir: string;
  /** `<topic>-<partition>`, for messages. */
  name: string;
  config: LogConfig;
  logger: Logger;
  clock: Clock;
  segments: LogSegments;
  logEndOffset: number;
  recoveryPoint: number;
}

export class LocalLog {
  config: LogConfig;
  readonly fs: FileSystem;
  readonly dir: string;
  readonly name: string;
  readonly segments: LogSegments;
  logEndOffset: number;
  recoveryPoint: number;
  /** Records appended since the last flush (flush.messages). */
  unflushedMessages = 0;
  lastFlushMs: number;
  failure: KafkaStorageError | null = null;
  private readonly logger: Logger;
  private readonly clock: Clock;
  /** Work started by a roll, not yet done (see roll); never rejects. */
  private background: Promise<unknown> = Promise.resolve();

  constructor(p: LocalLogParams) {
    this.config = p.config;
    this.fs = p.fs;
    this.dir = p.dir;
    this.name = p.name;
    this.logger = p.logger;
    this.clock = p.clock;
    this.segments = p.segments;
    this.logEndOffset = p.logEndOffset;
    this.recoveryPoint = p.recoveryPoint;
    this.lastFlushMs = p.clock.now();
  }

  /** Logs a disk fault and wraps it as KafkaStorageError (once). */
  fail(message: string, e: unknown): KafkaStorageError {
    const err = e instanceof KafkaStorageError ? e : new KafkaStorageError(`${message} (${this.name})`, e);
    this.logger.error({ err: err.message, code: err.osCode }, message);
    return err;
  }

  /**
   * Kafka's LogSegment.shouldRoll: whether `size` more bytes whose largest timestamp is `maxTimestamp`,
   * after `pending` bytes not yet written, go to a new segment: segment.bytes; segment.ms less this
   * segment's jitter, measured by timeWaitedForRoll (from the first batch's timestamp, against the
   * append's, or from creation, against the clock); a full index. Never for the first bytes of a segment.
   */
  shouldRoll(pending: number, size: number, now: number, maxTimestamp: number): boolean {
    const seg = this.segments.active;
    if (seg.size + pending === 0) return false;
    return seg.size + pending + size > this.config.segmentBytes || seg.timeWaitedForRoll(now, maxTimestamp) > this.config.segmentMs - seg.rollJitterMs || seg.isFull;
  }

  /**
   * Closes the active segment and starts a new one at the log end offset. `onRolled(base)` is called
   * right after (UnifiedLog starts its producer snapshot there); its promise joins the fsync of the
   * closed segment off the queue, as Kafka schedules its flush on roll: appends go on into the new
   * segment meanwhile, and `then` runs once both are done. A failure takes the log offline as a
   * failed flush does.
   */
  async roll(now: number, onRolled: (base: number) => Promise<unknown>, then: () => Promise<unknown>): Promise<LogSegment> {
    const old = this.segments.active;
    const base = this.logEndOffset;
    if (old.baseOffset === base && old.size === 0) return old;
    try {
      await old.onBecomeInactive();
      const seg = await LogSegment.open(this.fs, this.dir, base, this.config, { loadIndexes: false, nowMs: now });
      this.segments.add(seg);
      const rolled = onRolled(base);
      this.background = Promise.all([this.background, rolled, old.flush()])
        .then(then)
        .catch((e: unknown) => {
          this.failure ??= this.fail("fsync after roll failed", e);
        });
      return seg;
    } catch (e) {
      throw this.fail("roll failed", e);
    }
  }

  /** Waits for the work a roll started; throws when it failed. */
  async settleBackground(): Promise<void> {
    await this.background;
    if (this.failure) throw this.failure;
  }

  /** Waits for the work a roll started, failed or not. */
  drainBackground(): Promise<unknown> {
    return this.background;
  }

  /** Syncs everything up to the log end offset; the recovery point moves there. */
  async flush(): Promise<void> {
    const end = this.logEndOffset;
    await this.settleBackground();
    try {
      // Closed segments were flushed whole after their roll (awaited above); the active one needs its log
      // file synced, and its `.txnindex` when an abort was indexed since (nothing to do otherwise): a clean
      // last segment keeps that index on load, while its offset and time indexes are re-checked there
      // (LogLoader), so flush.messages=1 costs one fdatasync.
      for (const seg of this.segments.values()) {
        if (seg === this.segments.active) {
          await seg.flushLog();
          await seg.txnIndex.flush();
        } else if (seg.unflushed) await seg.flush();
      }
    } catch (e) {
      throw (this.failure = this.fail("fsync failed", e));
    }
    this.recoveryPoint = end;
    this.unflushedMessages = 0;
    this.lastFlushMs = this.clock.now();
  }

  /**
   * Removes every batch at or above `offset` (below the log end offset): later segments go, the one
   * holding `offset` is cut, or when `offset` is at or below the first segment's base everything goes
   * and the log starts again at `offset` (Kafka's truncateFullyAndStartAt; returns true then).
   */
  async truncateTo(offset: number): Promise<boolean> {
    await this.settleBackground();
    let full = false;
    try {
      const doomed = this.segments.values().filter((s) => s.baseOffset >= offset && s !== this.segments.first);
      for (const s of doomed) {
        this.segments.remove(s);
        await s.deleteFiles();
      }
      const last = this.segments.active;
      if (last.baseOffset >= offset) {
        this.segments.remove(last);
        await last.deleteFiles();
        const seg = await LogSegment.open(this.fs, this.dir, offset, this.config, { loadIndexes: false, nowMs: this.clock.now() });
        this.segments.add(seg);
        this.logEndOffset = offset;
        full = true;
      } else {
        await last.truncateTo(offset);
        // Cut stale entries from the files.
        await last.offsetIndex.trim();
        await last.timeIndex.trim();
        await last.txnIndex.trim();
        this.logEndOffset = await last.readNextOffset();
      }
      this.recoveryPoint = Math.min(this.recoveryPoint, this.logEndOffset);
      await this.flush();
    } catch (e) {
      throw (this.failure = this.fail("truncation failed", e));
    }
    return full;
  }

  /** Takes a closed segment out of the log and deletes its files (renamed `.deleted` first, as Kafka). */
  async deleteSegment(seg: LogSegment): Promise<void> {
    this.segments.remove(seg);
    try {
      await seg.changeFileSuffixes("", DELETED_SUFFIX);
    } catch (e) {
      this.logger.warn({ segment: seg.baseOffset, err: (e as Error).message }, "could not rename a deleted segment");
    }
    await seg.deleteFiles();
  }

  /**
   * Swaps a cleaned segment (written with the `.cleaned` suffix and synced) in place of `old`, which
   * must still be a closed segment of this log; otherwise the cleaned files are dropped.
   * Kafka's protocol: `.cleaned` → `.swap`, old → `.deleted`, `.swap` → live name, delete `.deleted`.
   */
  async replaceSegment(old: LogSegment, cleaned: LogSegment, cleanedSuffix: string, swapSuffix: string): Promise<boolean> {
    await this.settleBackground();
    if (!this.segments.values().slice(0, -1).includes(old) || old.baseOffset !== cleaned.baseOffset) {
      await cleaned.deleteFiles();
      return false;
    }
    try {
      await cleaned.changeFileSuffixes(cleanedSuffix, swapSuffix);
      await this.fs.syncDir(this.dir);
      await old.changeFileSuffixes("", DELETED_SUFFIX);
      await cleaned.changeFileSuffixes(swapSuffix, "");
      await this.fs.syncDir(this.dir);
    } catch (e) {
      throw (this.failure = this.fail("segment swap failed", e));
    }
    this.segments.add(cleaned);
    await old.deleteFiles();
    return true;
  }

  async closeSegments(): Promise<void> {
    for (const seg of this.segments.values()) await seg.close();
  }

  /** Deletes every file of the log and its directory, without flushing. */
  async deleteAll(): Promise<void> {
    await this.background;
    for (const seg of this.segments.values()) await seg.deleteFiles();
    await this.fs.rmrf(this.dir);
  }
}
