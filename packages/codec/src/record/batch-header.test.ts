import { describe, expect, it } from "vitest";
import { CorruptRecordError, UnsupportedMagicError } from "../errors.js";
import {
  ATTRIBUTES_OFFSET,
  batchPositions,
  batchSize,
  compressionOf,
  CRC_OFFSET,
  forEachBatch,
  hasDeleteHorizon,
  isControl,
  isTransactional,
  lastOffset,
  LOG_OVERHEAD,
  MAGIC_OFFSET,
  readBatchHeader,
  RECORD_BATCH_OVERHEAD,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  timestampType,
  TimestampType,
  validateBatch,
} from "./batch-header.js";
import { buildRecordBatch } from "./builder.js";
import { crc32c } from "./crc32c.js";

const batch = (n = 3, extra: Partial<Parameters<typeof buildRecordBatch>[0]> = {}): Buffer =>
  buildRecordBatch({
    baseOffset: 0,
    baseTimestamp: 1_700_000_000_000,
    records: Array.from({ length: n }, (_, i) => ({ key: `k${i}`, value: `value ${i}`, timestamp: 1_700_000_000_000 + i * 10 })),
    ...extra,
  });

describe("readBatchHeader / validateBatch", () => {
  it("reads every field of a built batch", () => {
    const b = batch(3, { baseOffset: 2 ** 40 + 5, partitionLeaderEpoch: 7, producerId: 2 ** 45, producerEpoch: 3, baseSequence: 11, transactional: true });
    const h = validateBatch(b);
    expect(h).toMatchObject({
      baseOffset: 2 ** 40 + 5,
      batchLength: b.length - LOG_OVERHEAD,
      partitionLeaderEpoch: 7,
      magic: 2,
      attributes: 0x10,
      lastOffsetDelta: 2,
      baseTimestamp: 1_700_000_000_000,
      maxTimestamp: 1_700_000_000_020,
      producerId: 2 ** 45,
      producerEpoch: 3,
      baseSequence: 11,
      recordCount: 3,
    });
    expect(h.crc).toBe(crc32c(b, ATTRIBUTES_OFFSET));
    expect(batchSize(h)).toBe(b.length);
    expect(lastOffset(h)).toBe(2 ** 40 + 7);
    expect(isTransactional(h.attributes)).toBe(true);
  });
  it("reads negative int64s (producerId -1)", () => {
    expect(readBatchHeader(batch()).producerId).toBe(-1);
  });
  it("rejects fewer than 61 bytes", () => {
    const b = batch();
    expect(() => readBatchHeader(b.subarray(0, RECORD_BATCH_OVERHEAD - 1))).toThrow(CorruptRecordError);
    expect(() => readBatchHeader(b.subarray(0, 10))).toThrow(CorruptRecordError);
    expect(() => readBatchHeader(b, b.length)).toThrow(CorruptRecordError);
  });
  it("rejects a batchLength below an empty batch's", () => {
    const b = batch();
    b.writeInt32BE(48, 8);
    expect(() => readBatchHeader(b)).toThrow(/below the minimum/);
  });
  it("rejects magic 0 and 1 as unsupported, other magics as corrupt", () => {
    for (const m of [0, 1]) {
      const b = batch();
      b[MAGIC_OFFSET] = m;
      expect(() => readBatchHeader(b)).toThrow(UnsupportedMagicError);
      expect(() => readBatchHeader(b.subarray(0, 20))).toThrow(UnsupportedMagicError);
    }
    const b = batch();
    b[MAGIC_OFFSET] = 3;
    expect(() => readBatchHeader(b)).toThrow(CorruptRecordError);
  });
  it("recognises a v0 message set by its magic", () => {
    // offset 0, size 14+, crc, magic 0, attributes 0, key -1, value -1
    const v0 = Buffer.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14, 1, 2, 3, 4, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(() => readBatchHeader(v0)).toThrow(UnsupportedMagicError);
    expect(() => [...batchPositions(v0)]).toThrow(UnsupportedMagicError);
  });
  it("detects a corrupted CRC and corrupted covered bytes", () => {
    const b = batch();
    b[CRC_OFFSET] = b[CRC_OFFSET]! ^ 1;
    expect(() => validateBatch(b)).toThrow(/CRC/);
    const c = batch();
    c[c.length - 1] = c[c.length - 1]! ^ 0x40;
    expect(() => validateBatch(c)).toThrow(/CRC/);
    expect(() => readBatchHeader(c)).not.toThrow();
  });
  it("rejects a batch that overruns its buffer", () => {
    const b = batch();
    expect(() => validateBatch(b.subarray(0, b.length - 1))).toThrow(/overruns/);
  });
  it("validates at a position inside a larger buffer", () => {
    const b = Buffer.concat([Buffer.alloc(5), batch()]);
    expect(validateBatch(b, 5).recordCount).toBe(3);
  });
});

