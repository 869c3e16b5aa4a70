/**
 * The two backends of today, one layout (Kafka's) on two file systems:
 *   <dir>/.lock                       the holder's pid (file backend only: log-dir-lock.ts)
 *   <dir>/meta.properties             cluster id, node id, directory id (meta-properties.ts)
 *   <dir>/odradek-metadata.json       the BrokerMetadataStore (metadata-store.ts)
 *   <dir>/<topic>-<partition>/        the partition logs and their checkpoints (log-manager.ts; with
 *                                     several dirs, log-dirs.ts places each partition in one)
 *
 * `fileStorage(dir)` keeps it on disk through `node:fs`; `memoryStorage()` keeps it in a
 * MemoryFileSystem that lives as long as the backend object, so a second `open` (after the first
 * storage closed) finds what the first left: a restart within the process. The lock is taken before
 * anything in the directory is read and released when opening fails.
 */
import { resolve as resolvePath } from "node:path";
import type { FileSystem } from "./fs/file-system.js";
import { MemoryFileSystem } from "./fs/memory-file-system.js";
import { NodeFileSystem } from "./fs/node-file-system.js";
import { lockLogDir } from "./log/log-dir-lock.js";
import { LogDirs, loadOrCreateMetaPropertiesAll } from "./log/log-dirs.js";
import { MetadataStore } from "./metadata/metadata-store.js";
import { noopLogger } from "./logger.js";
import type { Storage, StorageBackend, StorageLock, StorageOptions } from "./port.js";

/** Where `memoryStorage` keeps its (in-memory) data directory. */
export const MEMORY_DATA_DIR = "/odradek";

async function openOn(fs: FileSystem, dirs: readonly string[], locks: readonly StorageLock[], o: StorageOptions): Promise<Storage> {
  const lock: StorageLock | null = locks.length === 0 ? null : { release: () => { for (const l of locks) l.release(); } };
  try {
    const logger = o.logger ?? noopLogger;
    const [meta] = await loadOrCreateMetaPropertiesAll(fs, dirs, o.nodeId);
    const metadata = await MetadataStore.open(fs, dirs[0]!);
    const own = (topic: string) => metadata.topic(topic)?.configs ?? {};
    const logs = await LogDirs.open({
      ...o.logStore,
      fs,
      dirs,
      logger,
      topicConfigs: o.logConfigs ? (topic) => o.logConfigs!(topic, own(topic)) : own,
    });
    const close = async () => {
      try {
        await logs.close();
      } finally {
        lock?.release();
      }
    };
    return { meta: meta!, logs, metadata, lock, close };
  } catch (e) {
    lock?.release();
    throw e;
  }
}

/**
 * The data directory `dir` on disk, or several (Kafka's `log.dirs`: partitions spread over them, each
 * with its own meta.properties, lock and checkpoints; the metadata store in the first), created with
 * their parents when missing. Every directory's lock is taken before anything in it is read.
 */
export function fileStorage(dir: string | readonly string[]): StorageBackend {
  const dirs = (typeof dir === "string" ? [dir] : [...dir]).map((d) => resolvePath(d));
  if (dirs.length === 0) throw new Error("fileStorage: no directory");
  return {
    dataDir: dirs[0]!,
    open: async (o) => {
      const locks: StorageLock[] = [];
      try {
        for (const d of dirs) locks.push(lockLogDir(d, o.logger ?? noopLogger));
      } catch (e) {
        for (const l of locks) l.release();
        throw e;
      }
      return openOn(new NodeFileSystem(), dirs, locks, o);
    },
  };
}

export interface MemoryStorageOptions {
  /** Default: a new one keeping no durable copies (nothing here crashes). Tests pass their own to inject faults. */
  fs?: MemoryFileSystem;
}

/** A data directory in memory, for `--memory` and tests; no lock. */
export function memoryStorage(options: MemoryStorageOptions = {}): StorageBackend & { readonly fs: MemoryFileSystem } {
  const fs = options.fs ?? new MemoryFileSystem(1, { keepDurableCopies: false });
  return {
    dataDir: null,
    fs,
    open: (o) => openOn(fs, [MEMORY_DATA_DIR], [], o),
  };
}
