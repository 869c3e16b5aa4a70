/**
 * LogManager: every partition log under one data dir (Kafka's LogManager).
 *
 * Data dir layout: `<topic>-<partition>/` per partition (segments, indexes, snapshots), plus
 * `recovery-point-offset-checkpoint`, `log-start-offset-checkpoint` and, once a compacted log was
 * cleaned, `cleaner-offset-checkpoint` (checkpoint-file.ts), and
 * `<topic>-<partition>.<random>-delete/` for a partition being deleted (removed on the next start).
 *
 * Schedulers (repeating timers on `clock`, stopped by close): retention every
 * `retentionCheckIntervalMs`, flush by `flush.ms` every `flushCheckIntervalMs`, checkpoints every
 * `checkpointIntervalMs`, the cleaner every `cleanerBackoffMs`, producer-id expiry every
 * `producerIdExpirationCheckIntervalMs`. A run still going when the next comes due skips that one. A
 * failure in a scheduled task is logged, never thrown. `reconfigure` (dynamic broker configs) changes
 * the cleaner's backoff (its timer restarts on the new interval; a pass under way finishes, and no new
 * one starts until it has) and map bound (from the next pass) and `producerIdExpirationMs` (from the
 * next expiry check) at once. Every "now" (these tasks, the logs' LogAppendTime
 * and `segment.ms`) is `clock.now()`, so a ManualClock drives all of it.
 *
 * Offline (Kafka's LogDirFailureChannel): the first I/O failure of the dir itself (a checkpoint
 * write, a new partition's directory, unless the process ran out of file handles) or of one of its logs (a failed fsync, seen by the next flush
 * check) takes the whole dir offline: its schedulers stop, every log in it refuses every call with
 * KafkaStorageError, nothing is written to it again until a restart. Other dirs are not affected.
 */
import { randomBytes } from "node:crypto";
import type { FileSystem } from "../fs/file-system.js";
import { errorCode, joinPath } from "../fs/file-system.js";
import type { Logger } from "../logger.js";
import { noopLogger } from "../logger.js";
import { repeat, systemClock } from "../clock.js";
import type { Clock, Timer } from "../clock.js";
import { CLEANER_OFFSET_CHECKPOINT, OffsetCheckpointFile, LOG_START_OFFSET_CHECKPOINT, RECOVERY_POINT_CHECKPOINT, tpKey } from "./checkpoint-file.js";
import type { PartitionOffsets } from "./checkpoint-file.js";
import { defaultLogConfig, parseLogConfig } from "./log-config.js";
import type { LogConfig } from "./log-config.js";
import { parsePartitionDirName, partitionDirName } from "./log-files.js";
import { UnifiedLog } from "./unified-log.js";
import { LogCleaner } from "./log-cleaner.js";
import { LOG_IO_CONCURRENCY, mapLimit } from "../map-limit.js";
import { KafkaStorageError } from "../errors.js";

export interface LogManagerOptions {
  fs: FileSystem;
  dataDir: string;
  logger?: Logger;
  /** Broker-level defaults (Kafka's log.* settings). */
  defaults?: LogConfig;
  /** A topic's own configs (Kafka keys), over the defaults. */
  topicConfigs?: (topic: string) => Readonly<Record<string, string>>;
  /** Time for every scheduler and log (default the system clock). */
  clock?: Clock;
  /** Start the background schedulers (default true). */
  schedule?: boolean;
  retentionCheckIntervalMs?: number;
  flushCheckIntervalMs?: number;
  checkpointIntervalMs?: number;
  cleanerBackoffMs?: number;
  /** The cleaner's offset map bound per pass (LogCleanerParams.maxMapEntries). */
  cleanerMaxMapEntries?: number;
  /** `producer.id.expiration.ms` (default 1 day) and how often it is applied (default 10 minutes). */
  producerIdExpirationMs?: number;
  producerIdExpirationCheckIntervalMs?: number;
}

/** The options `reconfigure` changes on a running LogManager (Kafka's reconfigurable log cleaner and producer-state configs). */
export type LogStoreReconfiguration = Partial<Pick<LogManagerOptions, "cleanerBackoffMs" | "cleanerMaxMapEntries" | "producerIdExpirationMs">>;

