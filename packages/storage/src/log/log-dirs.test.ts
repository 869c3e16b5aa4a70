import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { fsFactories, batchOf } from "../test-support/fixtures.js";
import type { FileSystem } from "../fs/file-system.js";
import { LogDirs, LogDirNotFoundError, loadOrCreateMetaPropertiesAll } from "./log-dirs.js";
import type { UnifiedLog } from "./unified-log.js";
import { LogClosedError } from "../errors.js";

describe.each(fsFactories)("LogDirs ($name fs)", (factory) => {
  let fs: FileSystem;
  let root: string;
  let cleanup: () => void;
  let dirs: string[];
  beforeEach(() => {
    ({ fs, root, cleanup } = factory.make());
    dirs = [`${root}/a`, `${root}/b`];
  });
  afterEach(() => cleanup());
  const open = () => LogDirs.open({ fs, dirs, schedule: false, topicConfigs: () => ({ "segment.bytes": "300" }) });

  it("gives every dir the first one's cluster id and a directory id of its own", async () => {
    const metas = await loadOrCreateMetaPropertiesAll(fs, dirs, 3);
    expect(metas[0]!.clusterId).toBe(metas[1]!.clusterId);
    expect(metas[0]!.directoryId).not.toBe(metas[1]!.directoryId);
    expect(await loadOrCreateMetaPropertiesAll(fs, dirs, 3)).toEqual(metas);
  });

  it("places each new partition in the dir with the fewest, ties to the first", async () => {
    const d = await open();
    await d.getOrCreateLog("t", 0);
    await d.getOrCreateLog("t", 1);
    await d.getOrCreateLog("t", 2);
    expect([0, 1, 2].map((p) => d.dirOf("t", p))).toEqual([dirs[0], dirs[1], dirs[0]]);
    await d.close();
  });

  it("moves a log with its offsets; an append made during the move lands in the moved log or fails LogClosedError, never lost", async () => {
    const d = await open();
    const log = await d.getOrCreateLog("t", 0);
    for (let i = 0; i < 10; i++) await log.append(batchOf(3));
    await log.advanceLogStartOffset(4);
    let swapped: UnifiedLog | null = null;
    const moving = d.moveLog("t", 0, dirs[1]!, (l) => (swapped = l));
    const during = log.append(batchOf(1)).then((r) => r.baseOffset, (e: unknown) => e);
    expect(d.futures()).toEqual([{ topic: "t", partition: 0, dir: dirs[1], copiedBytes: 0, copiedOffset: 0 }]);
    await moving;
    expect(d.futures()).toEqual([]);
    const landed = await during;
    if (typeof landed === "number") expect(landed).toBe(30);
    else expect(landed).toBeInstanceOf(LogClosedError);
    const end = typeof landed === "number" ? 31 : 30;
    // Once moved, the old log takes nothing more.
    expect(await log.append(batchOf(1)).then(() => null, (e: unknown) => e)).toBeInstanceOf(LogClosedError);
    expect(d.dirOf("t", 0)).toBe(dirs[1]);
    const moved = swapped! as UnifiedLog;
    expect(moved).toBe(d.getLog("t", 0));
    expect([moved.logStartOffset, moved.logEndOffset]).toEqual([4, end]);
    expect((await moved.append(batchOf(2))).baseOffset).toBe(end);
    expect((await fs.readdir(dirs[0]!)).filter((n) => n.startsWith("t-0"))).toEqual([]);
    await expect(d.moveLog("t", 0, `${root}/c`, () => {})).rejects.toBeInstanceOf(LogDirNotFoundError);
    await d.close();
    const again = await open();
    expect(again.dirOf("t", 0)).toBe(dirs[1]);
    expect([again.getLog("t", 0)!.logStartOffset, again.getLog("t", 0)!.logEndOffset]).toEqual([4, end + 2]);
    await again.close();
  });

  it("copies closed segments before blocking the log, then only what changed: retention during the move", async () => {
    const d = await open();
    const log = await d.getOrCreateLog("t", 0);
    for (let i = 0; i < 20; i++) await log.append(batchOf(3));
    expect(log.segments.size).toBeGreaterThan(3);
    const moving = d.moveLog("t", 0, dirs[1]!, () => {});
    // Removes the first segments while the catch-up runs (or, queued, just before the swap).
    const advanced = log.advanceLogStartOffset(30);
    await moving;
    await advanced;
    const moved = d.getLog("t", 0)!;
    expect(moved.logEndOffset).toBe(60);
    expect(moved.logStartOffset).toBeGreaterThanOrEqual(30);
    const names = (await fs.readdir(`${dirs[1]}/t-0`)).filter((n) => n.endsWith(".log"));
    // No segment wholly below the new start came along (the next one starts at or before it).
    const bases = names.map((n) => Number(n.slice(0, 20))).sort((a, b) => a - b);
    expect(bases.filter((_, i) => i + 1 < bases.length && bases[i + 1]! <= moved.logStartOffset)).toEqual([]);
    expect(bases[0]).toBeLessThanOrEqual(moved.logStartOffset);
    const r = await moved.read(moved.logStartOffset, { maxBytes: 1 << 20 });
    expect(r.records.length).toBeGreaterThan(0);
    r.release();
    await d.close();
  });

  it("at start, removes an unfinished copy and completes a move whose old dir was already retired", async () => {
    const d = await open();
    for (const p of [0, 1]) {
      const log = await d.getOrCreateLog("t", p);
      for (let i = 0; i < 5; i++) await log.append(batchOf(2));
    }
    await d.close();
    // Partition 0 lives in a; an unfinished copy of it in b (the crash came during the copy).
    const copy = async (from: string, to: string) => {
      await fs.mkdir(to);
      for (const n of await fs.readdir(from)) await fs.writeFile(`${to}/${n}`, await fs.readFile(`${from}/${n}`));
    };
    await copy(`${dirs[0]}/t-0`, `${dirs[1]}/t-0.${"1".repeat(32)}-future`);
    // Partition 1 lives in b; complete copy in a and b's dir already renamed away (crash before the swap).
    await copy(`${dirs[1]}/t-1`, `${dirs[0]}/t-1.${"2".repeat(32)}-future`);
    await fs.rename(`${dirs[1]}/t-1`, `${dirs[1]}/t-1.${"2".repeat(32)}-delete`);
    const again = await open();
    expect(again.dirOf("t", 0)).toBe(dirs[0]);
    expect(again.dirOf("t", 1)).toBe(dirs[0]);
    expect(again.getLog("t", 1)!.logEndOffset).toBe(10);
    expect((await fs.readdir(dirs[1]!)).filter((n) => n.startsWith("t-"))).toEqual([]);
    await again.close();
  });

  it("refuses a partition live in two dirs", async () => {
    const d = await open();
    await d.getOrCreateLog("t", 0);
    await d.close();
    await fs.mkdir(`${dirs[1]}/t-0`);
    await expect(open()).rejects.toThrow(/Duplicate log directories for t-0/);
  });
});
