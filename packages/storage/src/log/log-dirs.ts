/**
 * LogDirs: several log directories (Kafka's `log.dirs`, JBOD), one LogManager per directory, and the
 * move of a partition from one to another (AlterReplicaLogDirs).
 *
 * Each directory has its own `meta.properties` (the same cluster.id and node.id, its own directory.id,
 * KIP-858), `.lock` (taken by the broker) and checkpoints (its LogManager). A partition lives in
 * exactly one of them. A new partition goes to the directory holding the fewest partitions, ties to
 * the one listed first (Kafka's LogManager.nextLogDirs).
 *
 * Moving a partition (single node, so no fetcher thread as Kafka's ReplicaAlterLogDirsThread):
 *   0. catch-up while appends go on: the files of its closed segments (which change only when
 *      retention or the cleaner replace or remove them) are copied into
 *      `<dest>/<topic>-<partition>.<32 hex>-future/`, in rounds (segments rolled meanwhile) until a
 *      round copies under 4 MiB or five rounds ran;
 * then, queued on the partition's own log behind a flush, so nothing appends, rolls, truncates or
 * cleans it meanwhile (reads go on):
 *   1. the rest is copied (the active segment, snapshots, and any file that changed since step 0 by
 *      size or mtime; files gone since are removed from the copy), every file fsynced (a cleaner's
 *      `.cleaned` and a deleted segment's `.deleted` files are left behind);
 *   2. the current directory is renamed to `<topic>-<partition>.<32 hex>-delete` (dir fsynced): from
 *      here the future copy is the partition's only live data;
 *   3. the future directory is renamed to `<topic>-<partition>` (dir fsynced) and opened in the
 *      destination's LogManager with the offsets the old log had; the caller swaps it in;
 *   4. the old log is retired: appends queued behind the move fail with LogClosedError (the client
 *      retries them on the new log); its segments close once their readers are done, its files go.
 * Crash safety, applied by `open` before any LogManager loads: a `-future` directory whose partition
 * has a live directory somewhere is an unfinished copy and is removed; one without is complete (step 2
 * happened) and is renamed to live. A partition live in two directories is refused (as Kafka does).
 *
 * A dir whose LogManager went offline (an I/O failure, log-manager.ts) gets no new partition; the
 * others keep serving theirs.
 */
import { randomBytes } from "node:crypto";
import type { FileHandle, FileSystem } from "../fs/file-system.js";
import { errorCode, joinPath } from "../fs/file-system.js";
import { CorruptLogError, KafkaStorageError } from "../errors.js";
import { CLEANED_SUFFIX, DELETED_SUFFIX, offsetFromFileName, parsePartitionDirName, partitionDirName } from "./log-files.js";
import { LogManager } from "./log-manager.js";
import type { LogManagerOptions, LogStoreReconfiguration } from "./log-manager.js";
import type { UnifiedLog } from "./unified-log.js";
import { loadOrCreateMetaProperties } from "../metadata/meta-properties.js";
import type { MetaProperties } from "../metadata/meta-properties.js";
import { systemClock } from "../clock.js";
import type { LogStore } from "../port.js";
import { noopLogger } from "../logger.js";
import type { Logger } from "../logger.js";

export const FUTURE_SUFFIX = "-future";
const FUTURE_DIR = /^(.+)\.([0-9a-f]{32})-future$/;
const COPY_CHUNK = 1 << 20;
/** Catch-up rounds before the partition's queue is held, and the copy size below which a round is the last. */
const CATCH_UP_ROUNDS = 5;
const CATCH_UP_ENOUGH = 4 << 20;

export interface LogDirsOptions extends Omit<LogManagerOptions, "dataDir"> {
  /** Absolute paths, in `log.dirs` order; the first also holds the broker's metadata. */
  dirs: readonly string[];
}

/** The destination of a move is not one of the broker's log dirs (LOG_DIR_NOT_FOUND). */
export class LogDirNotFoundError extends CorruptLogError {
  constructor(dir: string) {
    super(`Log dir ${dir} is not found in the config.`);
  }
}

/** A move in progress, as DescribeLogDirs shows it (the future replica). */
export interface FutureReplica {
  readonly topic: string;
  readonly partition: number;
  readonly dir: string;
  /** Bytes copied so far. */
  copiedBytes: number;
  /** The log end offset of the copy once complete, else the base offset of the next segment to copy. */
  copiedOffset: number;
}

