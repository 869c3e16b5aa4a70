/**
 * The storage port's contract, written once and run against every backend (Tansu runs one storage
 * suite per backend the same way): `storageContract(target)` registers the whole suite for one
 * backend; file.test.ts and memory.test.ts instantiate it. A new backend (PostgreSQL) adds one such
 * file. The parts: log-contract.ts (append, read, offsets, indexes), cleanup-contract.ts (retention,
 * compaction, truncation, DeleteRecords, config changes), recovery-contract.ts (reopen, crash, producer
 * state), metadata-contract.ts (the metadata store, meta.properties, the log store, the lock).
 */
import { describe } from "vitest";
import type { FileSystem } from "../../src/index.js";
import { partitionDirName } from "../../src/index.js";
import { cleanupContract } from "./cleanup-contract.js";
import type { ConformanceTarget, TornWrite } from "./harness.js";
import { logContract } from "./log-contract.js";
import { metadataContract } from "./metadata-contract.js";
import { recoveryContract } from "./recovery-contract.js";

export type { ConformanceTarget, Harness } from "./harness.js";

export function storageContract(target: ConformanceTarget): void {
  describe(`storage port conformance: ${target.name}`, () => {
    logContract(target);
    cleanupContract(target);
    recoveryContract(target);
    metadataContract(target);
  });
}

/**
 * For backends on a FileSystem, where the crash cannot be injected into the append itself: writes the
 * torn prefix of the batch durably at the end of the log's newest segment, as a torn write leaves it.
 */
export async function tearNewestSegment(fs: FileSystem, dataDir: string, torn: TornWrite): Promise<void> {
  const dir = `${dataDir}/${partitionDirName(torn.log.topic, torn.log.partition)}`;
  const newest = (await fs.readdir(dir)).filter((n) => n.endsWith(".log")).sort().at(-1);
  if (!newest) throw new Error(`no segment in ${dir}`);
  const h = await fs.open(`${dir}/${newest}`, "rw");
  try {
    await h.write(torn.batch, 0, torn.keepBytes, await h.size());
    await h.sync();
  } finally {
    await h.close();
  }
}
