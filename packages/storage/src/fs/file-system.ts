/**
 * The file-system seam: exactly the operations the storage engine uses. Two implementations:
 * NodeFileSystem (node:fs promises, fd based) and MemoryFileSystem (the broker's `--memory` mode and
 * tests, with injected torn writes, ENOSPC, EIO and crashes).
 *
 * Contract (both implementations):
 * - Paths are absolute, '/'-separated. Failures are errors with a Node-style `code` ("ENOENT",
 *   "ENOSPC", "EIO", "EEXIST", ...).
 * - `write` is positional and may be torn: after a failure, any prefix of the bytes may be in the file.
 *   Callers that must not leave partial data truncate back (see LogSegment.append).
 * - Written bytes are visible to reads at once (page cache) but survive a crash only after `sync`
 *   on the handle. Directory changes (create, rename, unlink) survive a crash after `syncDir`.
 */
export interface FileHandle {
  /** The OS descriptor, when there is one (for a sendfile-like path); null in memory. */
  readonly fd: number | null;
  read(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  /** Writes all of buf[offset, offset+length) at position (loops over short writes). */
  write(buf: Buffer, offset: number, length: number, position: number): Promise<void>;
  /** Writes several buffers back to back at position (one writev where possible). */
  writev(bufs: readonly Buffer[], position: number): Promise<void>;
  /**
   * Writes all of buf at position on the calling thread (may be torn like `write`). Present only where a
   * write completes without waiting (node:fs inline mode, memory): the log's synchronous append path.
   */
  readonly writeSync?: (buf: Buffer, position: number) => void;
  /** fdatasync. */
  sync(): Promise<void>;
  truncate(length: number): Promise<void>;
  size(): Promise<number>;
  close(): Promise<void>;
}

/** "r": read only; "rw": read-write, must exist; "create": read-write, created empty if missing. */
export type OpenMode = "r" | "rw" | "create";

export interface FileSystem {
  /** "node" or "memory". */
  readonly kind: string;
  open(path: string, mode: OpenMode): Promise<FileHandle>;
  readFile(path: string): Promise<Buffer>;
  /** Creates or replaces the file's contents (not atomic, not synced). */
  writeFile(path: string, data: Buffer | string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  /** Entry names (not paths) of a directory. */
  readdir(path: string): Promise<string[]>;
  mkdir(path: string): Promise<void>;
  /** Removes a directory and everything under it. */
  rmrf(path: string): Promise<void>;
  /** null when the path does not exist; `mtimeMs` when the file system keeps it. */
  stat(path: string): Promise<{ size: number; isDirectory: boolean; mtimeMs?: number } | null>;
  /** fsync of a directory: makes creations, renames and unlinks in it durable. */
  syncDir(path: string): Promise<void>;
}

export function errorCode(e: unknown): string | undefined {
  return typeof e === "object" && e !== null && "code" in e ? String((e as { code: unknown }).code) : undefined;
}

/** Replaces the contents of `path` (created if missing) and fsyncs it; not atomic (a crash may tear it). */
export async function writeFileSynced(fs: FileSystem, path: string, data: Buffer | string): Promise<void> {
  const buf = typeof data === "string" ? Buffer.from(data) : data;
  const h = await fs.open(path, "create");
  try {
    await h.truncate(0);
    await h.write(buf, 0, buf.length, 0);
    await h.sync();
  } finally {
    await h.close();
  }
}

/** Writes `data` to `path` atomically: temp file, fsync, rename, fsync of the directory. */
export async function writeFileAtomic(fs: FileSystem, path: string, data: Buffer | string): Promise<void> {
  const tmp = `${path}.tmp`;
  await writeFileSynced(fs, tmp, data);
  await fs.rename(tmp, path);
  await fs.syncDir(dirname(path));
}

export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}
export function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}
export function joinPath(...parts: string[]): string {
  return parts.join("/").replace(/\/+/g, "/");
}