/** Each dir's meta.properties: the first one's cluster id for every dir, one directory.id each. */
export async function loadOrCreateMetaPropertiesAll(fs: FileSystem, dirs: readonly string[], nodeId: number): Promise<MetaProperties[]> {
  const out: MetaProperties[] = [];
  for (const dir of dirs) {
    const m = await loadOrCreateMetaProperties(fs, dir, nodeId, out[0]?.clusterId);
    if (out[0] && m.clusterId !== out[0].clusterId) throw new CorruptLogError(`${dir} belongs to cluster ${m.clusterId}, not ${out[0].clusterId} (as ${dirs[0]})`);
    if (out.some((o) => o.directoryId === m.directoryId)) throw new CorruptLogError(`${dir} has the same directory.id as another log dir`);
    out.push(m);
  }
  return out;
}

export class LogDirs implements LogStore {
  private readonly byDir = new Map<string, LogManager>();
  private readonly moves = new Map<string, { future: FutureReplica; done: Promise<void> }>();
  /** Logs being created, by dir, not yet in their LogManager. */
  private readonly opening = new Map<LogManager, number>();

  private constructor(
    private readonly fs: FileSystem,
    readonly managers: readonly LogManager[],
    private readonly logger: Logger = noopLogger,
    private readonly time: () => number = () => systemClock.now(),
  ) {
    for (const m of managers) this.byDir.set(m.dataDir, m);
  }

  static async open(options: LogDirsOptions): Promise<LogDirs> {
    const { dirs, ...rest } = options;
    if (dirs.length === 0) throw new CorruptLogError("no log dir configured");
    if (new Set(dirs).size !== dirs.length) throw new CorruptLogError(`a log dir is listed twice: ${dirs.join(",")}`);
    await settleFutures(options.fs, dirs, options.logger ?? noopLogger);
    const managers: LogManager[] = [];
    try {
      for (const dir of dirs) managers.push(await LogManager.open({ ...rest, dataDir: dir }));
    } catch (e) {
      for (const m of managers) await m.close().catch(() => {});
      throw e;
    }
    const clock = options.clock ?? systemClock;
    return new LogDirs(options.fs, managers, options.logger ?? noopLogger, () => clock.now());
  }

  /** The first log dir (meta.properties, the metadata store). */
  get dataDir(): string {
    return this.managers[0]!.dataDir;
  }

  get dirs(): string[] {
    return this.managers.map((m) => m.dataDir);
  }

  private ownerOf(topic: string, partition: number): LogManager | undefined {
    return this.managers.find((m) => m.getLog(topic, partition) !== undefined);
  }

  getLog(topic: string, partition: number): UnifiedLog | undefined {
    for (const m of this.managers) {
      const l = m.getLog(topic, partition);
      if (l) return l;
    }
    return undefined;
  }

  /** The log dir holding the partition. */
  dirOf(topic: string, partition: number): string | undefined {
    return this.ownerOf(topic, partition)?.dataDir;
  }

  allLogs(): UnifiedLog[] {
    return this.managers.flatMap((m) => m.allLogs());
  }

  /** Logs of one dir. */
  logsIn(dir: string): UnifiedLog[] {
    return this.byDir.get(dir)?.allLogs() ?? [];
  }

  /** The partition's log, created empty in the dir with the fewest partitions when missing. */
  async getOrCreateLog(topic: string, partition: number): Promise<UnifiedLog> {
    const existing = this.getLog(topic, partition);
    if (existing) return existing;
    // Logs being created count already: a topic's partitions are opened several at a time.
    const count = (m: LogManager) => m.allLogs().length + (this.opening.get(m) ?? 0);
    const online = this.managers.filter((m) => !m.offline);
    let best = online[0];
    if (!best) throw new KafkaStorageError(`no log dir online for ${topic}-${partition}`, this.managers[0]!.offline);
    for (const m of online) if (count(m) < count(best)) best = m;
    this.opening.set(best, (this.opening.get(best) ?? 0) + 1);
    try {
      return await best.getOrCreateLog(topic, partition);
    } finally {
      this.opening.set(best, this.opening.get(best)! - 1);
    }
  }

  deleteLog(topic: string, partition: number): Promise<void> {
    return this.deleteLogs([{ topic, partition }]);
  }

  async deleteLogs(partitions: readonly { topic: string; partition: number }[]): Promise<void> {
    // A partition being moved is deleted where the move leaves it.
    await Promise.all(partitions.map((p) => this.moves.get(partitionDirName(p.topic, p.partition))?.done.catch(() => {})));
    await Promise.all(this.managers.map((m) => m.deleteLogs(partitions.filter((p) => m.getLog(p.topic, p.partition) !== undefined))));
  }

  updateTopicConfig(topic: string): void {
    for (const m of this.managers) m.updateTopicConfig(topic);
  }

  async checkpoint(): Promise<void> {
    for (const m of this.managers) await m.checkpoint();
  }

  async runRetention(now?: number): Promise<number> {
    let n = 0;
    for (const m of this.managers) n += await m.runRetention(now);
    return n;
  }

