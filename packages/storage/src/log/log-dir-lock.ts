/**
 * The data directory's `.lock` (Kafka's LogManager locks each log dir the same way, with a FileLock on
 * `<dir>/.lock`): one broker per directory. `lockLogDir` runs before anything in the directory is
 * read, synchronously (well under a millisecond), and also makes the directory usable: it creates it and
 * its missing parents (as Kafka does) and proves it writable by writing the lock.
 *
 * Why a lock file and not an OS lock: Node has no flock/fcntl, and the native module is optional. So the
 * lock is a file that names its holder, one line:
 *
 *   <pid> <start> <boot id> <hostname>
 *
 * `start` is the process start time from /proc/<pid>/stat (clock ticks since boot; "-" where there is
 * no /proc) and `boot id` is /proc/sys/kernel/random/boot_id ("-" likewise). The lock is *held* when the
 * holder still runs: same host, same boot, its pid alive (kill(pid, 0)), with the same start time. A
 * lock whose process died (kill -9, a crash, a reboot) or whose pid now belongs to another process (pid
 * reuse, a container's pid 1 after a restart) is stale and taken over, so a lock never outlives its
 * holder. A lock written on another host cannot be checked and counts as held (shared storage): the
 * message says to remove it by hand if that broker is gone.
 *
 * Atomicity: the line is written to `.lock.<pid>.tmp` and hard-linked to `.lock` (link fails on an
 * existing name), so `.lock` is never seen empty or half-written; where hard links are refused, an
 * exclusive create (O_EXCL) is used instead. A stale lock is renamed aside and its content compared
 * with the one judged stale: if another starter replaced it meanwhile, it is linked back, and the loop
 * reads it again. (Only three brokers starting within microseconds on a directory whose last holder died
 * could both win; Kafka's own FileLock has no such window, and we accept it.)
 *
 * Released by `release()` (the broker's close), and on process exit when the holder still owns it; a
 * process that cannot run either leaves a stale lock, which the next start takes over. `--memory` takes
 * no lock.
 */
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join, resolve } from "node:path";
import { OdradekError } from "@odradek/codec";
import { errorCode } from "../fs/file-system.js";

export const LOCK_FILE = ".lock";

/** The data directory cannot be used: `path` is where it failed, `cause` says why in words. */
export class LogDirError extends OdradekError {
  constructor(
    readonly path: string,
    readonly reason: string,
    readonly osCode?: string,
  ) {
    super("ERR_LOG_DIR", `data directory ${path}: ${reason}`, 56);
  }
}

/** Another live process holds the data directory's `.lock`. */
export class LogDirLockedError extends OdradekError {
  constructor(
    readonly dir: string,
    readonly holder: LockHolder,
  ) {
    const where = holder.host === hostname() ? "" : ` on host ${holder.host} (remove ${join(dir, LOCK_FILE)} if that broker is gone)`;
    super("ERR_LOG_DIR_LOCKED", `data directory ${dir} is locked by process ${holder.pid}${where}: another broker is using it (${join(dir, LOCK_FILE)})`, 56);
  }
}

export interface LockHolder {
  pid: number;
  start: string;
  boot: string;
  host: string;
}

export interface LogDirLock {
  readonly dir: string;
  /** Removes `.lock` if this process still holds it. Idempotent. */
  release(): void;
}

/** Directories this process holds (a lock naming our pid but not in here is an earlier process's). */
const lockedHere = new Set<string>();

/** Words for an OS error met while preparing the directory. */
function describe(code: string | undefined, e: unknown): string {
  switch (code) {
    case "ENOENT":
      return "cannot be created here (ENOENT: this file system takes no new entries, as /proc does)";
    case "EROFS":
      return "read-only file system (EROFS)";
    case "EACCES":
      return "permission denied (EACCES)";
    case "EPERM":
      return "operation not permitted (EPERM: e.g. /sys, or an immutable directory)";
    case "ENOSPC":
      return "no space left on device (ENOSPC)";
    case "EDQUOT":
      return "disk quota exceeded (EDQUOT)";
    case "ENAMETOOLONG":
      return "name too long (ENAMETOOLONG)";
    case "ELOOP":
      return "too many symbolic links (ELOOP)";
    default:
      return (e as Error)?.message ?? String(e);
  }
}

function fail(path: string, e: unknown): never {
  const code = errorCode(e);
  throw new LogDirError(path, describe(code, e), code);
}

/**
 * Creates `dir` and its missing parents one level at a time. (Node's `mkdir({ recursive: true })` loops
 * for ever where mkdir answers ENOENT under an existing parent, as in /proc.)
 */
