/**
 * Checkpoints have one writer each: concurrent requests coalesce, the newest state wins, and an
 * acknowledged log start offset (DeleteRecords) survives a crash right after it.
 */
import { describe, it, expect } from "vitest";
import { MemoryFileSystem } from "../fs/memory-file-system.js";
import type { FileHandle, OpenMode } from "../fs/file-system.js";
import { CoalescingFileWriter } from "../fs/coalescing-file-writer.js";
import { batchOf } from "../test-support/fixtures.js";
import { LogManager } from "./log-manager.js";
import type { Logger } from "../logger.js";
import { noopLogger } from "../logger.js";

/** Records what every rename into place installed, and delays fsync so writes overlap. */
class RecordingFs extends MemoryFileSystem {
  installed: string[] = [];
  override async open(path: string, mode: OpenMode): Promise<FileHandle> {
    const h = await super.open(path, mode);
    const sync = h.sync.bind(h);
    return Object.assign(Object.create(Object.getPrototypeOf(h) as object) as FileHandle, h, {
      sync: async () => {
        await new Promise((r) => setTimeout(r, 2));
        await sync();
      },
    });
  }
  override async rename(from: string, to: string): Promise<void> {
    await super.rename(from, to);
    if (to.endsWith("/state")) this.installed.push((await this.readFile(to)).toString());
  }
}

function errorLogger(errors: string[]): Logger {
  const l: Logger = { ...noopLogger, error: (o: object | string, m?: string) => errors.push(`${m ?? ""} ${JSON.stringify(o)}`), child: () => l };
  return l;
}

describe("CoalescingFileWriter", () => {
  it("serves concurrent requests with few writes, never installs an older state after a newer one", async () => {
    const fs = new RecordingFs();
    await fs.mkdir("/d");
    let state = 0;
    const w = new CoalescingFileWriter(fs, "/d/state", () => String(state));
    const done: Promise<void>[] = [];
    for (let i = 1; i <= 100; i++) {
      state = i;
      const seen = i;
      // Each request resolves only after a write that rendered at least its state.
      done.push(w.request().then(async () => expect(Number((await fs.readFile("/d/state")).toString())).toBeGreaterThanOrEqual(seen)));
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 1));
    }
    await Promise.all(done);
    expect(w.writes).toBeLessThan(30);
    expect(fs.installed.at(-1)).toBe("100");
    const values = fs.installed.map(Number);
    expect(values).toEqual([...values].sort((a, b) => a - b));
  });

  it("rejects only the requests a failed write served; the next request writes", async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir("/d");
    const w = new CoalescingFileWriter(fs, "/d/state", () => "x");
    fs.injectFault({ op: "sync", kind: "EIO" });
    await expect(w.request()).rejects.toMatchObject({ code: "EIO" });
    await w.request();
    expect((await fs.readFile("/d/state")).toString()).toBe("x");
  });
});

describe("log start offsets (DeleteRecords)", () => {
  it("an acknowledged advance on 20 partitions at once survives a crash right after it, with no checkpoint error", async () => {
    for (let round = 0; round < 5; round++) {
      const fs = new MemoryFileSystem(round + 1);
      const errors: string[] = [];
      const m = await LogManager.open({ fs, dataDir: "/data", schedule: false, logger: errorLogger(errors) });
      const logs = await Promise.all(Array.from({ length: 20 }, (_, p) => m.getOrCreateLog("t", p)));
      for (const log of logs) await log.append(batchOf(100));
      await Promise.all(logs.map((log) => log.flush()));
      await Promise.all(logs.map((log) => log.advanceLogStartOffset(50)));
      fs.crash();
      const again = await LogManager.open({ fs: fs.afterCrash("strict", round), dataDir: "/data", schedule: false, logger: errorLogger(errors) });
      expect(again.allLogs().map((l) => l.logStartOffset)).toEqual(Array(20).fill(50));
      expect(errors).toEqual([]);
      await again.close();
    }
  });
});
