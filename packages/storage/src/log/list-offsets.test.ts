import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { buildRecordBatchAsync, CompressionCodec } from "@odradek/codec";
import { fsFactories } from "../test-support/fixtures.js";
import type { FileSystem } from "../fs/file-system.js";
import { UnifiedLog } from "./unified-log.js";
import { defaultLogConfig } from "./log-config.js";
import type { LogConfig } from "./log-config.js";
import { ListOffsetsTimestamp } from "./partition-log.js";

const batch = (compression: number, stamps: number[]) =>
  buildRecordBatchAsync({ compression, records: stamps.map((timestamp, i) => ({ key: `k${i}`, value: `v${timestamp}`, timestamp })) });

describe.each(fsFactories)("ListOffsets by timestamp, record-exact ($name fs)", (factory) => {
  let fs: FileSystem;
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ fs, root, cleanup } = factory.make()));
  afterEach(() => cleanup());
  const open = (config: Partial<LogConfig> = {}, recoveryPoint?: number) =>
    UnifiedLog.open({ fs, dir: `${root}/t-0`, topic: "t", partition: 0, config: { ...defaultLogConfig, ...config }, ...(recoveryPoint === undefined ? {} : { recoveryPoint }) });

  it.each([
    ["none", CompressionCodec.none],
    ["gzip", CompressionCodec.gzip],
    ["lz4", CompressionCodec.lz4],
    ["zstd", CompressionCodec.zstd],
  ] as const)("%s batches: the first record with timestamp >= t, and the record holding the max", async (_n, codec) => {
    const log = await open({ segmentBytes: 200 });
    await log.append(await batch(codec, [100, 300, 200, 500, 400]), { leaderEpoch: 3 }); // 0-4
    await log.append(await batch(codec, [600, 900, 700]), { leaderEpoch: 4 }); // 5-7, a new segment
    const check = async (l: UnifiedLog) => {
      expect(await l.offsetForTimestamp(0)).toEqual({ offset: 0, timestamp: 100, leaderEpoch: 3 });
      expect(await l.offsetForTimestamp(250)).toEqual({ offset: 1, timestamp: 300, leaderEpoch: 3 });
      expect(await l.offsetForTimestamp(301)).toEqual({ offset: 3, timestamp: 500, leaderEpoch: 3 });
      expect(await l.offsetForTimestamp(550)).toEqual({ offset: 5, timestamp: 600, leaderEpoch: 4 });
      expect(await l.offsetForTimestamp(800)).toEqual({ offset: 6, timestamp: 900, leaderEpoch: 4 });
      expect(await l.offsetForTimestamp(901)).toBeNull();
      expect(await l.offsetForTimestamp(ListOffsetsTimestamp.MAX_TIMESTAMP)).toEqual({ offset: 6, timestamp: 900, leaderEpoch: 4 });
    };
    await check(log);
    await log.close();
    const again = await open({ segmentBytes: 200 }, 0); // indexes rebuilt by recovery
    await check(again);
    await again.close();
  });

  it("skips records below the log start offset and reads LogAppendTime batches as one timestamp", async () => {
    const log = await open();
    await log.append(await batch(CompressionCodec.snappy, [100, 300, 200]));
    expect((await log.advanceLogStartOffset(2)).logStartOffset).toBe(2);
    expect(await log.offsetForTimestamp(150)).toMatchObject({ offset: 2, timestamp: 200 });
    await log.close();
    const lat = await UnifiedLog.open({ fs, dir: `${root}/l-0`, topic: "l", partition: 0, config: { ...defaultLogConfig, messageTimestampType: "LogAppendTime" } });
    await lat.append(await batch(CompressionCodec.gzip, [1, 2, 3]), { nowMs: 7000 });
    expect(await lat.offsetForTimestamp(5000)).toMatchObject({ offset: 0, timestamp: 7000 });
    expect(await lat.offsetForTimestamp(ListOffsetsTimestamp.MAX_TIMESTAMP)).toMatchObject({ offset: 0, timestamp: 7000 });
    await lat.close();
  });
});