  removeExpiredProducers(now?: number): number {
    let n = 0;
    for (const m of this.managers) n += m.removeExpiredProducers(now);
    return n;
  }

  async flushByTime(now?: number): Promise<void> {
    for (const m of this.managers) await m.flushByTime(now);
  }

  async runCleaner(now?: number): Promise<void> {
    for (const m of this.managers) await m.runCleaner(now);
  }

  /** The dirs taken offline by an I/O failure (log-manager.ts), in `log.dirs` order. */
  offlineDirs(): string[] {
    return this.managers.filter((m) => m.offline).map((m) => m.dataDir);
  }

  reconfigure(changes: LogStoreReconfiguration): void {
    for (const m of this.managers) m.reconfigure(changes);
  }

  /** The moves in progress (their future replicas). */
  futures(): FutureReplica[] {
    return [...this.moves.values()].map((m) => m.future);
  }

  /** Resolves once every move started so far has ended (successfully or not). */
  async movesDone(): Promise<void> {
    while (this.moves.size > 0) await Promise.all([...this.moves.values()].map((m) => m.done.catch(() => {})));
  }

  /**
   * Moves a partition to `dir` (see the header); resolves once the new log serves it. `onSwap` is
   * called with the new log while the old one still holds its queue, so no append lands between the
   * two. Moving to the dir the partition is in does nothing; a move of a partition already moving
   * waits for that move first. @throws LogDirNotFoundError, KafkaStorageError, LogClosedError
   */
  moveLog(topic: string, partition: number, dir: string, onSwap: (log: UnifiedLog) => void): Promise<void> {
    const key = partitionDirName(topic, partition);
    const running = this.moves.get(key);
    if (running) return running.done.catch(() => {}).then(() => this.moveLog(topic, partition, dir, onSwap));
    const dst = this.byDir.get(dir);
    if (!dst) return Promise.reject(new LogDirNotFoundError(dir));
    const src = this.ownerOf(topic, partition);
    if (!src || src === dst) return Promise.resolve();
    const future: FutureReplica = { topic, partition, dir, copiedBytes: 0, copiedOffset: 0 };
    const done = this.move(src, dst, src.getLog(topic, partition)!, future, onSwap).finally(() => this.moves.delete(key));
    this.moves.set(key, { future, done });
    return done;
  }

  private async move(src: LogManager, dst: LogManager, old: UnifiedLog, future: FutureReplica, onSwap: (log: UnifiedLog) => void): Promise<void> {
    const fs = this.fs;
    const name = partitionDirName(old.topic, old.partition);
    const id = randomBytes(16).toString("hex");
    const futureDir = joinPath(dst.dataDir, `${name}.${id}${FUTURE_SUFFIX}`);
    const deleted = joinPath(src.dataDir, `${name}.${id}-delete`);
    let swapped = false;
    const started = this.time();
    let blockedAt = started;
    const copied = new Map<string, { size: number; mtimeMs: number | undefined }>();
    try {
      await fs.mkdir(futureDir);
      // Rounds while appends keep rolling new segments, until a round has little left to copy.
      for (let round = 0; round < CATCH_UP_ROUNDS; round++) {
        const activeBase = old.segments.active.baseOffset;
        const before = future.copiedBytes;
        await copyDir(fs, old.dir, futureDir, future, copied, (f) => (offsetFromFileName(f) ?? activeBase) < activeBase);
        if (future.copiedBytes - before < CATCH_UP_ENOUGH) break;
      }
    } catch (e) {
      await fs.rmrf(futureDir).catch(() => {});
      throw e instanceof KafkaStorageError ? e : new KafkaStorageError(`copying ${name} to ${dst.dataDir} failed`, e);
    }
    // Queued together: nothing of this log runs between the flush (which also waits for a roll's
    // background work) and the move.
    const flushed = old.flush();
    flushed.catch(() => {});
    const moved = old.serial(async () => {
      await flushed;
      blockedAt = this.time();
      const recoveryPoint = old.recoveryPoint;
      const logStartOffset = old.logStartOffset;
      try {
        const present = await copyDir(fs, old.dir, futureDir, future, copied, () => true);
        for (const f of await fs.readdir(futureDir)) if (!present.has(f)) await fs.unlink(joinPath(futureDir, f));
        future.copiedOffset = old.logEndOffset;
        await fs.syncDir(futureDir);
        await fs.syncDir(dst.dataDir);
      } catch (e) {
        await fs.rmrf(futureDir).catch(() => {});
        throw e instanceof KafkaStorageError ? e : new KafkaStorageError(`copying ${name} to ${dst.dataDir} failed`, e);
      }
      try {
        await fs.rename(old.dir, deleted);
        await fs.syncDir(src.dataDir);
        await fs.rename(futureDir, joinPath(dst.dataDir, name));
        await fs.syncDir(dst.dataDir);
        src.forgetLog(old.topic, old.partition);
        const next = await dst.adoptLog(old.topic, old.partition, recoveryPoint, logStartOffset);
        onSwap(next);
        swapped = true;
      } catch (e) {
        // The partition is offline until the next start completes the move (see the header).
        this.logger.error({ topic: old.topic, partition: old.partition, err: String(e) }, "swapping in a moved log failed");
        throw e instanceof KafkaStorageError ? e : new KafkaStorageError(`swapping in ${name} in ${dst.dataDir} failed`, e);
      } finally {
        old.retireLocked();
      }
    });
    try {
      await moved;
    } finally {
      if (swapped) {
        for (const seg of old.segments.values()) await seg.deleteFiles();
        await fs.rmrf(deleted).catch(() => {});
        await src.checkpoint();
        await dst.checkpoint();
        const now = this.time();
        this.logger.info({ topic: old.topic, partition: old.partition, from: src.dataDir, to: dst.dataDir, bytes: future.copiedBytes, ms: now - started, blockedMs: now - blockedAt }, "moved log");
      }
    }
  }

