import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { fsFactories, batchOf } from "../test-support/fixtures.js";
import type { FileSystem } from "../fs/file-system.js";
import { UnifiedLog } from "./unified-log.js";
import { defaultLogConfig } from "./log-config.js";
import type { LogConfig } from "./log-config.js";
import { readBatchHeader } from "../record/batch.js";
import { buildRecordBatch } from "../record/records.js";

describe.each(fsFactories)("UnifiedLog conformance ($name fs)", (factory) => {
  let fs: FileSystem;
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ fs, root, cleanup } = factory.make()));
  afterEach(() => cleanup());

  const open = (config: Partial<LogConfig> = {}, extra: { recoveryPoint?: number; logStartOffset?: number } = {}) =>
    UnifiedLog.open({ fs, dir: `${root}/t-0`, topic: "t", partition: 0, config: { ...defaultLogConfig, ...config }, ...extra });

  it("assigns offsets, patches epoch, and reads whole batches back", async () => {
    const log = await open();
    const r1 = await log.append(batchOf(3), { leaderEpoch: 5 });
    const r2 = await log.append(batchOf(2));
    expect(r1).toMatchObject({ baseOffset: 0, lastOffset: 2, logAppendTime: -1 });
    expect(r2).toMatchObject({ baseOffset: 3, lastOffset: 4 });
    expect(log.highWatermark).toBe(5);
    const read = await log.read(1, { maxBytes: 1 << 20 });
    expect(read.records).toHaveLength(1);
    const buf = read.records[0]!;
    const h = readBatchHeader(buf, 0);
    expect(h.baseOffset).toBe(0);
    expect(h.partitionLeaderEpoch).toBe(5);
    expect(readBatchHeader(buf, h.batchLength + 12).baseOffset).toBe(3);
    expect((await log.read(3, { maxBytes: 1 })).bytes).toBeGreaterThan(1); // minOneBatch
    expect((await log.read(3, { maxBytes: 1, minOneBatch: false })).bytes).toBe(0);
    expect((await log.read(5, { maxBytes: 100 })).bytes).toBe(0);
    expect((await log.read(6, { maxBytes: 100 })).error).toBe("OFFSET_OUT_OF_RANGE");
    await log.close();
  });

  it("rejects corrupt input as data", async () => {
    const log = await open();
    const b = batchOf(2);
    b[b.length - 1]! ^= 0xff;
    expect((await log.append(b)).error).toBe("CORRUPT_MESSAGE");
    expect((await log.append(b.subarray(0, 30))).error).toBe("CORRUPT_MESSAGE");
    expect(log.logEndOffset).toBe(0);
    await log.close();
  });

  it("sets LogAppendTime when the topic asks", async () => {
    const log = await open({ messageTimestampType: "LogAppendTime" });
    const r = await log.append(batchOf(2, { timestamp: 1000 }), { nowMs: 123456 });
    expect(r.logAppendTime).toBe(123456);
    const h = readBatchHeader((await log.read(0, { maxBytes: 1 << 20 })).records[0]!, 0);
    expect(h.maxTimestamp).toBe(123456);
    expect(h.attributes & 0x08).toBe(8);
    await log.close();
  });

  it("rolls segments by segment.bytes, indexes sparsely, and reads across segments after reopen", async () => {
    const log = await open({ segmentBytes: 4000, indexIntervalBytes: 500 });
    for (let i = 0; i < 60; i++) await log.append(batchOf(2, { valueSize: 100, timestamp: 1000 + i }));
    // ~17 KB in 4,000-byte segments (old timestamps do not roll by segment.ms, as in Kafka)
    expect(log.segments.size).toBe(5);
    await log.flush(); // waits for the snapshots and fsyncs that rolls start off the queue
    const names = await fs.readdir(`${root}/t-0`);
    expect(names).toContain("00000000000000000000.log");
    expect(names.some((n) => n.endsWith(".snapshot"))).toBe(true);
    await log.close();
    const again = await open({ segmentBytes: 4000, indexIntervalBytes: 500 }, { recoveryPoint: 120 });
    expect(again.logEndOffset).toBe(120);
    for (const o of [0, 1, 37, 64, 119]) {
      const h = readBatchHeader((await again.read(o, { maxBytes: 1 })).records[0]!, 0);
      expect(h.baseOffset).toBeLessThanOrEqual(o);
      expect(h.baseOffset + h.lastOffsetDelta).toBeGreaterThanOrEqual(o);
    }
    // offsets by timestamp (batch i has timestamp 1000 + i and offsets 2i, 2i+1)
    expect((await again.offsetForTimestamp(1030))?.offset).toBe(60);
    expect((await again.offsetForTimestamp(999))?.offset).toBe(0);
    expect(await again.offsetForTimestamp(5000)).toBeNull();
    expect((await again.offsetForTimestamp(-1))?.offset).toBe(120);
    expect((await again.offsetForTimestamp(-2))?.offset).toBe(0);
    expect(await again.offsetForTimestamp(-3)).toMatchObject({ offset: 118, timestamp: 1059 });
    await again.close();
  });

  it("index files hold their valid entries only, written on roll and close", async () => {
    const log = await open({ segmentBytes: 3000, indexIntervalBytes: 100, segmentIndexBytes: 8 * 1024 });
    for (let i = 0; i < 20; i++) await log.append(batchOf(2, { valueSize: 100 }));
    const first = log.segments.values()[0]!;
    const idx = await fs.stat(`${root}/t-0/00000000000000000000.index`);
    expect(idx!.size).toBe(first.offsetIndex.entries * 8);
    expect(first.offsetIndex.entries).toBeGreaterThan(0);
    const active = log.segments.active;
    const activeName = `${root}/t-0/${String(active.baseOffset).padStart(20, "0")}.index`;
    expect((await fs.stat(activeName))!.size).toBe(0); // entries reach the file on flush, roll and close
    await log.close();
    expect((await fs.stat(activeName))!.size).toBe(active.offsetIndex.entries * 8);
    expect((await fs.stat(activeName.replace(/index$/, "timeindex")))!.size).toBe(active.timeIndex.entries * 12);
  });

  it("rolls when the offset index is full (segment.index.bytes)", async () => {
    const log = await open({ indexIntervalBytes: 1, segmentIndexBytes: 32 });
    for (let i = 0; i < 12; i++) await log.append(batchOf(1));
    expect(log.segments.size).toBeGreaterThan(1);
    await log.close();
  });

  it("rolls by segment.ms", async () => {
    const log = await open({ segmentMs: 1000 });
    await log.append(batchOf(1, { timestamp: 0 }), { nowMs: 10 });
    await log.append(batchOf(1, { timestamp: 5000 }), { nowMs: 5000 });
    expect(log.segments.size).toBe(2);
    await log.close();
  });

  it("truncates to an offset and continues from there", async () => {
    const log = await open({ segmentBytes: 2000 });
    for (let i = 0; i < 30; i++) await log.append(batchOf(2, { valueSize: 50 }));
    await log.truncateTo(31); // batch [30,31] goes whole
    expect(log.logEndOffset).toBe(30);
    expect((await log.append(batchOf(1))).baseOffset).toBe(30);
    await log.truncateTo(0);
    expect(log.logEndOffset).toBe(0);
    expect((await log.append(batchOf(1))).baseOffset).toBe(0);
    await log.close();
  });

  it("advances the log start offset (DeleteRecords) and deletes whole segments below it", async () => {
    const log = await open({ segmentBytes: 2000 });
    for (let i = 0; i < 30; i++) await log.append(batchOf(2, { valueSize: 50 }));
    const before = log.segments.size;
    expect((await log.advanceLogStartOffset(100)).error).toBe("OFFSET_OUT_OF_RANGE");
    expect(await log.advanceLogStartOffset(41)).toEqual({ logStartOffset: 41 });
    expect(log.segments.size).toBeLessThan(before);
    expect((await log.read(10, { maxBytes: 100 })).error).toBe("OFFSET_OUT_OF_RANGE");
    const h = readBatchHeader((await log.read(41, { maxBytes: 100 })).records[0]!, 0);
    expect(h.baseOffset).toBe(40);
    expect((await log.offsetForTimestamp(-2))?.offset).toBe(41);
    await log.close();
  });

  it("applies retention.bytes and retention.ms to closed segments only", async () => {
    const log = await open({ segmentBytes: 2000, retentionBytes: 4000, retentionMs: -1 });
    for (let i = 0; i < 40; i++) await log.append(batchOf(2, { valueSize: 50, timestamp: 1000 }));
    await log.applyRetention();
    expect(log.sizeInBytes).toBeLessThanOrEqual(4000 + 2000);
    expect(log.logStartOffset).toBe(log.segments.first!.baseOffset);
    log.config = { ...log.config, retentionBytes: -1, retentionMs: 1000 };
    await log.applyRetention(1_000_000);
    expect(log.segments.size).toBe(1); // the active one stays
    expect(log.logStartOffset).toBe(log.segments.active.baseOffset);
    await log.close();
  });

  it("detects duplicates and sequence errors of idempotent producers, also after reopen", async () => {
    const log = await open({ segmentBytes: 1500 });
    const p = (seq: number, n: number, epoch = 0) => batchOf(n, { producerId: 7, producerEpoch: epoch, baseSequence: seq, valueSize: 100 });
    expect((await log.append(p(0, 3))).baseOffset).toBe(0);
    expect((await log.append(p(3, 3))).baseOffset).toBe(3);
    const dup = await log.append(p(0, 3));
    expect(dup.duplicateOf).toEqual({ firstOffset: 0, lastOffset: 2 });
    expect((await log.append(p(9, 1))).error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
    for (let s = 6; s < 60; s += 3) await log.append(p(s, 3));
    await log.close();
    const again = await open({ segmentBytes: 1500 }, { recoveryPoint: 0 });
    expect((await again.append(p(57, 3))).duplicateOf).toEqual({ firstOffset: 57, lastOffset: 59 });
    expect((await again.append(p(0, 1, 1))).baseOffset).toBe(60);
    expect((await again.append(p(60, 1, 0))).error).toBe("INVALID_PRODUCER_EPOCH");
    expect((await again.append(p(5, 1, 2))).error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
    await again.close();
  });

  it("serves file slices for a sendfile-like path", async () => {
    const log = await open();
    await log.append(batchOf(3));
    const r = await log.read(0, { maxBytes: 1 << 20, asSlice: true });
    expect(r.slice).toMatchObject({ position: 0 });
    expect(r.slice!.length).toBe(r.bytes);
    r.release();
    await log.close();
  });

  it("rebuilds a missing or corrupt index of a closed segment", async () => {
    const log = await open({ segmentBytes: 2000, indexIntervalBytes: 200 });
    for (let i = 0; i < 30; i++) await log.append(batchOf(2, { valueSize: 50 }));
    await log.close();
    await fs.unlink(`${root}/t-0/00000000000000000000.index`);
    await fs.writeFile(`${root}/t-0/00000000000000000000.timeindex`, Buffer.alloc(7, 1));
    const again = await open({ segmentBytes: 2000, indexIntervalBytes: 200 }, { recoveryPoint: 60 });
    expect(again.segments.first!.offsetIndex.entries).toBeGreaterThan(0);
    expect(readBatchHeader((await again.read(5, { maxBytes: 1 })).records[0]!, 0).baseOffset).toBe(4);
    await again.close();
  });

  it("accepts a multi-batch append from a coordinator, not from a client (Produce v3+: one batch)", async () => {
    const log = await open();
    const two = () => Buffer.concat([batchOf(2), buildRecordBatch([{ key: "a", value: "b" }])]);
    expect(await log.append(two())).toMatchObject({ error: "INVALID_RECORD", errorMessage: "Produce requests with version 3 and above may contain exactly one record batch" });
    const r = await log.append(two(), { origin: "coordinator" });
    expect(r).toMatchObject({ baseOffset: 0, lastOffset: 2 });
    await log.close();
  });
});
