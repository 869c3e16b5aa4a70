/**
 * UnifiedLog: the file-based PartitionLog of one partition (Kafka's UnifiedLog): the log start
 * offset, high watermark and last stable offset, producer state, retention and the serial queue over
 * a LocalLog (local-log.ts: segments, roll, flush, truncation). The append path is log-append.ts
 * (checks in log-validator.ts and record-validator.ts), reads and ListOffsets are log-read.ts.
 *
 * One owner per partition: every mutation (append, truncate, advance, roll, retention, segment swap,
 * flush, close) runs through a serial queue (serial-queue.ts), never concurrently; an append runs
 * inline when the queue is idle (log-append.ts). Reads do not queue.
 *
 * Offsets: logStartOffset <= every served offset < logEndOffset; highWatermark = logEndOffset
 * (single replica); lastStableOffset = min(first offset of the oldest open transaction, HW).
 * Transactions: a marker (appendTxnMarker) is appended like any batch; once written, the transaction
 * it completes leaves the producer state and, when aborted, gets an entry in the `.txnindex` of the
 * segment it was written to (the active one). recoveryPoint: every byte below it has been
 * fsynced; the loader validates only what lies after it.
 *
 * Disk faults: a failed write is rolled back (the segment cut to its previous size) and the append
 * fails with KafkaStorageError; a failed fsync marks the log failed (as Kafka takes the log dir
 * offline): every later call throws that error, and a reopen recovers from the last good state.
 */
import type { FileSystem } from "../fs/file-system.js";
import type { Logger } from "../logger.js";
import { LazyChildLogger, noopLogger } from "../logger.js";
import { systemClock } from "../clock.js";
import type { Clock } from "../clock.js";
import { LogClosedError } from "../errors.js";
import { SerialQueue } from "../serial-queue.js";
import type { KafkaStorageError } from "../errors.js";
import type { LogConfig } from "./log-config.js";
import type { LogSegment } from "./log-segment.js";
import type { LogSegments } from "./log-segments.js";
import type { ValidatedAppend } from "./log-validator.js";
import { loadLog, replaySegment } from "./log-loader.js";
import type { ProducerStateManager } from "./producer-state-manager.js";
import type { ActiveProducer, AppendOptions, AppendResult, PartitionLog, ReadOptions, ReadResult, TimestampAndOffset, TxnMarker } from "./partition-log.js";
import { offsetForTimestamp, readLog } from "./log-read.js";
import { LocalLog } from "./local-log.js";
import { LogAppender } from "./log-append.js";
import type { AppendingLog } from "./log-append.js";
import { buildControlBatch } from "@odradek/codec";

export interface UnifiedLogParams {
  fs: FileSystem;
  /** The partition directory. */
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  logger?: Logger;
  /** From the recovery-point checkpoint (0 when unknown: everything is validated). */
  recoveryPoint?: number;
  logStartOffset?: number;
  /** Time for LogAppendTime, `segment.ms` and flush.ms (default the system clock). */
  clock?: Clock;
  /**
   * Called after the log start offset moved (the LogManager checkpoints it); the promise, if any,
   * resolves once the new offset is durable (advanceLogStartOffset waits for it).
   */
  onLogStartOffsetChange?: (offset: number) => Promise<void> | void;
}

/**
 * Memory: one of these per partition, so its wiring allocates no per-log closures or accessor
 * objects: the LocalLog, the LogAppender and the validator read this object itself (AppendingLog),
 * through methods and accessors on the prototype.
 */