describe("attributes", () => {
  it("decodes each bit", () => {
    expect(compressionOf(0x04 | 0x08)).toBe(4);
    expect(timestampType(0x08)).toBe(TimestampType.LogAppendTime);
    expect(timestampType(0x00)).toBe(TimestampType.CreateTime);
    expect(isTransactional(0x10)).toBe(true);
    expect(isControl(0x20)).toBe(true);
    expect(isControl(0x10)).toBe(false);
    expect(hasDeleteHorizon(0x40)).toBe(true);
    expect(hasDeleteHorizon(0x3f)).toBe(false);
  });
});

describe("in-place patches", () => {
  it("baseOffset and partitionLeaderEpoch do not disturb the CRC", () => {
    const b = batch();
    const crc = readBatchHeader(b).crc;
    setBaseOffset(b, 0, 2 ** 50 + 1);
    setPartitionLeaderEpoch(b, 0, 42);
    const h = validateBatch(b);
    expect(h.crc).toBe(crc);
    expect(h.baseOffset).toBe(2 ** 50 + 1);
    expect(h.partitionLeaderEpoch).toBe(42);
  });
  it("LogAppendTime sets the timestamp type and maxTimestamp only, and keeps the CRC valid", () => {
    const b = batch(3, { transactional: true });
    const before = readBatchHeader(b);
    setLogAppendTime(b, 0, 1_800_000_000_123);
    const h = validateBatch(b);
    expect(timestampType(h.attributes)).toBe(TimestampType.LogAppendTime);
    expect(isTransactional(h.attributes)).toBe(true);
    expect(h.maxTimestamp).toBe(1_800_000_000_123);
    expect(h.baseTimestamp).toBe(before.baseTimestamp);
    expect(h.crc).not.toBe(before.crc);
  });
  it("CRC-covered patches refuse a batch that does not fit its buffer", () => {
    const b = batch();
    expect(() => setLogAppendTime(b.subarray(0, b.length - 1), 0, 1)).toThrow(CorruptRecordError);
    expect(() => setLogAppendTime(b.subarray(0, 30), 0, 1)).toThrow(CorruptRecordError);
  });
  it("patches a batch in the middle of a concatenation", () => {
    const a = batch(1);
    const b = batch(2);
    const all = Buffer.concat([a, b]);
    setLogAppendTime(all, a.length, 5);
    setBaseOffset(all, a.length, 1);
    expect(validateBatch(all, a.length).maxTimestamp).toBe(5);
    expect(validateBatch(all, 0).baseOffset).toBe(0);
  });
});

describe("batchPositions / forEachBatch", () => {
  const a = batch(1);
  const b = batch(2);
  const c = batch(3);
  const all = Buffer.concat([a, b, c]);

  it("walks a concatenation", () => {
    const seen = [...batchPositions(all, { validate: true })].map((s) => [s.pos, s.size, s.header?.recordCount]);
    expect(seen).toEqual([
      [0, a.length, 1],
      [a.length, b.length, 2],
      [a.length + b.length, c.length, 3],
    ]);
    const counts: number[] = [];
    expect(forEachBatch(all, (_pos, h) => counts.push(h.recordCount))).toEqual({ batches: 3, partialBytes: 0 });
    expect(counts).toEqual([1, 2, 3]);
  });
  it("an empty records field has no batches", () => {
    expect([...batchPositions(Buffer.alloc(0))]).toEqual([]);
  });
  it("a truncated final batch throws, or is reported as partial when allowed", () => {
    for (const cut of [1, 11, 12, 40, 61, c.length - 1]) {
      const t = all.subarray(0, a.length + b.length + cut);
      expect(() => [...batchPositions(t)]).toThrow(/truncated/);
      const slices = [...batchPositions(t, { allowPartial: true })];
      expect(slices.length).toBe(3);
      expect(slices[2]).toEqual({ partial: true, pos: a.length + b.length, size: cut, header: null });
      expect(forEachBatch(t, () => {}, { allowPartial: true })).toEqual({ batches: 2, partialBytes: cut });
    }
  });
  it("a corrupt length in the middle is corrupt, not partial", () => {
    const t = Buffer.from(all);
    t.writeInt32BE(-5, a.length + 8);
    expect(() => [...batchPositions(t, { allowPartial: true })]).toThrow(CorruptRecordError);
  });
  it("validate checks each CRC", () => {
    const t = Buffer.from(all);
    t[a.length + 70] = t[a.length + 70]! ^ 1;
    expect(() => [...batchPositions(t, { validate: true })]).toThrow(/CRC/);
    expect([...batchPositions(t)].length).toBe(3);
  });
});