  async close(): Promise<void> {
    await this.movesDone();
    for (const m of this.managers) await m.close();
  }
}

/**
 * Copies the regular files of `from` that pass `take` into `to`, in name (so offset) order, each
 * fsynced; a file already in `copied` with the same size and mtime is left as copied. Returns the
 * names of every file `from` holds (taken or not).
 */
async function copyDir(fs: FileSystem, from: string, to: string, progress: FutureReplica, copied: Map<string, { size: number; mtimeMs: number | undefined }>, take: (name: string) => boolean): Promise<Set<string>> {
  const present = new Set<string>();
  for (const name of (await fs.readdir(from)).sort()) {
    if (name.endsWith(CLEANED_SUFFIX) || name.endsWith(DELETED_SUFFIX)) continue;
    const path = joinPath(from, name);
    const st = await fs.stat(path);
    if (!st || st.isDirectory) continue;
    present.add(name);
    if (!take(name)) continue;
    const before = copied.get(name);
    if (before && before.size === st.size && before.mtimeMs !== undefined && before.mtimeMs === st.mtimeMs) continue;
    progress.copiedOffset = Math.max(progress.copiedOffset, offsetFromFileName(name) ?? 0);
    const target = joinPath(to, name);
    if (before) await fs.unlink(target);
    let r: FileHandle;
    try {
      r = await fs.open(path, "r");
    } catch (e) {
      // Removed since readdir (retention or the cleaner runs meanwhile): gone from the copy too.
      if (errorCode(e) !== "ENOENT") throw e;
      present.delete(name);
      copied.delete(name);
      continue;
    }
    try {
      const w = await fs.open(target, "create");
      try {
        const buf = Buffer.allocUnsafe(Math.min(COPY_CHUNK, Math.max(1, st.size)));
        for (let pos = 0; pos < st.size; ) {
          const n = await r.read(buf, 0, Math.min(buf.length, st.size - pos), pos);
          if (n <= 0) break;
          await w.write(buf, 0, n, pos);
          pos += n;
          progress.copiedBytes += n;
        }
        await w.sync();
      } finally {
        await w.close();
      }
    } finally {
      await r.close();
    }
    copied.set(name, { size: st.size, mtimeMs: st.mtimeMs });
  }
  return present;
}

/** Completes or discards the moves a crash interrupted (see the header). */
async function settleFutures(fs: FileSystem, dirs: readonly string[], logger: Logger): Promise<void> {
  const live = new Map<string, string>();
  const futures: { dir: string; name: string; live: string }[] = [];
  for (const dir of dirs) {
    await fs.mkdir(dir);
    for (const name of await fs.readdir(dir)) {
      if (!(await fs.stat(joinPath(dir, name)))?.isDirectory) continue;
      const f = FUTURE_DIR.exec(name);
      if (f) {
        futures.push({ dir, name, live: f[1]! });
        continue;
      }
      if (name.endsWith("-delete") || !parsePartitionDirName(name)) continue;
      const other = live.get(name);
      if (other) throw new CorruptLogError(`Duplicate log directories for ${name} are found in both ${other} and ${dir}`);
      live.set(name, dir);
    }
  }
  for (const f of futures) {
    const path = joinPath(f.dir, f.name);
    if (live.has(f.live)) {
      logger.warn({ dir: path }, "removing an unfinished log dir move");
      await fs.rmrf(path);
    } else {
      logger.warn({ dir: path }, "completing a log dir move a stop interrupted");
      await fs.rename(path, joinPath(f.dir, f.live));
      await fs.syncDir(f.dir);
      live.set(f.live, f.dir);
    }
  }
}
