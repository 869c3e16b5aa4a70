/**
 * The two backends of today, one layout (Kafka's) on two file systems:
 *   <dir>/.lock                       the holder's pid (file backend only: log-dir-lock.ts)
 *   <dir>/meta.properties             cluster id, node id, directory id (meta-properties.ts)
 *   <dir>/odradek-metadata.json       the BrokerMetadataStore (metadata-store.ts)
 *   <dir>/<topic>-<partition>/        the partition logs and their checkpoints (log-manager.ts)
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
import { LogManager } from "./log/log-manager.js";
import { MetadataStore } from "./metadata/metadata-store.js";
import { loadOrCreateMetaProperties } from "./metadata/meta-properties.js";
import { noopLogger } from "./logger.js";
import type { Storage, StorageBackend, StorageLock, StorageOptions } from "./port.js";

/** Where `memoryStorage` keeps its (in-memory) data directory. */
export const MEMORY_DATA_DIR = "/odradek";

async function openOn(fs: FileSystem, dir: string, lock: StorageLock | null, o: StorageOptions): Promise<Storage> {
  try {
    const logger = o.logger ?? noopLogger;
    const meta = await loadOrCreateMetaProperties(fs, dir, o.nodeId);
    const metadata = await MetadataStore.open(fs, dir);
    const own = (topic: string) => metadata.topic(topic)?.configs ?? {};
    const logs = await LogManager.open({
      ...o.logStore,
      fs,
      dataDir: dir,
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
    return { meta, logs, metadata, lock, close };
  } catch (e) {
    lock?.release();
    throw e;
  }
}

/** The data directory `dir` on disk (created with its parents when missing). */
export function fileStorage(dir: string): StorageBackend {
  const dataDir = resolvePath(dir);
  return {
    dataDir,
    open: async (o) => openOn(new NodeFileSystem(), dataDir, lockLogDir(dataDir, o.logger ?? noopLogger), o),
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
    open: (o) => openOn(fs, MEMORY_DATA_DIR, null, o),
  };
}