/** The logs of one directory; LogDirs (log-dirs.ts) composes one per `log.dirs` entry into the LogStore. */
export class LogManager {
  private readonly logs = new Map<string, UnifiedLog>();
  private readonly fs: FileSystem;
  readonly dataDir: string;
  private readonly logger: Logger;
  private readonly defaults: LogConfig;
  private readonly topicConfigs: (topic: string) => Readonly<Record<string, string>>;
  private readonly time: () => number;
  private readonly clock: Clock;
  /** The schedulers by task name; `running` is shared across a timer's restart (reconfigure). */
  private readonly tasks = new Map<string, { timer: Timer; running: boolean }>();
  private readonly recoveryCheckpoint: OffsetCheckpointFile;
  private readonly startCheckpoint: OffsetCheckpointFile;
  private readonly cleanerCheckpoint: OffsetCheckpointFile;
  /** Whether cleaner-offset-checkpoint exists (written only once a log has a clean section). */
  private cleanerCheckpointed = false;
  readonly cleaner: LogCleaner;
  private closed = false;
  /** Set once the dir failed I/O (see the header). */
  offline: KafkaStorageError | null = null;

  private readonly options: LogManagerOptions;

  private constructor(options: LogManagerOptions) {
    this.options = { ...options };
    this.fs = options.fs;
    this.dataDir = options.dataDir;
    this.logger = options.logger ?? noopLogger;
    this.defaults = options.defaults ?? defaultLogConfig;
    this.topicConfigs = options.topicConfigs ?? (() => ({}));
    this.clock = options.clock ?? systemClock;
    this.time = () => this.clock.now();
    const entries = (offset: (l: UnifiedLog) => number | undefined) => () =>
      this.allLogs().flatMap((l) => {
        const o = offset(l);
        return o === undefined ? [] : [{ topic: l.topic, partition: l.partition, offset: o }];
      });
    this.recoveryCheckpoint = new OffsetCheckpointFile(this.fs, joinPath(this.dataDir, RECOVERY_POINT_CHECKPOINT), entries((l) => l.recoveryPoint));
    this.startCheckpoint = new OffsetCheckpointFile(this.fs, joinPath(this.dataDir, LOG_START_OFFSET_CHECKPOINT), entries((l) => l.logStartOffset));
    this.cleanerCheckpoint = new OffsetCheckpointFile(this.fs, joinPath(this.dataDir, CLEANER_OFFSET_CHECKPOINT), entries((l) => this.cleaner.cleanedOffset(l)));
    this.cleaner = new LogCleaner({ fs: this.fs, logger: this.logger, time: this.time, maxMapEntries: options.cleanerMaxMapEntries });
  }

  /** Opens the data dir and loads (recovering as needed) every partition in it. */
  static async open(options: LogManagerOptions): Promise<LogManager> {
    const m = new LogManager(options);
    await m.load();
    if (options.schedule !== false) m.startSchedulers();
    return m;
  }

  private async readCheckpoint(f: OffsetCheckpointFile): Promise<PartitionOffsets> {
    try {
      return await f.read();
    } catch (e) {
      this.logger.warn({ file: f.path, err: (e as Error).message }, "ignoring an unreadable checkpoint: recovering every log fully");
      return new Map();
    }
  }

  private async load(): Promise<void> {
    await this.fs.mkdir(this.dataDir);
    const recovery = await this.readCheckpoint(this.recoveryCheckpoint);
    const starts = await this.readCheckpoint(this.startCheckpoint);
    const cleaned = await this.readCheckpoint(this.cleanerCheckpoint);
    this.cleanerCheckpointed = cleaned.size > 0;
    const dirs: { name: string; topic: string; partition: number }[] = [];
    for (const name of await this.fs.readdir(this.dataDir)) {
      const path = joinPath(this.dataDir, name);
      if (!(await this.fs.stat(path))?.isDirectory) continue;
      if (name.endsWith("-delete")) {
        await this.fs.rmrf(path);
        continue;
      }
      const tp = parsePartitionDirName(name);
      if (tp) dirs.push({ name, ...tp });
    }
    const started = this.time();
    let loaded = 0;
    await mapLimit(dirs, LOG_IO_CONCURRENCY, async (d) => {
      const key = tpKey(d.topic, d.partition);
      const log = await this.openLog(d.topic, d.partition, recovery.get(key) ?? 0, starts.get(key) ?? 0);
      const cleanedTo = cleaned.get(key);
      if (cleanedTo !== undefined) this.cleaner.restore(log, cleanedTo);
      this.logger.info({ topic: d.topic, partition: d.partition, loaded: ++loaded, total: dirs.length, logEndOffset: log.logEndOffset }, "loaded log");
    });
    this.logger.info({ logs: dirs.length, ms: this.time() - started }, "logs loaded");
    await this.checkpoint();
  }