function ensureDirectory(dir: string): void {
  const missing: string[] = [];
  for (let p = dir; ; p = dirname(p)) {
    let st;
    try {
      st = statSync(p, { throwIfNoEntry: false });
    } catch (e) {
      // ENOTDIR: a file where a parent should be.
      if (errorCode(e) === "ENOTDIR") throw new LogDirError(dir, "a parent of it is a file, not a directory (ENOTDIR)", "ENOTDIR");
      fail(p, e);
    }
    if (st) {
      if (!st.isDirectory()) throw new LogDirError(p, p === dir ? "is a file, not a directory" : `is a file, not a directory (a parent of ${dir})`, "ENOTDIR");
      break;
    }
    missing.push(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing.reverse()) {
    try {
      mkdirSync(p);
    } catch (e) {
      if (errorCode(e) === "EEXIST" && statSync(p, { throwIfNoEntry: false })?.isDirectory()) continue;
      fail(p, e);
    }
  }
}

function procStartTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // Field 22 (starttime), counted after the command name, which may hold spaces but ends at the last ')'.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? "-";
  } catch {
    return "-";
  }
}

let bootIdCache: string | undefined;
function bootId(): string {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim() || "-";
    } catch {
      bootIdCache = "-";
    }
  }
  return bootIdCache;
}

function parseHolder(text: string): LockHolder | null {
  const [pid, start, boot, host] = text.trim().split(" ");
  if (!pid || !/^\d+$/.test(pid) || !start || !boot || !host) return null;
  return { pid: Number(pid), start, boot, host };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return errorCode(e) === "EPERM";
  }
}

/** Whether the lock's holder still runs (see the header); an unreadable lock counts as stale. */
export function isHeld(holder: LockHolder | null): boolean {
  if (!holder) return false;
  if (holder.host !== hostname()) return true;
  if (holder.boot !== "-" && holder.boot !== bootId()) return false;
  if (holder.pid === process.pid) return false; // not written by us: an earlier process with our pid
  if (!pidAlive(holder.pid)) return false;
  return holder.start === "-" || holder.start === procStartTime(holder.pid);
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, "latin1");
  } catch (e) {
    if (errorCode(e) === "ENOENT") return null;
    throw e;
  }
}

/** Creates `path` holding `line`, failing with EEXIST when it exists; never visible half-written. */
function createExclusive(tmp: string, path: string, line: string): void {
  try {
    linkSync(tmp, path);
    return;
  } catch (e) {
    const code = errorCode(e);
    if (code === "EEXIST") throw e;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "EXDEV") throw e;
  }
  // No hard links here: an exclusive create (a reader may see it empty for an instant: unparsable locks
  // are retried below before they are judged stale).
  const fd = openSync(path, "wx");
  try {
    writeSync(fd, line);
  } finally {
    closeSync(fd);
  }
}

/**
 * Creates the data directory if needed and takes its lock.
 * @throws LogDirError when the directory cannot be created or written; LogDirLockedError when a live
 * process holds it.
 */
export function lockLogDir(dirArg: string, log?: { warn(obj: object, msg: string): void }): LogDirLock {
  const dir = resolve(dirArg);
  ensureDirectory(dir);
  const path = join(dir, LOCK_FILE);
  const line = `${process.pid} ${procStartTime(process.pid)} ${bootId()} ${hostname()}\n`;
  // Held by this very process (a second broker in one process: Kafka's OverlappingFileLockException).
  if (lockedHere.has(dir)) throw new LogDirLockedError(dir, parseHolder(line)!);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, line);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // never created
    }
    fail(dir, e);
  }
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        createExclusive(tmp, path, line);
        break;
      } catch (e) {
        if (errorCode(e) !== "EEXIST") fail(dir, e);
      }
      const text = readOrNull(path);
      if (text === null) continue; // released meanwhile
      const holder = parseHolder(text);
      if (holder && isHeld(holder)) throw new LogDirLockedError(dir, holder);
      if (holder === null && attempt < 3) {
        // Possibly an exclusive create still being written (no-hard-link file systems): look again.
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
        continue;
      }
      if (attempt >= 10) throw new LogDirError(dir, `cannot take ${LOCK_FILE}: it keeps changing`);
      const aside = `${path}.stale.${process.pid}`;
      try {
        renameSync(path, aside);
      } catch (e) {
        if (errorCode(e) === "ENOENT") continue;
        fail(dir, e);
      }
      if (readOrNull(aside) !== text) {
        // Another starter's fresh lock, not the stale one: put it back (unless a third took the name).
        try {
          linkSync(aside, path);
        } catch {
          // the name is taken again: the next round judges whoever holds it
        }
      } else {
        log?.warn({ dir, stalePid: holder?.pid ?? null }, "took over a stale data directory lock");
      }
      unlinkSync(aside);
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
  lockedHere.add(dir);
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    lockedHere.delete(dir);
    process.removeListener("exit", release);
    try {
      if (readOrNull(path) === line) unlinkSync(path);
    } catch {
      // the next start judges the lock stale
    }
  };
  process.on("exit", release);
  return { dir, release };
}