export class UnifiedLog implements PartitionLog, AppendingLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  /** `<topic>-<partition>`, for messages. */
  readonly name: string;
  /** For log-append.ts (AppendingLog), as the members below marked so. */
  readonly local: LocalLog;
  /** For log-append.ts. */
  readonly logger: Logger;
  private readonly clock: Clock;
  private readonly queue = new SerialQueue();
  private _logStartOffset: number;
  private latestEpoch = -1;
  private closed = false;
  private readonly onLogStartOffsetChange: ((offset: number) => Promise<void> | void) | undefined;
  private readonly appender: LogAppender;

  private constructor(
    p: UnifiedLogParams,
    logger: Logger,
    segments: LogSegments,
    readonly producerState: ProducerStateManager,
    loaded: { logStartOffset: number; logEndOffset: number; recoveryPoint: number },
  ) {
    this.dir = p.dir;
    this.topic = p.topic;
    this.partition = p.partition;
    this.name = `${p.topic}-${p.partition}`;
    this.logger = logger;
    this.clock = p.clock ?? systemClock;
    this._logStartOffset = loaded.logStartOffset;
    this.onLogStartOffsetChange = p.onLogStartOffsetChange;
    this.local = new LocalLog({ fs: p.fs, dir: p.dir, name: this.name, config: p.config, logger, clock: this.clock, segments, logEndOffset: loaded.logEndOffset, recoveryPoint: loaded.recoveryPoint });
    this.appender = new LogAppender(this);
  }

  /** Opens (creating if needed) and recovers the partition directory (see LogLoader). */
  static async open(p: UnifiedLogParams): Promise<UnifiedLog> {
    const logger = p.logger ? new LazyChildLogger(p.logger, { topic: p.topic, partition: p.partition }) : noopLogger;
    const loaded = await loadLog({
      fs: p.fs,
      dir: p.dir,
      config: p.config,
      logger,
      recoveryPoint: p.recoveryPoint ?? 0,
      logStartOffset: p.logStartOffset ?? 0,
      nowMs: (p.clock ?? systemClock).now(),
    });
    return new UnifiedLog(p, logger, loaded.segments, loaded.producerState, loaded);
  }

  /** ms, on the log's clock (LogAppendTime, segment.ms, flush.ms). */
  now(): number {
    return this.clock.now();
  }

  /** For log-append.ts: open, not failed, and nothing of this log queued or running. */
  idle(): boolean {
    return this.queue.idle() && !this.closed && !this.local.failure;
  }

  /** The topic's log configs (the LogManager sets them again after AlterConfigs). */
  get config(): LogConfig {
    return this.local.config;
  }
  set config(config: LogConfig) {
    this.local.config = config;
  }
  get segments(): LogSegments {
    return this.local.segments;
  }
  /** The disk fault that took this log (or its dir) offline, else null. */
  get failure(): KafkaStorageError | null {
    return this.local.failure;
  }

  /** Takes the log offline with its dir (LogManager.takeOffline): every later call fails with `err`. */
  markOffline(err: KafkaStorageError): void {
    this.local.failure ??= err;
  }

  get logStartOffset(): number {
    return this._logStartOffset;
  }
  get logEndOffset(): number {
    return this.local.logEndOffset;
  }
  get highWatermark(): number {
    return this.local.logEndOffset;
  }
  get lastStableOffset(): number {
    return Math.min(this.producerState.firstUnstableOffset() ?? this.highWatermark, this.highWatermark);
  }
  get recoveryPoint(): number {
    return this.local.recoveryPoint;
  }
  get sizeInBytes(): number {
    return this.segments.sizeInBytes;
  }

  /** Runs `fn` after every earlier mutation of this log, alone. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    // Appends queued after this must not join a group queued before it.
    this.appender.seal();
    return this.enqueue(fn);
  }

  /** For log-append.ts: runs `fn` in the queue without sealing the open append group. */
  enqueue<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.push(async () => {
      if (this.closed) throw new LogClosedError(this.name);
      if (this.local.failure) throw this.local.failure;
      return fn();
    });
  }

  /** See log-append.ts. */
  append(records: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    return this.appender.append(records, options);
  }

  appendTxnMarker(marker: TxnMarker, options: Omit<AppendOptions, "origin"> = {}): Promise<AppendResult> {
    const batch = buildControlBatch({ ...marker, timestamp: options.nowMs ?? this.now() });
    return this.append(batch, { ...options, origin: "coordinator", producerCheck: true });
  }

  producers(): ActiveProducer[] {
    const out: ActiveProducer[] = [];
    for (const e of this.producerState.activeProducers.values()) {
      const last = e.batches[e.batches.length - 1];
      out.push({ producerId: e.producerId, producerEpoch: e.producerEpoch, lastSequence: last ? last.lastSeq : -1, lastTimestamp: e.lastTimestamp, coordinatorEpoch: e.coordinatorEpoch, currentTxnStartOffset: e.currentTxnFirstOffset ?? -1 });
    }
    return out;
  }

  /**
   * The log's state after `p` was written: producer state (an aborted transaction a marker completes
   * goes into the active segment's `.txnindex`, where the marker is), leader epoch, log end, unflushed
   * count. For log-append.ts.
   */
  recordAppended(p: ValidatedAppend): void {
    p.headers.forEach((h, k) => {
      const completed = this.producerState.update(h, p.markers[k]);
      if (completed?.isAborted) this.segments.active.txnIndex.append(completed);
    });
    this.latestEpoch = p.epoch;
    this.local.logEndOffset = p.next;
    this.local.unflushedMessages += p.count;
  }

  /** Closes the active segment and starts a new one at the log end offset; snapshots producer state (see LocalLog.roll). */
  roll(now = this.now()): Promise<LogSegment> {
    return this.local.roll(
      now,
      (base) => this.producerState.takeSnapshot(base),
      () => this.producerState.cleanSnapshots(this.config.maxProducerSnapshots, this.segments.first?.baseOffset ?? 0),
    );
  }

  read(offset: number, options: ReadOptions): Promise<ReadResult> {
    if (this.local.failure) return Promise.reject(this.local.failure);
    return readLog(this, offset, options);
  }

  offsetForTimestamp(timestamp: number): Promise<TimestampAndOffset | null> {
    return offsetForTimestamp(this, this.latestEpoch, timestamp);
  }

  truncateTo(offset: number): Promise<void> {
    return this.serial(async () => {
      if (offset >= this.local.logEndOffset) return;
      if (await this.local.truncateTo(offset)) this._logStartOffset = offset;
      try {
        await this.reloadProducerState();
      } catch (e) {
        throw (this.local.failure = this.local.fail("truncation failed", e));
      }
    });
  }

  private async reloadProducerState(): Promise<void> {
    const end = this.local.logEndOffset;
    await this.producerState.deleteSnapshotsFrom(end);
    const from = (await this.producerState.loadLatestSnapshot(end)) ?? this.segments.first!.baseOffset;
    for (const seg of this.segments.from(from)) await replaySegment(seg, from, this.producerState);
  }

  /**
   * DeleteRecords: resolves once the new log start offset is durable (onLogStartOffsetChange's promise,
   * awaited outside the log's queue so appends go on meanwhile), so an acknowledged deletion survives a
   * crash. @throws what the checkpoint write threw
   */
  async advanceLogStartOffset(offset: number): Promise<{ error?: "OFFSET_OUT_OF_RANGE"; logStartOffset: number }> {
    let durable: Promise<void> | void = undefined;
    const result = await this.serial(async () => {
      if (offset > this.highWatermark || offset < 0) return { error: "OFFSET_OUT_OF_RANGE" as const, logStartOffset: this._logStartOffset };
      if (offset > this._logStartOffset) {
        this._logStartOffset = offset;
        durable = this.onLogStartOffsetChange?.(offset);
        await this.deleteSegmentsLocked((seg, next) => next !== undefined && next.baseOffset <= this._logStartOffset, "log start offset");
      }
      return { logStartOffset: this._logStartOffset };
    });
    await durable;
    return result;
  }

  /**
   * Deletes closed segments from the oldest while `shouldDelete(segment, nextSegment)` holds (never the
   * active one); the log start offset moves to the first remaining segment.
   */
  private async deleteSegmentsLocked(shouldDelete: (seg: LogSegment, next: LogSegment | undefined) => boolean, reason: string): Promise<number> {
    await this.local.settleBackground();
    let deleted = 0;
    for (const seg of this.segments.values().slice()) {
      const next = this.segments.next(seg);
      if (!next || !shouldDelete(seg, next)) break;
      await this.local.deleteSegment(seg);
      deleted++;
      this.logger.info({ segment: seg.baseOffset, reason }, "deleted segment");
      if (next.baseOffset > this._logStartOffset) {
        this._logStartOffset = next.baseOffset;
        void this.onLogStartOffsetChange?.(this._logStartOffset); // not awaited: retention does not wait for the checkpoint, whose owner logs a failure
      }
    }
    if (deleted > 0) await this.producerState.cleanSnapshots(this.config.maxProducerSnapshots, this.segments.first?.baseOffset ?? 0);
    return deleted;
  }

  /** retention.ms / retention.bytes over closed segments (cleanup.policy containing delete). */
  applyRetention(now = this.now()): Promise<number> {
    return this.serial(async () => {
      if (!this.config.cleanupPolicy.includes("delete")) return 0;
      let n = 0;
      if (this.config.retentionMs >= 0) {
        const expired = (seg: LogSegment): boolean => now - seg.largestTimestamp > this.config.retentionMs;
        // As Kafka 4.4: when every segment has expired, the active one too (not empty), a new segment is
        // rolled first so that all of them go (the log start offset moves to the log end offset).
        const active = this.segments.active;
        if (active.size > 0 && this.segments.values().every(expired)) {
          await this.local.settleBackground();
          await this.roll(now);
        }
        n += await this.deleteSegmentsLocked(expired, "retention.ms");
      }
      if (this.config.retentionBytes >= 0) {
        let excess = this.segments.sizeInBytes - this.config.retentionBytes;
        n += await this.deleteSegmentsLocked((seg) => {
          if (excess - seg.size < 0) return false;
          excess -= seg.size;
          return true;
        }, "retention.bytes");
      }
      return n;
    });
  }

  /** Closed segments, oldest first (what the cleaner may rewrite). */
  closedSegments(): LogSegment[] {
    return this.segments.values().slice(0, -1);
  }

  /**
   * Swaps a cleaned segment (written with the `.cleaned` suffix and synced) in place of `old`, which
   * must still be a closed segment of this log; otherwise the cleaned files are dropped (LocalLog.replaceSegment).
   */
  replaceSegment(old: LogSegment, cleaned: LogSegment, cleanedSuffix: string, swapSuffix: string): Promise<boolean> {
    return this.serial(() => this.local.replaceSegment(old, cleaned, cleanedSuffix, swapSuffix));
  }

  flush(): Promise<void> {
    return this.serial(() => this.local.flush());
  }

  /** flush.ms: flushes when that long has passed since the last flush. */
  maybeFlushByTime(now = this.now()): Promise<void> {
    if (now - this.local.lastFlushMs < this.config.flushMs) return Promise.resolve();
    return this.flush();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.serial(async () => {
      await this.local.flush();
      await this.producerState.takeSnapshot(this.local.logEndOffset).catch(() => {});
      await this.local.closeSegments();
      this.closed = true;
    });
  }

  /**
   * From inside a task of this log's own queue (`serial`): marks the log closed and leaves its files
   * alone, so every call queued behind fails with LogClosedError (AlterReplicaLogDirs retires a log
   * this way once its copy in another log dir has replaced it; the mover disposes of the files).
   */
  retireLocked(): void {
    this.closed = true;
  }

  /** Closes without flushing, then removes the partition directory (DeleteTopics). */
  delete(): Promise<void> {
    return this.serial(async () => {
      this.closed = true;
      await this.local.deleteAll();
    });
  }
}
