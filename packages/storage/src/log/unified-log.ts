/**
 * UnifiedLog: the file-based PartitionLog of one partition (Kafka's LocalLog + UnifiedLog folded into
 * one class): segments, roll, truncation, log start offset, high watermark, producer state, flush.
 *
 * One owner per partition: every mutation (append, truncate, advance, roll, retention, segment swap,
 * flush, close) runs through a serial fastq queue, never concurrently. Appends that arrive while the
 * log is busy join one group: validated and answered one by one, written with one writev and, under
 * flush.messages, one fsync (see appendGroupLocked). Reads do not queue (log-read.ts).
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
import fastq from "fastq";
import type { queueAsPromised } from "fastq";
import type { FileSystem } from "../fs/file-system.js";
import type { Logger } from "../logger.js";
import { noopLogger } from "../logger.js";
import { KafkaStorageError, LogClosedError } from "../errors.js";
import type { LogConfig } from "./log-config.js";
import { LogSegment } from "./log-segment.js";
import type { AppendedBatch } from "./log-segment.js";
import { validateAndAssignOffsets } from "./log-validator.js";
import type { ValidatedAppend, ValidationContext } from "./log-validator.js";
import type { LogSegments } from "./log-segments.js";
import { loadLog } from "./log-loader.js";
import { ProducerStateManager } from "./producer-state-manager.js";
import type { ProducerStateEntry } from "./producer-state-manager.js";
import { ListOffsetsTimestamp } from "./partition-log.js";
import type { ActiveProducer, AppendOptions, AppendResult, PartitionLog, ReadOptions, ReadResult, TimestampAndOffset, TxnMarker } from "./partition-log.js";
import { DELETED_SUFFIX } from "./log-files.js";
import { readLog } from "./log-read.js";
import { replaySegment } from "./log-loader.js";
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
  /** Clock (ms), injectable for tests. */
  time?: () => number;
  /**
   * Called after the log start offset moved (the LogManager checkpoints it); the promise, if any,
   * resolves once the new offset is durable (advanceLogStartOffset waits for it).
   */
  onLogStartOffsetChange?: (offset: number) => Promise<void> | void;
}

type Task = () => Promise<unknown>;

/** Appends answered together (a bound on one writev). */
const MAX_APPEND_GROUP = 64;

interface PendingAppend {
  records: Buffer;
  options: AppendOptions;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

/** An accepted append with its offsets assigned, not yet written. */
interface Prepared extends ValidatedAppend {
  a: PendingAppend;
}
const NO_PRODUCERS: ReadonlyMap<number, ProducerStateEntry> = new Map();

export class UnifiedLog implements PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  config: LogConfig;
  private readonly fs: FileSystem;
  private readonly logger: Logger;
  private readonly time: () => number;
  private readonly queue: queueAsPromised<Task, unknown>;
  private _logStartOffset: number;
  private _logEndOffset: number;
  private _recoveryPoint: number;
  private unflushedMessages = 0;
  private lastFlushMs: number;
  private latestEpoch = -1;
  private closed = false;
  private failure: KafkaStorageError | null = null;
  /** The appends of the group queued last, which later appends join until it starts or is sealed. */
  private openGroup: PendingAppend[] | null = null;
  private readonly onLogStartOffsetChange: ((offset: number) => Promise<void> | void) | undefined;
  /** What the validator reads of this log (one object, read at each append). */
  private readonly validation: ValidationContext;
  /** Work started by a roll, not yet done (see afterRoll); never rejects. */
  private background: Promise<unknown> = Promise.resolve();

  private constructor(
    p: UnifiedLogParams,
    readonly segments: LogSegments,
    readonly producerState: ProducerStateManager,
    loaded: { logStartOffset: number; logEndOffset: number; recoveryPoint: number },
  ) {
    this.fs = p.fs;
    this.dir = p.dir;
    this.topic = p.topic;
    this.partition = p.partition;
    this.config = p.config;
    this.logger = (p.logger ?? noopLogger).child({ topic: p.topic, partition: p.partition });
    this.time = p.time ?? Date.now;
    this.queue = fastq.promise((task: Task) => task(), 1);
    this._logStartOffset = loaded.logStartOffset;
    this._logEndOffset = loaded.logEndOffset;
    this._recoveryPoint = loaded.recoveryPoint;
    this.lastFlushMs = this.time();
    this.onLogStartOffsetChange = p.onLogStartOffsetChange;
    const log = this;
    this.validation = {
      producerState,
      get logStartOffset() {
        return log._logStartOffset;
      },
      get messageTimestampType() {
        return log.config.messageTimestampType;
      },
      name: this.name,
      now: () => log.time(),
    };
  }