  private configFor(topic: string): LogConfig {
    return parseLogConfig(this.topicConfigs(topic), this.defaults);
  }

  private async openLog(topic: string, partition: number, recoveryPoint: number, logStartOffset: number): Promise<UnifiedLog> {
    const log = await UnifiedLog.open({
      fs: this.fs,
      dir: joinPath(this.dataDir, partitionDirName(topic, partition)),
      topic,
      partition,
      config: this.configFor(topic),
      logger: this.logger,
      recoveryPoint,
      logStartOffset,
      clock: this.clock,
      onLogStartOffsetChange: this.logStartOffsetChanged,
    });
    this.logs.set(tpKey(topic, partition), log);
    return log;
  }

  getLog(topic: string, partition: number): UnifiedLog | undefined {
    return this.logs.get(tpKey(topic, partition));
  }

  allLogs(): UnifiedLog[] {
    return [...this.logs.values()];
  }

  /** The partition's log, created empty when missing. */
  async getOrCreateLog(topic: string, partition: number): Promise<UnifiedLog> {
    const log = this.getLog(topic, partition);
    if (log) return log;
    if (this.offline) throw this.offline;
    try {
      return await this.openLog(topic, partition, 0, 0);
    } catch (e) {
      // Running out of file handles is the process's limit, not the dir's fault: the dir stays online.
      const code = errorCode(e);
      throw code === "EMFILE" || code === "ENFILE" ? e : this.takeOffline(e);
    }
  }

  /**
   * Takes the dir offline (see the header) after `cause`, once; returns the error every log of it
   * answers from now on.
   */
  takeOffline(cause: unknown): KafkaStorageError {
    if (this.offline) return this.offline;
    const err = new KafkaStorageError(`Log dir ${this.dataDir} is offline`, cause);
    this.offline = err;
    for (const t of this.tasks.values()) t.timer.cancel();
    const logs = this.allLogs();
    for (const log of logs) log.markOffline(err);
    this.logger.warn({ dir: this.dataDir, err: err.message, partitions: logs.map((l) => `${l.topic}-${l.partition}`) }, "stopping serving logs in an offline log dir");
    return err;
  }

  /** Opens a partition directory moved here from another log dir (log-dirs.ts), with the offsets it had there. */
  adoptLog(topic: string, partition: number, recoveryPoint: number, logStartOffset: number): Promise<UnifiedLog> {
    return this.openLog(topic, partition, recoveryPoint, logStartOffset);
  }

  /** Stops tracking a log that moved to another log dir (its files are the mover's to remove). */
  forgetLog(topic: string, partition: number): void {
    this.logs.delete(tpKey(topic, partition));
  }

  /** Removes a partition's log: renamed to `<dir>.<random>-delete` at once, files removed after. */
  deleteLog(topic: string, partition: number): Promise<void> {
    return this.deleteLogs([{ topic, partition }]);
  }

  /** deleteLog for many partitions (a topic), with one directory sync and one checkpoint. */
  async deleteLogs(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    const logs = partitions.map((p) => this.getLog(p.topic, p.partition)).filter((l): l is UnifiedLog => l !== undefined);
    if (logs.length === 0) return;
    for (const log of logs) this.logs.delete(tpKey(log.topic, log.partition));
    const doomed = await mapLimit(logs, LOG_IO_CONCURRENCY, async (log) => {
      await log.close().catch(() => {});
      const to = `${log.dir}.${randomBytes(8).toString("hex")}-delete`;
      await this.fs.rename(log.dir, to);
      return to;
    });
    await this.fs.syncDir(this.dataDir);
    await mapLimit(doomed, LOG_IO_CONCURRENCY, (d) => this.fs.rmrf(d));
    await this.checkpoint();
  }

  /** Re-reads a topic's configs (after AlterConfigs) into its logs. */
  updateTopicConfig(topic: string): void {
    const config = this.configFor(topic);
    for (const log of this.logs.values()) if (log.topic === topic) log.config = config;
  }

