import { describe, expect, it } from "vitest";
import { CorruptRecordError } from "../errors.js";
import { CompressionCodec, MAX_TIMESTAMP_OFFSET, readBatchHeader, readInt64, writeInt64, setCreateTimeMaxTimestamp, TIMESTAMP_TYPE_MASK, ATTRIBUTES_OFFSET, validateBatch } from "./batch-header.js";
import { buildRecordBatch, buildRecordBatchAsync } from "./builder.js";
import { batchRecordTimestamps } from "./records.js";
import { RECORDS_COUNT_OFFSET } from "./batch-header.js";

const batch = (stamps: number[], baseTimestamp = stamps[0]!) => buildRecordBatch({ baseTimestamp, records: stamps.map((timestamp, i) => ({ key: `k${i}`, value: Buffer.alloc(50 + i, 1), timestamp })) });

describe("batchRecordTimestamps (Kafka's LogValidator max timestamp)", () => {
  it("is the largest record timestamp and the index of the first record holding it", () => {
    expect(batchRecordTimestamps(batch([5, 9, 2, 9, 7]), readBatchHeader(batch([5, 9, 2, 9, 7])))).toEqual({ maxTimestamp: 9, indexOfMaxTimestamp: 1 });
  });
  it("is -1 when every record is -1 (librdkafka without timestamps), whatever the header says", () => {
    const b = batch([-1, -1, -1], -1);
    writeInt64(b, 0, MAX_TIMESTAMP_OFFSET); // header max 0, as librdkafka writes it (CRC left stale: not read here)
    expect(readInt64(b, MAX_TIMESTAMP_OFFSET)).toBe(0);
    expect(batchRecordTimestamps(b, readBatchHeader(b))).toEqual({ maxTimestamp: -1, indexOfMaxTimestamp: -1 });
  });
  it.each([CompressionCodec.gzip, CompressionCodec.snappy, CompressionCodec.lz4, CompressionCodec.zstd])("reads compressed batches (codec %i)", async (compression) => {
    const b = await buildRecordBatchAsync({ compression, records: [3, 1_700_000_000_123, 4].map((timestamp) => ({ key: null, value: "v", timestamp })) });
    expect(batchRecordTimestamps(b, readBatchHeader(b))).toEqual({ maxTimestamp: 1_700_000_000_123, indexOfMaxTimestamp: 1 });
  });
  it("fails on a record running past the batch or missing records", () => {
    const b = batch([1, 2]);
    b.writeInt32BE(3, RECORDS_COUNT_OFFSET); // record count 3
    expect(() => batchRecordTimestamps(b, readBatchHeader(b))).toThrow(CorruptRecordError);
  });
});

describe("setCreateTimeMaxTimestamp", () => {
  it("rewrites the header's max timestamp and CRC only when they differ, clearing LogAppendTime", () => {
    const b = batch([10, 20]);
    expect(setCreateTimeMaxTimestamp(b, 0, 20)).toBe(false);
    expect(setCreateTimeMaxTimestamp(b, 0, -1)).toBe(true);
    expect(validateBatch(b).maxTimestamp).toBe(-1);
    b.writeInt16BE(b.readInt16BE(ATTRIBUTES_OFFSET) | TIMESTAMP_TYPE_MASK, ATTRIBUTES_OFFSET);
    expect(setCreateTimeMaxTimestamp(b, 0, -1)).toBe(true);
    expect(validateBatch(b).attributes & TIMESTAMP_TYPE_MASK).toBe(0);
  });
});
