/**
 * In-memory FileSystem with a page-cache model and fault injection, for the broker's `--memory` mode
 * and for tests.
 *
 * Model: each file has its current bytes (what reads see: the page cache) and its durable bytes (as of
 * its last `sync`). A crash (`injectFault({ kind: "crash" })` firing, or `crash()`) freezes the file
 * system: every later call fails with code "ECRASHED". `afterCrash(mode)` returns the file system a
 * restarted process would find:
 * - "strict": only synced bytes survive;
 * - "lenient": every written byte survives;
 * - "random": the synced bytes plus a random prefix of each file's unsynced tail (a torn page cache).
 * Simplification: directory operations (create, rename, unlink, mkdir) are durable at once, as if
 * every one were followed by `syncDir`; file contents follow the model above.
 *
 * Faults fire on the n-th matching operation (`after` matching operations are let through first):
 * "ENOSPC" / "EIO" fail a write after persisting `keepBytes` of it (default 0: a torn write leaves a
 * prefix); "EIO" on op "sync" fails an fsync; "crash" keeps `keepBytes` (default: random) of the write
 * in the page cache and then crashes.
 */
import type { FileHandle, FileSystem, OpenMode } from "./file-system.js";
import { dirname, basename } from "./file-system.js";

/**
 * A file's bytes, sparse at the end: `length` may exceed `data.length` (a preallocated index); bytes
 * in [data.length, length) read as zeros, and every byte of `data` at or past `length` is zero.
 */
class MemFile {
  data: Buffer = Buffer.alloc(0);
  length = 0;
  durable: Buffer = Buffer.alloc(0);
  durableLength = 0;
  view(): Buffer {
    if (this.length <= this.data.length) return this.data.subarray(0, this.length);
    const out = Buffer.alloc(this.length);
    this.data.copy(out);
    return out;
  }
  /** The stored bytes (a prefix of the file; the rest are zeros). */
  stored(): Buffer {
    return this.data.subarray(0, Math.min(this.length, this.data.length));
  }
  ensure(n: number): void {
    if (n <= this.data.length) return;
    const next = Buffer.alloc(Math.max(n, this.data.length * 2, 4096));
    this.data.copy(next, 0, 0, Math.min(this.length, this.data.length));
    this.data = next;
  }
  writeAt(src: Buffer, position: number): void {
    this.ensure(position + src.length);
    src.copy(this.data, position);
    this.length = Math.max(this.length, position + src.length);
  }
  read(buf: Buffer, offset: number, length: number, position: number): number {
    const n = Math.max(0, Math.min(length, this.length - position));
    if (n === 0) return 0;
    const fromData = Math.max(0, Math.min(n, this.data.length - position));
    if (fromData > 0) this.data.copy(buf, offset, position, position + fromData);
    if (fromData < n) buf.fill(0, offset + Math.max(0, fromData), offset + n);
    return n;
  }
  truncate(n: number): void {
    if (n < this.length && n < this.data.length) this.data.fill(0, n, Math.min(this.length, this.data.length));
    this.length = n;
  }
  sync(): void {
    this.durable = Buffer.from(this.stored());
    this.durableLength = this.length;
  }
  /** A file holding `bytes` (a stored prefix) and `length` in total. */
  static of(bytes: Buffer, length: number): MemFile {
    const f = new MemFile();
    f.writeAt(bytes.subarray(0, Math.min(bytes.length, length)), 0);
    f.length = length;
    f.sync();
    return f;
  }
}

export interface Fault {
  kind: "ENOSPC" | "EIO" | "crash";
  op?: "write" | "sync";
  /** Matching operations to let through before this fault fires (default 0). */
  after?: number;
  /** Only operations on paths containing this string or matching this regexp. */
  path?: string | RegExp;
  /** Bytes of the failing write kept in the page cache. */
  keepBytes?: number;
  /** Fire on every matching operation from then on (ENOSPC: a full disk) instead of once. */
  sticky?: boolean;
}

export type CrashMode = "strict" | "lenient" | "random";

function fsError(code: string, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code });
}