  /** Each checkpoint has one writer (OffsetCheckpointFile): these resolve once the state as of the call is durable. */
  checkpointRecoveryPoints(): Promise<void> {
    return this.recoveryCheckpoint.write();
  }
  checkpointLogStartOffsets(): Promise<void> {
    return this.startCheckpoint.write();
  }
  /** Every log's onLogStartOffsetChange (one function for all partitions): a failure is logged here. */
  private readonly logStartOffsetChanged = (): Promise<void> => {
    const durable = this.checkpointLogStartOffsets();
    durable.catch((e: unknown) => this.logger.error({ err: (e as Error).message }, "log start offset checkpoint failed"));
    return durable;
  };
  async checkpointCleanerOffsets(): Promise<void> {
    if (!this.cleanerCheckpointed && this.allLogs().every((l) => this.cleaner.cleanedOffset(l) === undefined)) return;
    await this.cleanerCheckpoint.write();
    this.cleanerCheckpointed = true;
  }
  async checkpoint(): Promise<void> {
    if (this.offline) return;
    try {
      await this.checkpointRecoveryPoints();
      await this.checkpointLogStartOffsets();
      await this.checkpointCleanerOffsets();
    } catch (e) {
      throw this.takeOffline(e);
    }
  }

  async runRetention(now = this.time()): Promise<number> {
    if (this.offline) return 0;
    let n = 0;
    for (const log of this.allLogs()) n += await log.applyRetention(now);
    return n;
  }

  /** Forgets idle producers in every log (producer.id.expiration.ms); returns how many. */
  removeExpiredProducers(now = this.time()): number {
    const ms = this.options.producerIdExpirationMs ?? 86_400_000;
    let n = 0;
    for (const log of this.allLogs()) n += log.producerState.removeExpired(now, ms);
    return n;
  }

  async flushByTime(now = this.time()): Promise<void> {
    if (this.offline) return;
    const failed = this.allLogs().find((l) => l.failure);
    if (failed) throw this.takeOffline(failed.failure);
    for (const log of this.allLogs()) await log.maybeFlushByTime(now);
  }

  async runCleaner(now = this.time()): Promise<void> {
    if (this.offline) return;
    for (const log of this.allLogs()) if (log.config.cleanupPolicy.includes("compact")) await this.cleaner.clean(log, now);
  }

  /** Starts (or restarts, on a new interval) the scheduler `name`. */
  private every(ms: number, name: string, task: () => Promise<unknown>): void {
    const old = this.tasks.get(name);
    old?.timer.cancel();
    const state = old ?? { timer: { cancel() {} }, running: false };
    state.timer = repeat(this.clock, ms, () => {
      if (state.running || this.closed) return;
      state.running = true;
      return task()
        .catch((e: unknown) => this.logger.error({ task: name, err: (e as Error).message }, "scheduled task failed"))
        .finally(() => (state.running = false));
    });
    this.tasks.set(name, state);
  }

  /** Applies changed dynamic broker configs (see the module header); undefined fields are left as they are. */
  reconfigure(changes: LogStoreReconfiguration): void {
    if (changes.producerIdExpirationMs !== undefined) this.options.producerIdExpirationMs = changes.producerIdExpirationMs;
    if (changes.cleanerMaxMapEntries !== undefined) {
      this.options.cleanerMaxMapEntries = changes.cleanerMaxMapEntries;
      this.cleaner.maxMapEntries = changes.cleanerMaxMapEntries;
    }
    if (changes.cleanerBackoffMs !== undefined && changes.cleanerBackoffMs !== (this.options.cleanerBackoffMs ?? 15_000)) {
      this.options.cleanerBackoffMs = changes.cleanerBackoffMs;
      if (this.tasks.has("cleaner") && !this.closed && !this.offline) this.every(changes.cleanerBackoffMs, "cleaner", () => this.runCleaner());
    }
  }

  private startSchedulers(): void {
    const o = this.options;
    this.every(o.retentionCheckIntervalMs ?? 300_000, "retention", () => this.runRetention());
    this.every(o.flushCheckIntervalMs ?? 1_000, "flush", () => this.flushByTime());
    this.every(o.checkpointIntervalMs ?? 60_000, "checkpoint", () => this.checkpoint());
    this.every(o.cleanerBackoffMs ?? 15_000, "cleaner", () => this.runCleaner());
    this.every(o.producerIdExpirationCheckIntervalMs ?? 600_000, "producer-expiry", async () => this.removeExpiredProducers());
  }

  /** Stops the schedulers, flushes and closes every log, and checkpoints (a clean shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.tasks.values()) t.timer.cancel();
    if (this.offline) {
      await Promise.allSettled(this.allLogs().map((log) => log.close()));
      return;
    }
    await mapLimit(this.allLogs(), LOG_IO_CONCURRENCY, (log) => log.close());
    await this.checkpoint();
  }
}
