import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeFileSystem } from "../fs/node-file-system.js";
import { LogManager } from "./log-manager.js";
import { UnifiedLog } from "./unified-log.js";
import { defaultLogConfig } from "./log-config.js";
import { batchOf } from "../test-support/fixtures.js";

/** Paths under `root` this process holds open (Linux /proc/self/fd). */
function openUnder(root: string): string[] {
  const out: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(root)) out.push(target);
    } catch {
      // closed between readdir and readlink
    }
  }
  return out.sort();
}

describe.runIf(process.platform === "linux")("file descriptors per partition", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "odradek-fds-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("holds one descriptor per segment (its .log), none for indexes, and none after close", async () => {
    const fs = new NodeFileSystem();
    const config = { ...defaultLogConfig, segmentBytes: 4096, indexIntervalBytes: 256 };
    const log = await UnifiedLog.open({ fs, dir: join(root, "t-0"), topic: "t", partition: 0, config });
    for (let i = 0; i < 40; i++) await log.append(batchOf(4, { valueSize: 200 }));
    await log.flush(); // a roll's fsyncs run in the background, holding their files open meanwhile
    const segments = log.segments.values().length;
    expect(segments).toBeGreaterThan(3);
    const open = openUnder(root);
    expect(open).toHaveLength(segments);
    expect(open.every((p) => p.endsWith(".log"))).toBe(true);
    await log.close();
    expect(openUnder(root)).toEqual([]);

    // The indexes written without a held descriptor are read back whole (no rebuild needed).
    const again = await UnifiedLog.open({ fs, dir: join(root, "t-0"), topic: "t", partition: 0, config, recoveryPoint: log.logEndOffset });
    expect(again.segments.values().every((s) => s.offsetIndex.entries > 0)).toBe(true);
    for (let offset = 0; offset < again.logEndOffset; offset += 7) {
      const r = await again.read(offset, { maxBytes: 1 });
      expect(r.records[0]!.readInt32BE(4) + r.records[0]!.readInt32BE(23)).toBeGreaterThanOrEqual(offset);
      expect(r.records[0]!.readInt32BE(4)).toBeLessThanOrEqual(offset);
    }
    await again.close();
  });

  it("a LogManager with 300 partitions holds 300 descriptors", async () => {
    const fs = new NodeFileSystem();
    const m = await LogManager.open({ fs, dataDir: root, schedule: false });
    for (let p = 0; p < 300; p++) await (await m.getOrCreateLog("many", p)).append(batchOf(1));
    expect(openUnder(root).filter((p) => p.includes("/many-"))).toHaveLength(300);
    await m.close();
    expect(openUnder(root)).toEqual([]);
  });
});
