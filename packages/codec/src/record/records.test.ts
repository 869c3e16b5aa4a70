import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { CompressionError, CorruptRecordError, EncodeError } from "../errors.js";
import { CompressionCodec, compressionOf, isControl, isTransactional, readBatchHeader, RECORDS_OFFSET, updateBatchCrc, validateBatch } from "./batch-header.js";
import { buildControlBatch, buildRecordBatch, buildRecordBatchAsync, ControlRecordType, parseControlRecordKey, parseEndTxnMarker } from "./builder.js";
import type { RecordInput } from "./builder.js";
import { decodeRecords, readRecords, readRecordsAsync } from "./records.js";
import { readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from "./varint.js";

const T0 = 1_700_000_000_000;
const inputs: RecordInput[] = [
  { key: "a", value: "first", timestamp: T0 },
  { key: null, value: Buffer.alloc(300, 7), timestamp: T0 + 1000, headers: [{ key: "h1", value: "v1" }, { key: "h2", value: null }] },
  { key: Buffer.from([1, 2, 3]), value: null, timestamp: T0 - 5 },
  { key: "", value: "", timestamp: T0 + 2 ** 40 },
];

describe("varints", () => {
  it("round trip int32 and int64 edge values", () => {
    const buf = Buffer.alloc(16);
    for (const n of [0, 1, -1, 63, -64, 64, 300, -300, 2 ** 31 - 1, -(2 ** 31)]) {
      const end = writeVarint(buf, n, 0);
      expect(end).toBe(sizeOfVarint(n));
      expect(readVarint({ buf, pos: 0, end })).toBe(n);
    }
    for (const n of [0, -1, 2 ** 40, -(2 ** 40), T0, -T0, Number.MAX_SAFE_INTEGER >> 1]) {
      const end = writeVarlong(buf, n, 0);
      expect(end).toBe(sizeOfVarlong(n));
      expect(readVarlong({ buf, pos: 0, end })).toBe(n);
    }
  });
  it("rejects over-long and truncated varints with CorruptRecordError", () => {
    const long = Buffer.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]);
    expect(() => readVarint({ buf: long, pos: 0, end: long.length })).toThrow(/longer than 5/);
    const longer = Buffer.alloc(11, 0x80);
    expect(() => readVarlong({ buf: longer, pos: 0, end: longer.length })).toThrow(/longer than 10/);
    expect(() => readVarint({ buf: Buffer.from([0x80]), pos: 0, end: 1 })).toThrow(CorruptRecordError);
    expect(() => readVarlong({ buf: Buffer.from([0x80, 0x80]), pos: 0, end: 2 })).toThrow(CorruptRecordError);
  });
});

describe("build and read records", () => {
  for (const codec of [0, 1, 2, 3, 4]) {
    it(`round trips with codec ${codec}`, async () => {
      const b = await buildRecordBatchAsync({ records: inputs, compression: codec, baseOffset: 100, producerId: 9, producerEpoch: 1, baseSequence: 0 });
      const h = validateBatch(b);
      expect(compressionOf(h.attributes)).toBe(codec);
      expect(h.baseTimestamp).toBe(T0);
      expect(h.maxTimestamp).toBe(T0 + 2 ** 40);
      expect(h.lastOffsetDelta).toBe(3);
      const recs = await readRecordsAsync(b);
      if (codec !== 4) expect(readRecords(b)).toEqual(recs);
      expect(recs.map((r) => r.offsetDelta)).toEqual([0, 1, 2, 3]);
      expect(recs.map((r) => r.timestampDelta)).toEqual([0, 1000, -5, 2 ** 40]);
      expect(recs[0]!.key?.toString()).toBe("a");
      expect(recs[0]!.value?.toString()).toBe("first");
      expect(recs[1]!.key).toBeNull();
      expect(recs[1]!.value).toEqual(Buffer.alloc(300, 7));
      expect(recs[1]!.headers).toEqual([{ key: "h1", value: Buffer.from("v1") }, { key: "h2", value: null }]);
      expect(recs[2]!.value).toBeNull();
      expect(recs[3]!.key).toEqual(Buffer.alloc(0));
      expect(recs.every((r) => r.attributes === 0)).toBe(true);
    });
  }
  it("uncompressed keys and values are views of the batch, not copies", () => {
    const b = buildRecordBatch({ records: inputs });
    const r = readRecords(b)[1]!;
    expect(r.value!.buffer).toBe(b.buffer);
    b[b.indexOf(7, RECORDS_OFFSET)] = 8;
    expect(r.value![0]).toBe(8);
  });
  it("the sync builder refuses zstd; nothing builds an empty batch", () => {
    expect(() => buildRecordBatch({ records: inputs, compression: CompressionCodec.zstd })).toThrow(CompressionError);
    expect(() => buildRecordBatch({ records: [] })).toThrow(EncodeError);
    expect(() => buildRecordBatch({ records: inputs, compression: 6 })).toThrow(CompressionError);
  });
});

