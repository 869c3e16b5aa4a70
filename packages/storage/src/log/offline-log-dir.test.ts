/**
 * An offline log dir (log-manager.ts, Kafka's LogDirFailureChannel): a failed fsync of one log takes
 * its whole dir offline at the next flush check on the clock; the dir's logs refuse every call with
 * KafkaStorageError and get no new partition, and the other dir keeps serving. In memory, with an
 * injected EIO on fsync.
 */
import { describe, it, expect } from "vitest";
import { MemoryFileSystem } from "../fs/memory-file-system.js";
import { ManualClock } from "../clock.js";
import { KafkaStorageError } from "../errors.js";
import { LogDirs } from "./log-dirs.js";
import { batchOf } from "../test-support/fixtures.js";

describe("offline log dir", () => {
  it("a failed fsync takes the dir offline at the next flush check; the other dir keeps serving", async () => {
    const fs = new MemoryFileSystem();
    const clock = new ManualClock(1_800_000_000_000);
    const dirs = await LogDirs.open({ fs, dirs: ["/d1", "/d2"], clock, flushCheckIntervalMs: 1_000, retentionCheckIntervalMs: 1e9, checkpointIntervalMs: 1e9, cleanerBackoffMs: 1e9 });
    const good = await dirs.getOrCreateLog("t", 0);
    const bad = await dirs.getOrCreateLog("t", 1);
    expect([dirs.dirOf("t", 0), dirs.dirOf("t", 1)]).toEqual(["/d1", "/d2"]);
    await good.append(batchOf(2));
    await bad.append(batchOf(2));
    fs.injectFault({ op: "sync", kind: "EIO", path: "/d2/t-1/" });
    await expect(bad.flush()).rejects.toBeInstanceOf(KafkaStorageError);
    expect(dirs.offlineDirs()).toEqual([]); // not yet: the next flush check sees it
    await clock.advanceAsync(1_000);
    expect(dirs.offlineDirs()).toEqual(["/d2"]);
    await expect(bad.append(batchOf(1))).rejects.toBeInstanceOf(KafkaStorageError);
    await expect(bad.read(0, { maxBytes: 1 << 20 })).rejects.toBeInstanceOf(KafkaStorageError);
    // A new partition goes to the online dir even though it holds more.
    await dirs.getOrCreateLog("t", 2);
    expect(dirs.dirOf("t", 2)).toBe("/d1");
    expect((await good.append(batchOf(1))).baseOffset).toBe(2);
    expect(good.logEndOffset).toBe(3);
    await dirs.checkpoint(); // the offline dir is skipped
    await dirs.close();
  });
});
