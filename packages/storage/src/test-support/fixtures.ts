/** Test helpers: file-system factories for the conformance suites and batch shortcuts. */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FileSystem } from "../fs/file-system.js";
import { MemoryFileSystem } from "../fs/memory-file-system.js";
import { NodeFileSystem } from "../fs/node-file-system.js";
import { buildRecordBatch } from "../record/records.js";
import type { SimpleRecord, BuildBatchOptions } from "../record/records.js";

export interface FsFactory {
  name: string;
  make(): { fs: FileSystem; root: string; cleanup(): void };
}

export const fsFactories: FsFactory[] = [
  {
    name: "memory",
    make: () => ({ fs: new MemoryFileSystem(), root: "/data", cleanup: () => {} }),
  },
  {
    name: "node",
    make: () => {
      const root = mkdtempSync(join(tmpdir(), "odradek-storage-"));
      return { fs: new NodeFileSystem(), root, cleanup: () => rmSync(root, { recursive: true, force: true }) };
    },
  },
];

/** A batch of `n` records `prefix-i` with 1-byte-ish payloads. */
export function batchOf(n: number, options: BuildBatchOptions & { prefix?: string; valueSize?: number } = {}): Buffer {
  const records: SimpleRecord[] = [];
  for (let i = 0; i < n; i++) {
    records.push({ key: `${options.prefix ?? "k"}-${i}`, value: options.valueSize ? Buffer.alloc(options.valueSize, i & 0xff) : `v-${i}`, timestamp: options.timestamp });
  }
  return buildRecordBatch(records, options);
}