describe("malformed records", () => {
  const good = buildRecordBatch({ records: inputs });
  const count = readBatchHeader(good).recordCount;

  it("truncation anywhere in the records is a CorruptRecordError", () => {
    for (let end = RECORDS_OFFSET; end < good.length; end++) {
      expect(() => decodeRecords(good, count, RECORDS_OFFSET, end)).toThrow(CorruptRecordError);
    }
  });
  it("a wrong record count is a CorruptRecordError", () => {
    expect(() => decodeRecords(good, count + 1, RECORDS_OFFSET)).toThrow(CorruptRecordError);
    expect(() => decodeRecords(good, count - 1, RECORDS_OFFSET)).toThrow(CorruptRecordError);
    expect(() => decodeRecords(good, 2 ** 30, RECORDS_OFFSET)).toThrow(CorruptRecordError);
    expect(() => decodeRecords(good, -1, RECORDS_OFFSET)).toThrow(CorruptRecordError);
  });
  it("random byte flips never escape as anything but CorruptRecordError", () => {
    let seed = 1;
    for (let i = 0; i < 2000; i++) {
      const b = Buffer.from(good);
      for (let k = 0; k < 3; k++) {
        seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
        b[RECORDS_OFFSET + (seed % (b.length - RECORDS_OFFSET))] = seed >>> 24;
      }
      try {
        decodeRecords(b, count, RECORDS_OFFSET);
      } catch (e) {
        expect(e).toBeInstanceOf(CorruptRecordError);
      }
    }
  });
  it("a garbled compressed payload is a CompressionError", () => {
    const b = buildRecordBatch({ records: inputs, compression: CompressionCodec.lz4 });
    b.fill(0x55, RECORDS_OFFSET + 8);
    updateBatchCrc(b);
    expect(() => readRecords(b)).toThrow(CompressionError);
  });
  it("a compressed batch whose output exceeds maxBytes is refused", () => {
    const b = buildRecordBatch({ records: [{ key: null, value: Buffer.alloc(1 << 20) }], compression: CompressionCodec.gzip });
    expect(() => readRecords(b, 0, { maxBytes: 1 << 16 })).toThrow(CompressionError);
  });
});

describe("control batches", () => {
  for (const commit of [true, false]) {
    it(`builds a ${commit ? "COMMIT" : "ABORT"} marker`, () => {
      const b = buildControlBatch({ commit, producerId: 77, producerEpoch: 4, coordinatorEpoch: 12, baseOffset: 500, timestamp: T0, partitionLeaderEpoch: 3 });
      const h = validateBatch(b);
      expect(isControl(h.attributes)).toBe(true);
      expect(isTransactional(h.attributes)).toBe(true);
      expect(h).toMatchObject({ baseOffset: 500, producerId: 77, producerEpoch: 4, baseSequence: -1, recordCount: 1, lastOffsetDelta: 0, baseTimestamp: T0, maxTimestamp: T0, partitionLeaderEpoch: 3 });
      const [r] = readRecords(b);
      expect(r!.key).toEqual(Buffer.from([0, 0, 0, commit ? 1 : 0]));
      expect(r!.value).toEqual(Buffer.from([0, 0, 0, 0, 0, 12]));
      expect(parseControlRecordKey(r!.key)).toEqual({ version: 0, type: commit ? ControlRecordType.commit : ControlRecordType.abort });
      expect(parseEndTxnMarker(r!.value)).toEqual({ version: 0, coordinatorEpoch: 12 });
    });
  }
});

