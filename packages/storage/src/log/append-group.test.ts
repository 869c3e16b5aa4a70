import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { fsFactories, batchOf } from "../test-support/fixtures.js";
import type { FileSystem } from "../fs/file-system.js";
import { UnifiedLog } from "./unified-log.js";
import { defaultLogConfig } from "./log-config.js";
import type { LogConfig } from "./log-config.js";
import { readBatchHeader } from "../record/batch.js";
import { buildRecordBatch } from "../record/records.js";

describe.each(fsFactories)("appends queued together ($name fs)", (factory) => {
  let fs: FileSystem;
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ fs, root, cleanup } = factory.make()));
  afterEach(() => cleanup());
  const open = (config: Partial<LogConfig> = {}, recoveryPoint?: number) =>
    UnifiedLog.open({ fs, dir: `${root}/t-0`, topic: "t", partition: 0, config: { ...defaultLogConfig, ...config }, ...(recoveryPoint === undefined ? {} : { recoveryPoint }) });

  it("answers each append on its own, in order, across rolls, synced before they are answered", async () => {
    const log = await open({ flushMessages: 1, segmentBytes: 700 });
    await log.append(batchOf(1)); // the log is busy while the next ones queue up
    const corrupt = batchOf(2);
    corrupt[corrupt.length - 1]! ^= 1;
    const idem = (seq: number) => buildRecordBatch([{ key: "p", value: `${seq}` }], { producerId: 9, producerEpoch: 0, baseSequence: seq });
    const results = await Promise.all([
      log.append(batchOf(3, { valueSize: 300 })),
      log.append(corrupt),
      log.append(idem(0)),
      log.append(idem(0)), // a duplicate of the one before it, in the same group
      log.append(idem(2)), // a gap
      log.append(batchOf(2, { valueSize: 300 })),
      log.append(idem(1)),
      ...Array.from({ length: 10 }, () => log.append(batchOf(1, { valueSize: 200 }))),
    ]);
    expect(results.slice(0, 7).map((r) => r.error ?? r.duplicateOf ?? [r.baseOffset, r.lastOffset])).toEqual([
      [1, 3],
      "CORRUPT_MESSAGE",
      [4, 4],
      { firstOffset: 4, lastOffset: 4 },
      "OUT_OF_ORDER_SEQUENCE_NUMBER",
      [5, 6],
      [7, 7],
    ]);
    expect(results.slice(7).map((r) => r.baseOffset)).toEqual([8, 9, 10, 11, 12, 13, 14, 15, 16, 17]);
    expect(log.logEndOffset).toBe(18);
    expect(log.segments.size).toBeGreaterThan(2);
    expect(log.recoveryPoint).toBe(18);
    let offset = 0;
    while (offset < 18) {
      const buf = (await log.read(offset, { maxBytes: 1 << 20 })).records[0]!;
      const h = readBatchHeader(buf, 0);
      expect(h.baseOffset).toBe(offset);
      offset = h.baseOffset + h.lastOffsetDelta + 1;
    }
    await log.close();
    const again = await open({ segmentBytes: 700 }, 0);
    expect(again.logEndOffset).toBe(18);
    await again.close();
  });

  it("keeps appends queued after another operation out of the group queued before it", async () => {
    const log = await open();
    await log.append(batchOf(1));
    const first = log.append(batchOf(2)); // 1-2
    const truncated = log.truncateTo(1);
    const second = log.append(batchOf(1)); // after the truncation: 1
    expect((await first).baseOffset).toBe(1);
    await truncated;
    expect(await second).toMatchObject({ baseOffset: 1, lastOffset: 1 });
    expect(log.logEndOffset).toBe(2);
    await log.close();
  });
});