  /** Opens (creating if needed) and recovers the partition directory (see LogLoader). */
  static async open(p: UnifiedLogParams): Promise<UnifiedLog> {
    const logger = (p.logger ?? noopLogger).child({ topic: p.topic, partition: p.partition });
    const loaded = await loadLog({
      fs: p.fs,
      dir: p.dir,
      config: p.config,
      logger,
      recoveryPoint: p.recoveryPoint ?? 0,
      logStartOffset: p.logStartOffset ?? 0,
      nowMs: (p.time ?? Date.now)(),
    });
    return new UnifiedLog(p, loaded.segments, loaded.producerState, loaded);
  }

  get logStartOffset(): number {
    return this._logStartOffset;
  }
  get logEndOffset(): number {
    return this._logEndOffset;
  }
  get highWatermark(): number {
    return this._logEndOffset;
  }
  get lastStableOffset(): number {
    return Math.min(this.producerState.firstUnstableOffset() ?? this.highWatermark, this.highWatermark);
  }
  get recoveryPoint(): number {
    return this._recoveryPoint;
  }
  get sizeInBytes(): number {
    return this.segments.sizeInBytes;
  }
  get name(): string {
    return `${this.topic}-${this.partition}`;
  }

  /** Runs `fn` after every earlier mutation of this log, alone. */
  serial<T>(fn: () => Promise<T>): Promise<T> {
    // Appends queued after this must not join a group queued before it.
    this.openGroup = null;
    return this.enqueue(fn);
  }

  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.push(async () => {
      if (this.closed) throw new LogClosedError(this.name);
      if (this.failure) throw this.failure;
      return fn();
    }) as Promise<T>;
  }

  private fail(message: string, e: unknown): KafkaStorageError {
    const err = e instanceof KafkaStorageError ? e : new KafkaStorageError(`${message} (${this.name})`, e);
    this.logger.error({ err: err.message, code: err.osCode }, message);
    return err;
  }

  append(records: Buffer, options: AppendOptions = {}): Promise<AppendResult> {
    if (this.openGroup === null && this.queue.idle() && !this.closed && !this.failure) {
      const done = this.appendInline(records, options);
      if (done !== null) return done;
    }
    return new Promise<AppendResult>((resolve, reject) => {
      const pending: PendingAppend = { records, options, resolve, reject };
      const open = this.openGroup;
      if (open && open.length < MAX_APPEND_GROUP) {
        open.push(pending);
        return;
      }
      const group = [pending];
      this.openGroup = group;
      this.enqueue(() => {
        if (this.openGroup === group) this.openGroup = null;
        return this.appendGroupLocked(group);
      }).catch((e: unknown) => {
        for (const a of group) a.reject(e);
      });
    });
  }

  appendTxnMarker(marker: TxnMarker, options: Omit<AppendOptions, "origin"> = {}): Promise<AppendResult> {
    const batch = buildControlBatch({ ...marker, timestamp: options.nowMs ?? this.time() });
    return this.append(batch, { ...options, origin: "coordinator", crcChecked: true, producerCheck: true });
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
   * The synchronous path, taken when nothing of this log is queued or running: validate, write on the
   * calling thread, index and update producer state in one call, as one queued append would. null when
   * the append needs the queue (a roll first, or a file system without synchronous writes): nothing
   * has changed then. A failed write is cut back by a queued rollback, which later appends wait for.
   */
  private appendInline(records: Buffer, options: AppendOptions): Promise<AppendResult> | null {
    const seg = this.segments.active;
    if (!seg.canAppendSync) return null;
    let prepared: AppendResult | ValidatedAppend;
    try {
      prepared = validateAndAssignOffsets(records, options, this._logEndOffset, NO_PRODUCERS, this.validation);
    } catch (e) {
      return Promise.reject(e);
    }
    if (!("headers" in prepared)) return Promise.resolve(prepared);
    const now = options.nowMs ?? this.time();
    // A roll goes through the queue, which validates again: offsets and timestamps come out the same.
    if (this.shouldRoll(0, records.length, now, prepared.maxTimestamp)) return null;
    const start = seg.size;
    try {
      seg.appendSync(records, prepared.batches, now);
    } catch (e) {
      const err = this.fail("append failed, rolled back", e);
      this.enqueue(() => seg.rollbackTo(start)).catch(() => {});
      return Promise.reject(err);
    }
    this.recordAppended(prepared);
    const result = prepared.result(this._logStartOffset);
    if (this.unflushedMessages < this.config.flushMessages) return Promise.resolve(result);
    return this.enqueue(() => this.flushLocked()).then(() => result);
  }

  /**
   * The log's state after `p` was written: producer state (an aborted transaction a marker completes
   * goes into the active segment's `.txnindex`, where the marker is), leader epoch, log end, unflushed count.
   */
  private recordAppended(p: ValidatedAppend): void {
    p.headers.forEach((h, k) => {
      const completed = this.producerState.update(h, p.markers[k]);
      if (completed?.isAborted) this.segments.active.txnIndex.append(completed);
    });
    this.latestEpoch = p.epoch;
    this._logEndOffset = p.next;
    this.unflushedMessages += p.count;
  }

  /**
   * Appends queued while the log was busy, in order, each validated and answered on its own; the
   * accepted ones are written with one writev per segment (a roll in between splits the write) and,
   * with flush.messages, synced once (group commit: every append is acknowledged after its fsync).
   * A write or fsync failure fails every append of the group not yet acknowledged.
   */
  private async appendGroupLocked(group: readonly PendingAppend[]): Promise<void> {
    let chunk: Prepared[] = [];
    let bytes = 0;
    let next = this._logEndOffset;
    let producers: ReadonlyMap<number, ProducerStateEntry> = new Map();
    let i = 0;
    let writeNow = this.time();
    const write = async (): Promise<void> => {
      if (chunk.length === 0) return;
      const done = chunk;
      chunk = [];
      bytes = 0;
      const bufs: Buffer[] = [];
      const batches: AppendedBatch[] = [];
      let at = 0;
      for (const p of done) {
        bufs.push(p.records);
        for (const b of p.batches) batches.push({ ...b, pos: at + b.pos });
        at += p.records.length;
      }
      try {
        await this.segments.active.appendv(bufs, batches, writeNow);
      } catch (e) {
        throw this.fail("append failed, rolled back", e);
      }
      for (const p of done) this.recordAppended(p);
      if (this.unflushedMessages >= this.config.flushMessages) await this.flushLocked();
      for (const p of done) p.a.resolve(p.result(this._logStartOffset));
    };
    try {
      for (; i < group.length; i++) {
        const a = group[i]!;
        const prepared = validateAndAssignOffsets(a.records, a.options, next, producers, this.validation);
        if (!("headers" in prepared)) {
          a.resolve(prepared);
          continue;
        }
        const p: Prepared = { ...prepared, a };
        const now = a.options.nowMs ?? this.time();
        if (this.shouldRoll(bytes, a.records.length, now, p.maxTimestamp)) {
          await write();
          this.logger.debug({ segment: this.segments.active.baseOffset, maxTimestamp: p.batches[0]?.maxTimestamp }, "rolling segment");
          await this.roll(now);
        }
        chunk.push(p);
        writeNow = now;
        bytes += a.records.length;
        next = p.next;
        producers = p.producers;
      }
      await write();
    } catch (e) {
      for (const p of chunk) p.a.reject(e);
      for (const a of group.slice(i + 1)) a.reject(e);
      throw e;
    }
  }

  /**
   * Kafka's LogSegment.shouldRoll: whether `size` more bytes whose largest timestamp is `maxTimestamp`,
   * after `pending` bytes not yet written, go to a new segment: segment.bytes; segment.ms less this
   * segment's jitter, measured by timeWaitedForRoll (from the first batch's timestamp, against the
   * append's, or from creation, against the clock); a full index. Never for the first bytes of a segment.
   */
  private shouldRoll(pending: number, size: number, now: number, maxTimestamp: number): boolean {
    const seg = this.segments.active;
    if (seg.size + pending === 0) return false;
    return seg.size + pending + size > this.config.segmentBytes || seg.timeWaitedForRoll(now, maxTimestamp) > this.config.segmentMs - seg.rollJitterMs || seg.isFull;
  }

  /** Closes the active segment and starts a new one at the log end offset; snapshots producer state. */
  async roll(now = this.time()): Promise<LogSegment> {
    const old = this.segments.active;
    const base = this._logEndOffset;
    if (old.baseOffset === base && old.size === 0) return old;
    try {
      await old.onBecomeInactive();
      const seg = await LogSegment.open(this.fs, this.dir, base, this.config, { loadIndexes: false, nowMs: now });
      this.segments.add(seg);
      this.afterRoll(old, base);
      return seg;
    } catch (e) {
      throw this.fail("roll failed", e);
    }
  }

  /**
   * The fsync of the segment just closed and the producer-state snapshot at `base` (its contents taken
   * now) run off the queue, as Kafka schedules its flush on roll: appends go on into the new segment
   * meanwhile. Every queued operation that moves the recovery point or removes segments waits for
   * them first (settleBackground); a failure takes the log offline as a failed flush does.
   */
  private afterRoll(old: LogSegment, base: number): void {
    const snapshot = this.producerState.takeSnapshot(base);
    const flush = old.flush();
    this.background = Promise.all([this.background, snapshot, flush])
      .then(() => this.producerState.cleanSnapshots(this.config.maxProducerSnapshots, this.segments.first?.baseOffset ?? 0))
      .catch((e: unknown) => {
        this.failure ??= this.fail("fsync after roll failed", e);
      });
  }

  /** Waits for the work afterRoll started; throws when it failed. */
  private async settleBackground(): Promise<void> {
    await this.background;
    if (this.failure) throw this.failure;
  }

  read(offset: number, options: ReadOptions): Promise<ReadResult> {
    if (this.failure) return Promise.reject(this.failure);
    return readLog(this, offset, options);
  }

  /**
   * ListOffsets. A timestamp >= 0: the first record (not batch) with a timestamp >= it, as Kafka (the
   * candidate batch is decompressed and its records scanned). MAX_TIMESTAMP (KIP-734): the first record
   * holding the largest timestamp, with its batch's leader epoch.
   */
  async offsetForTimestamp(timestamp: number): Promise<TimestampAndOffset | null> {
    if (timestamp === ListOffsetsTimestamp.EARLIEST) return { timestamp: -1, offset: this._logStartOffset, leaderEpoch: -1 };
    if (timestamp === ListOffsetsTimestamp.LATEST) return { timestamp: -1, offset: this._logEndOffset, leaderEpoch: this.latestEpoch };
    if (timestamp === ListOffsetsTimestamp.MAX_TIMESTAMP) {
      // The first segment with the largest max timestamp (-1 when no record has one, as in Kafka 4.4,
      // which then answers with the first record and timestamp -1), and in it the first record holding it.
      let best: LogSegment | null = null;
      for (const seg of this.segments.values()) {
        if (seg.size > 0 && (!best || seg.maxTimestampSoFar > best.maxTimestampSoFar)) best = seg;
      }
      if (!best) return null;
      return this.withSegment(best, (seg) => seg.findRecordByTimestamp(seg.maxTimestampSoFar, Math.max(seg.baseOffset, this._logStartOffset)));
    }
    // Kafka 4.4: only the first segment whose largestTimestamp (the last modification when no record
    // has a timestamp) reaches the target is searched.
    for (const seg of this.segments.values()) {
      if (seg.largestTimestamp < timestamp) continue;
      if (seg.size === 0) return null;
      return this.withSegment(seg, (s) => s.findRecordByTimestamp(timestamp, this._logStartOffset));
    }
    return null;
  }

  /** Runs `fn` holding a reference on `seg` (retention or the cleaner may replace it meanwhile). */
  private async withSegment<T>(seg: LogSegment, fn: (seg: LogSegment) => Promise<T>): Promise<T> {
    seg.acquire();
    try {
      return await fn(seg);
    } finally {
      seg.release();
    }
  }

  truncateTo(offset: number): Promise<void> {
    return this.serial(async () => {
      if (offset >= this._logEndOffset) return;
      await this.settleBackground();
      try {
        const doomed = this.segments.values().filter((s) => s.baseOffset >= offset && s !== this.segments.first);
        for (const s of doomed) {
          this.segments.remove(s);
          await s.deleteFiles();
        }
        const last = this.segments.active;
        if (last.baseOffset >= offset) {
          // Everything goes: start again at `offset` (Kafka's truncateFullyAndStartAt).
          this.segments.remove(last);
          await last.deleteFiles();
          const seg = await LogSegment.open(this.fs, this.dir, offset, this.config, { loadIndexes: false, nowMs: this.time() });
          this.segments.add(seg);
          this._logStartOffset = offset;
          this._logEndOffset = offset;
        } else {
          await last.truncateTo(offset);
          // Cut stale entries from the files.
          await last.offsetIndex.trim();
          await last.timeIndex.trim();
          await last.txnIndex.trim();
          this._logEndOffset = await last.readNextOffset();
        }
        this._recoveryPoint = Math.min(this._recoveryPoint, this._logEndOffset);
        await this.flushLocked();
        await this.reloadProducerState();
      } catch (e) {
        throw (this.failure = this.fail("truncation failed", e));
      }
    });
  }

  private async reloadProducerState(): Promise<void> {
    await this.producerState.deleteSnapshotsFrom(this._logEndOffset);
    const from = (await this.producerState.loadLatestSnapshot(this._logEndOffset)) ?? this.segments.first!.baseOffset;
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
    await this.settleBackground();
    let deleted = 0;
    for (const seg of this.segments.values().slice()) {
      const next = this.segments.next(seg);
      if (!next || !shouldDelete(seg, next)) break;
      this.segments.remove(seg);
      try {
        await seg.changeFileSuffixes("", DELETED_SUFFIX);
      } catch (e) {
        this.logger.warn({ segment: seg.baseOffset, err: (e as Error).message }, "could not rename a deleted segment");
      }
      await seg.deleteFiles();
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
  applyRetention(now = this.time()): Promise<number> {
    return this.serial(async () => {
      if (!this.config.cleanupPolicy.includes("delete")) return 0;
      let n = 0;
      if (this.config.retentionMs >= 0) {
        const expired = (seg: LogSegment): boolean => now - seg.largestTimestamp > this.config.retentionMs;
        // As Kafka 4.4: when every segment has expired, the active one too (not empty), a new segment is
        // rolled first so that all of them go (the log start offset moves to the log end offset).
        const active = this.segments.active;
        if (active.size > 0 && this.segments.values().every(expired)) {
          await this.settleBackground();
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
   * must still be a closed segment of this log; otherwise the cleaned files are dropped.
   * Kafka's protocol: `.cleaned` → `.swap`, old → `.deleted`, `.swap` → live name, delete `.deleted`.
   */
  replaceSegment(old: LogSegment, cleaned: LogSegment, cleanedSuffix: string, swapSuffix: string): Promise<boolean> {
    return this.serial(async () => {
      await this.settleBackground();
      if (!this.closedSegments().includes(old) || old.baseOffset !== cleaned.baseOffset) {
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
    });
  }

  flush(): Promise<void> {
    return this.serial(() => this.flushLocked());
  }

  /** flush.ms: flushes when that long has passed since the last flush. */
  maybeFlushByTime(now = this.time()): Promise<void> {
    if (now - this.lastFlushMs < this.config.flushMs) return Promise.resolve();
    return this.flush();
  }

  private async flushLocked(): Promise<void> {
    const end = this._logEndOffset;
    await this.settleBackground();
    try {
      // Closed segments were flushed whole after their roll (awaited above); the active one needs only its log file synced:
      // its indexes are rebuilt or re-checked on load (LogLoader), so flush.messages=1 costs one fdatasync.
      for (const seg of this.segments.values()) {
        if (seg === this.segments.active) await seg.flushLog();
        else if (seg.unflushed) await seg.flush();
      }
    } catch (e) {
      throw (this.failure = this.fail("fsync failed", e));
    }
    this._recoveryPoint = end;
    this.unflushedMessages = 0;
    this.lastFlushMs = this.time();
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return this.serial(async () => {
      await this.flushLocked();
      await this.producerState.takeSnapshot(this._logEndOffset).catch(() => {});
      for (const seg of this.segments.values()) await seg.close();
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
      await this.background;
      for (const seg of this.segments.values()) await seg.deleteFiles();
      await this.fs.rmrf(this.dir);
    });
  }
}