describe("kafkajs's encoder as an independent reference", () => {
  const require = createRequire(import.meta.url);
  const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0") as { RecordBatch: (o: object) => Promise<{ buffer: Buffer }> };
  const Record = require("kafkajs/src/protocol/recordBatch/record/v0") as (o: object) => unknown;
  const Long = require("kafkajs/src/utils/long") as { fromValue(v: number | string): unknown };
  const Decoder = require("kafkajs/src/protocol/decoder") as new (b: Buffer) => unknown;
  const decodeBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder") as (d: unknown) => Promise<{
    records: { key: Buffer | null; value: Buffer | null; headers: { [k: string]: Buffer }; offset: string; timestamp: string }[];
  }>;

  const opts = {
    firstOffset: 0,
    firstTimestamp: T0,
    maxTimestamp: T0 + 20,
    partitionLeaderEpoch: 0,
    lastOffsetDelta: 2,
    producerId: -1,
    producerEpoch: 0,
    firstSequence: 0,
  };
  const recs = [
    { key: Buffer.from("k0"), value: Buffer.from("v0"), timestampDelta: 0, headers: { h: Buffer.from("x") } },
    { key: null, value: Buffer.from("v1"), timestampDelta: 10, headers: {} },
    { key: Buffer.from("k2"), value: Buffer.from("a".repeat(200)), timestampDelta: 20, headers: {} },
  ];

  for (const compression of [0, 1]) {
    it(`kafkajs encodes (codec ${compression}) exactly what we build, and we read it`, async () => {
      const theirs = (
        await RecordBatch({
          ...opts,
          firstOffset: Long.fromValue(0),
          producerId: Long.fromValue(-1),
          compression,
          records: recs.map((r, i) => Record({ ...r, offsetDelta: i })),
        })
      ).buffer;
      const h = validateBatch(theirs);
      expect(h).toMatchObject({ baseTimestamp: T0, maxTimestamp: T0 + 20, recordCount: 3, producerId: -1, lastOffsetDelta: 2 });
      const read = readRecords(theirs);
      expect(read.map((r) => r.value?.toString())).toEqual(["v0", "v1", "a".repeat(200)]);
      expect(read[0]!.headers).toEqual([{ key: "h", value: Buffer.from("x") }]);
      if (compression === 0) {
        const ours = buildRecordBatch({
          baseOffset: 0,
          partitionLeaderEpoch: 0,
          producerId: -1,
          producerEpoch: 0,
          baseSequence: 0,
          records: recs.map((r) => ({
            key: r.key,
            value: r.value,
            timestamp: T0 + r.timestampDelta,
            headers: Object.entries(r.headers).map(([key, value]) => ({ key, value })),
          })),
        });
        expect(ours.toString("hex")).toBe(theirs.toString("hex"));
      }
    });
  }
  it("kafkajs decodes what we build", async () => {
    const ours = await buildRecordBatchAsync({ records: inputs.slice(0, 3), compression: CompressionCodec.gzip, baseOffset: 10 });
    const decoded = await decodeBatch(new Decoder(ours));
    expect(decoded.records.map((r) => r.offset)).toEqual(["10", "11", "12"]);
    expect(decoded.records.map((r) => r.timestamp)).toEqual([String(T0), String(T0 + 1000), String(T0 - 5)]);
    expect(decoded.records[0]!.value?.toString()).toBe("first");
    expect(decoded.records[1]!.headers["h1"]?.toString()).toBe("v1");
  });
});