/** Small deterministic PRNG (mulberry32) so crash tests replay from a seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class MemHandle implements FileHandle {
  readonly fd = null;
  private closed = false;
  constructor(private readonly fs: MemoryFileSystem, private readonly path: string, private readonly file: MemFile, private readonly writable: boolean) {}
  private check(): void {
    this.fs.checkAlive();
    if (this.closed) throw fsError("EBADF", `${this.path} is closed`);
  }
  async read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    this.check();
    return this.file.read(buf, offset, length, position);
  }
  async write(buf: Buffer, offset: number, length: number, position: number): Promise<void> {
    this.writeRange(buf, offset, length, position);
  }
  readonly writeSync = (buf: Buffer, position: number): void => this.writeRange(buf, 0, buf.length, position);
  private writeRange(buf: Buffer, offset: number, length: number, position: number): void {
    this.check();
    if (!this.writable) throw fsError("EBADF", `${this.path} is read-only`);
    const src = buf.subarray(offset, offset + length);
    const fault = this.fs.takeFault("write", this.path);
    if (fault) {
      const keep = Math.min(length, fault.keepBytes ?? (fault.kind === "crash" ? Math.floor(this.fs.random() * (length + 1)) : 0));
      if (keep > 0) this.file.writeAt(src.subarray(0, keep), position);
      if (fault.kind === "crash") {
        this.fs.crash();
        throw fsError("ECRASHED", `crash injected writing ${this.path}`);
      }
      throw fsError(fault.kind, `injected writing ${this.path}`);
    }
    this.file.writeAt(src, position);
  }
  async writev(bufs: readonly Buffer[], position: number): Promise<void> {
    await this.write(bufs.length === 1 ? bufs[0]! : Buffer.concat(bufs), 0, bufs.reduce((n, b) => n + b.length, 0), position);
  }
  async sync(): Promise<void> {
    this.check();
    const fault = this.fs.takeFault("sync", this.path);
    if (fault) {
      if (fault.kind === "crash") {
        this.fs.crash();
        throw fsError("ECRASHED", `crash injected syncing ${this.path}`);
      }
      throw fsError(fault.kind, `injected syncing ${this.path}`);
    }
    if (this.fs.options.keepDurableCopies !== false) this.file.sync();
    this.fs.syncs++;
  }
  async truncate(length: number): Promise<void> {
    this.check();
    this.file.truncate(length);
  }
  async size(): Promise<number> {
    this.check();
    return this.file.length;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}

export class MemoryFileSystem implements FileSystem {
  readonly kind = "memory";
  private readonly files = new Map<string, MemFile>();
  private readonly dirs = new Set<string>(["/"]);
  private faults: (Fault & { seen: number })[] = [];
  private crashed = false;
  /** Counters, for tests choosing crash points. */
  writes = 0;
  syncs = 0;
  readonly random: () => number;

  /**
   * `keepDurableCopies: false` (the broker's `--memory` mode) skips the durable copy a sync makes:
   * half the memory and no copy per flush, but `afterCrash` then has nothing to return.
   */
  constructor(seed = 1, readonly options: { keepDurableCopies?: boolean } = {}) {
    this.random = rng(seed);
  }

  checkAlive(): void {
    if (this.crashed) throw fsError("ECRASHED", "the file system has crashed");
  }

  injectFault(fault: Fault): void {
    this.faults.push({ ...fault, seen: 0 });
  }
  clearFaults(): void {
    this.faults = [];
  }

  /** @internal */
  takeFault(op: "write" | "sync", path: string): Fault | null {
    if (op === "write") this.writes++;
    for (let i = 0; i < this.faults.length; i++) {
      const f = this.faults[i]!;
      if ((f.op ?? "write") !== op) continue;
      if (f.path !== undefined && !(typeof f.path === "string" ? path.includes(f.path) : f.path.test(path))) continue;
      if (f.seen++ < (f.after ?? 0)) continue;
      if (!f.sticky) this.faults.splice(i, 1);
      return f;
    }
    return null;
  }

  /** Freezes the file system as at a power loss. */
  crash(): void {
    this.crashed = true;
  }

  get isCrashed(): boolean {
    return this.crashed;
  }

  /** What a restarted process finds after a crash (see the module header). Crashes this one. */
  afterCrash(mode: CrashMode = "strict", seed = 7): MemoryFileSystem {
    if (this.options.keepDurableCopies === false) throw new Error("afterCrash needs a MemoryFileSystem that keeps durable copies");
    this.crashed = true;
    const next = new MemoryFileSystem(seed);
    const r = rng(seed);
    for (const d of this.dirs) next.dirs.add(d);
    for (const [path, f] of this.files) {
      let g: MemFile;
      if (mode === "lenient") g = MemFile.of(f.stored(), f.length);
      else if (mode === "strict") g = MemFile.of(f.durable, f.durableLength);
      else {
        // Synced bytes, then a random prefix of whatever was written past them.
        const extra = Math.max(0, f.length - f.durableLength);
        const keep = Math.floor(r() * (extra + 1));
        const len = Math.min(f.durableLength, f.length) + keep;
        const cur = f.stored();
        const bytes = Buffer.concat([f.durable.subarray(0, Math.min(f.durable.length, len)), cur.subarray(Math.min(f.durable.length, len), Math.min(cur.length, len))]);
        g = MemFile.of(bytes, len);
      }
      next.files.set(path, g);
    }
    return next;
  }

  private parentMustExist(path: string): void {
    if (!this.dirs.has(dirname(path))) throw fsError("ENOENT", `no directory ${dirname(path)}`);
  }

  async open(path: string, mode: OpenMode): Promise<FileHandle> {
    this.checkAlive();
    let f = this.files.get(path);
    if (!f) {
      if (mode !== "create") throw fsError("ENOENT", `no file ${path}`);
      this.parentMustExist(path);
      f = new MemFile();
      this.files.set(path, f);
    }
    return new MemHandle(this, path, f, mode !== "r");
  }
  async readFile(path: string): Promise<Buffer> {
    this.checkAlive();
    const f = this.files.get(path);
    if (!f) throw fsError("ENOENT", `no file ${path}`);
    return Buffer.from(f.view());
  }
  async writeFile(path: string, data: Buffer | string): Promise<void> {
    const h = await this.open(path, "create");
    const buf = typeof data === "string" ? Buffer.from(data) : data;
    await h.truncate(0);
    await h.write(buf, 0, buf.length, 0);
  }
  async rename(from: string, to: string): Promise<void> {
    this.checkAlive();
    const f = this.files.get(from);
    if (f) {
      this.parentMustExist(to);
      this.files.delete(from);
      this.files.set(to, f);
      return;
    }
    if (this.dirs.has(from)) {
      for (const d of [...this.dirs]) {
        if (d === from || d.startsWith(from + "/")) {
          this.dirs.delete(d);
          this.dirs.add(to + d.slice(from.length));
        }
      }
      for (const [p, file] of [...this.files]) {
        if (p.startsWith(from + "/")) {
          this.files.delete(p);
          this.files.set(to + p.slice(from.length), file);
        }
      }
      return;
    }
    throw fsError("ENOENT", `no file ${from}`);
  }
  async unlink(path: string): Promise<void> {
    this.checkAlive();
    if (!this.files.delete(path)) throw fsError("ENOENT", `no file ${path}`);
  }
  async readdir(path: string): Promise<string[]> {
    this.checkAlive();
    if (!this.dirs.has(path)) throw fsError("ENOENT", `no directory ${path}`);
    const out: string[] = [];
    for (const p of [...this.files.keys(), ...this.dirs]) if (p !== path && dirname(p) === path) out.push(basename(p));
    return out.sort();
  }
  async mkdir(path: string): Promise<void> {
    this.checkAlive();
    let p = path;
    while (p !== "/" && !this.dirs.has(p)) {
      this.dirs.add(p);
      p = dirname(p);
    }
  }
  async rmrf(path: string): Promise<void> {
    this.checkAlive();
    this.files.delete(path);
    this.dirs.delete(path);
    for (const p of [...this.files.keys()]) if (p.startsWith(path + "/")) this.files.delete(p);
    for (const d of [...this.dirs]) if (d.startsWith(path + "/")) this.dirs.delete(d);
  }
  async stat(path: string): Promise<{ size: number; isDirectory: boolean } | null> {
    this.checkAlive();
    const f = this.files.get(path);
    if (f) return { size: f.length, isDirectory: false };
    return this.dirs.has(path) ? { size: 0, isDirectory: true } : null;
  }
  async syncDir(path: string): Promise<void> {
    this.checkAlive();
    if (!this.dirs.has(path)) throw fsError("ENOENT", `no directory ${path}`);
  }
}
