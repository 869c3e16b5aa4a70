/**
 * Produce's record-level checks and recompression (log-validator.ts): a topic's compression.type
 * other than the producer's codec, keys required on compacted topics, CreateTime limits, and the
 * v8+ record errors (KIP-467) with the codes and texts a Kafka 4.4 broker answers.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gzipSync } from "node:zlib";
import { ApiKey, ErrorCode, CompressionCodec, MAX_TIMESTAMP_OFFSET, buildRecordBatch, compressionOf, crc32c, readBatchHeader, readRecords, updateBatchCrc, writeInt64 } from "@odradek/codec";
import { startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient, buildBatch } from "./helpers.js";
import type { TestRecord } from "./helpers.js";

let broker: RunningBroker;
let c: TestClient;
beforeAll(async () => {
  broker = await startBroker();
  c = await TestClient.connect(broker.port);
  const topics = [
    { name: "to-lz4", configs: { "compression.type": "lz4" } },
    { name: "to-none", configs: { "compression.type": "uncompressed" } },
    { name: "compacted", configs: { "cleanup.policy": "compact" } },
    { name: "plain", configs: {} },
    { name: "compacted-2", configs: { "cleanup.policy": "compact" } },
    { name: "recent", configs: { "message.timestamp.before.max.ms": "3600000" } },
    { name: "recent-compacted", configs: { "cleanup.policy": "compact", "message.timestamp.before.max.ms": "3600000" } },
    { name: "plain-2", configs: {} },
    { name: "to-lz4-2", configs: { "compression.type": "lz4" } },
    { name: "append-time", configs: { "message.timestamp.type": "LogAppendTime" } },
  ];
  const r = await c.request(ApiKey.CreateTopics, 7, {
    topics: topics.map((t) => ({ name: t.name, numPartitions: 1, replicationFactor: 1, configs: Object.entries(t.configs).map(([name, value]) => ({ name, value })) })),
    timeoutMs: 1000,
  });
  expect(r.topics.map((t) => t.errorCode)).toEqual(topics.map(() => 0));
});
afterAll(async () => {
  await c.close();
  await broker.close();
});

async function produce(topic: string, records: Buffer, version = 9) {
  const r = await c.request(ApiKey.Produce, version, { acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return r.responses[0]!.partitionResponses[0]!;
}

async function fetchAll(topic: string): Promise<Buffer> {
  const r = await c.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }], forgottenTopicsData: [] });
  return r.responses[0]!.partitions[0]!.records as Buffer;
}

const t0 = Date.now() - 10_000;
const records = [
  { key: "a", value: "one", headers: [{ key: "h", value: Buffer.from("x") }], timestamp: t0 },
  { key: "b", value: null, timestamp: t0 + 5 },
  { key: null, value: "three", timestamp: t0 + 9 },
];

describe("recompression to the topic's compression.type", () => {
  it("rebuilds a gzip batch as lz4, keeping producer fields, timestamps, keys, values and headers", async () => {
    const sent = buildRecordBatch({ records, compression: CompressionCodec.gzip, producerId: 7, producerEpoch: 0, baseSequence: 0 });
    expect((await produce("to-lz4", sent)).errorCode).toBe(0);
    const stored = await fetchAll("to-lz4");
    const h = readBatchHeader(stored);
    expect(compressionOf(h.attributes)).toBe(CompressionCodec.lz4);
    expect(h).toMatchObject({ producerId: 7, producerEpoch: 0, baseSequence: 0, recordCount: 3, baseTimestamp: t0, maxTimestamp: t0 + 9 });
    const got = readRecords(stored).map((r) => ({ key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, ts: t0 + r.timestampDelta, headers: r.headers.map((x) => [x.key, x.value?.toString()]) }));
    expect(got).toEqual([
      { key: "a", value: "one", ts: t0, headers: [["h", "x"]] },
      { key: "b", value: null, ts: t0 + 5, headers: [] },
      { key: null, value: "three", ts: t0 + 9, headers: [] },
    ]);
    // the retried batch is still a duplicate after recompression (same producer state)
    expect(await produce("to-lz4", sent)).toMatchObject({ errorCode: 0, baseOffset: 0n });
  });

  it("stores a compressed batch uncompressed for compression.type=uncompressed, and leaves producer's choice alone otherwise", async () => {
    expect((await produce("to-none", buildRecordBatch({ records, compression: CompressionCodec.snappy }))).errorCode).toBe(0);
    expect(compressionOf(readBatchHeader(await fetchAll("to-none")).attributes)).toBe(CompressionCodec.none);
    const sent = buildRecordBatch({ records, compression: CompressionCodec.snappy });
    expect((await produce("plain", sent)).errorCode).toBe(0);
    const stored = await fetchAll("plain");
    expect(compressionOf(readBatchHeader(stored).attributes)).toBe(CompressionCodec.snappy);
    expect(stored.subarray(61)).toEqual(sent.subarray(61)); // byte for byte after the header
  });
});

describe("record-level checks", () => {
  it("refuses a record without a key on a compacted topic (INVALID_RECORD)", async () => {
    expect(await produce("compacted", buildBatch([{ key: Buffer.from("k"), value: Buffer.from("v") }, { value: Buffer.from("no key") }]))).toMatchObject({ errorCode: 87 });
    expect(await produce("compacted", buildRecordBatch({ records: [records[2]!], compression: CompressionCodec.gzip }))).toMatchObject({ errorCode: 87 });
    expect(await produce("compacted", buildBatch([{ key: Buffer.from("k"), value: Buffer.from("v") }]))).toMatchObject({ errorCode: 0, baseOffset: 0n });
  });
});

describe("internal topics", () => {
  it("a client cannot produce to __consumer_offsets (INVALID_TOPIC_EXCEPTION, no message, nothing stored), as Kafka refuses it", async () => {
    const fc = await c.request(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ["g-internal"] });
    expect(fc.coordinators[0]!.errorCode).toBe(0);
    const before = broker.broker.topics.topic("__consumer_offsets")!.partitions[0]!.log.highWatermark;
    const r = await produce("__consumer_offsets", buildBatch([{ key: Buffer.from("k"), value: Buffer.from("v") }]));
    expect(r).toMatchObject({ errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, errorMessage: null });
    expect(broker.broker.topics.topic("__consumer_offsets")!.partitions[0]!.log.highWatermark).toBe(before);
  });
});

/** The same batch gzip-compressed (header fields kept, CRC rewritten). */
function gzipped(batch: Buffer): Buffer {
  const body = gzipSync(batch.subarray(61));
  const out = Buffer.concat([batch.subarray(0, 61), body]);
  out.writeInt32BE(out.length - 12, 8);
  out.writeInt16BE(out.readInt16BE(21) | CompressionCodec.gzip, 21);
  out.writeUInt32BE(crc32c(out, 21), 17);
  return out;
}

// Every answer below is what a Kafka 4.4 broker gives for the same request (texts, codes, order).
describe("record errors (KIP-467)", () => {
  const BAD = [3, 7, 15, 22, 41, 50, 63, 77, 88, 99];
  const hundred = (bad: (i: number) => Partial<TestRecord>): TestRecord[] =>
    Array.from({ length: 100 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), ...(BAD.includes(i) ? bad(i) : {}) }));
  const noKey = (tp: string) => `Compacted topic cannot accept message without key in topic partition ${tp}`;

  it("lists each of 10 keyless records among 100 on a compacted topic, INVALID_RECORD, nothing appended", async () => {
    const batch = buildBatch(hundred(() => ({ key: null })));
    for (const sent of [batch, gzipped(batch)]) {
      const r = await produce("compacted-2", sent);
      expect(r.errorCode).toBe(87);
      expect(r.baseOffset).toBe(-1n);
      expect(r.recordErrors).toEqual(BAD.map((batchIndex) => ({ batchIndex, batchIndexErrorMessage: noKey("compacted-2-0") })));
      const shown = BAD.slice(0, 3).map((i) => `RecordError(batchIndex=${i}, message='${noKey("compacted-2-0")}')`).join(", ");
      expect(r.errorMessage).toBe(`One or more records have been rejected due to 10 record errors in total, and only showing the first three errors at most: [${shown}]`);
    }
    expect(await produce("compacted-2", batch, 7)).toMatchObject({ errorCode: 87, recordErrors: [], errorMessage: null }); // before v8: the code alone
    expect(await fetchAll("compacted-2")).toHaveLength(0);
  });

  it("lists each record older than message.timestamp.before.max.ms, even when the batch header looks fine (INVALID_TIMESTAMP)", async () => {
    const now = Date.now();
    const batch = buildBatch(hundred(() => ({ timestampDelta: -7_200_000 })), { baseTimestamp: BigInt(now) });
    for (const sent of [batch, gzipped(batch)]) {
      const r = await produce("recent", sent);
      expect(r.errorCode).toBe(32);
      expect(r.errorMessage).toBe("One or more records have been rejected due to invalid timestamp");
      expect(r.recordErrors.map((e) => e.batchIndex)).toEqual(BAD);
      for (const e of r.recordErrors) {
        const m = /^Timestamp (\d+) of message with offset (\d+) is out of range\. The timestamp should be within \[(\d+), (\d+)\]$/.exec(e.batchIndexErrorMessage ?? "");
        expect(m).not.toBeNull();
        const [ts, offset, from, to] = m!.slice(1).map(Number) as [number, number, number, number];
        expect([ts, offset, to - from]).toEqual([now - 7_200_000, e.batchIndex, 2 * 3_600_000]);
        expect(from).toBeGreaterThanOrEqual(now - 3_600_000);
      }
    }
    expect(await fetchAll("recent")).toHaveLength(0);
  });

  it("lists each record more than message.timestamp.after.max.ms ahead, printing Kafka's lower bound for before.max.ms = Long.MAX_VALUE", async () => {
    const now = Date.now();
    const r = await produce("plain-2", buildBatch(hundred(() => ({ timestampDelta: 7_200_000 })), { baseTimestamp: BigInt(now) }));
    expect(r.errorCode).toBe(32);
    expect(r.recordErrors.map((e) => e.batchIndex)).toEqual(BAD);
    const m = /^Timestamp (\d+) of message with offset 3 is out of range\. The timestamp should be within \[(-\d+), (\d+)\]$/.exec(r.recordErrors[0]!.batchIndexErrorMessage ?? "");
    expect(m).not.toBeNull();
    // Kafka prints now - Long.MAX_VALUE and now + 1 h, both from the same clock reading
    expect(BigInt(m![2]!) + 2n ** 63n - 1n + 3_600_000n).toBe(BigInt(m![3]!));
    expect(Number(m![1])).toBe(now + 7_200_000);
  });

  it("reads the records when the header cannot bound them: records 2 h ahead under a header max of 0 (INVALID_TIMESTAMP)", async () => {
    const now = Date.now();
    const batch = buildBatch([{ value: Buffer.from("a") }, { value: Buffer.from("b"), timestampDelta: 7_200_000 }], { baseTimestamp: BigInt(now) });
    writeInt64(batch, 0, MAX_TIMESTAMP_OFFSET);
    updateBatchCrc(batch, 0);
    const r = await produce("plain-2", batch);
    expect(r.errorCode).toBe(32);
    expect(r.recordErrors.map((e) => e.batchIndex)).toEqual([1]);
  });

  it("reports key and timestamp errors together in batch order, as INVALID_TIMESTAMP", async () => {
    const now = Date.now();
    const records: TestRecord[] = Array.from({ length: 20 }, (_, i) => ({ key: i % 3 === 0 ? null : Buffer.from(`k${i}`), value: Buffer.from("v"), timestampDelta: i % 5 === 0 && i > 0 ? -7_200_000 : 0 }));
    const r = await produce("recent-compacted", buildBatch(records, { baseTimestamp: BigInt(now) }));
    expect(r.errorCode).toBe(32);
    expect(r.errorMessage).toBe("One or more records have been rejected due to invalid timestamp");
    // a keyless record with a bad timestamp (15) reports only the key, as Kafka does
    expect(r.recordErrors.map((e) => [e.batchIndex, e.batchIndexErrorMessage!.startsWith("Compacted") ? "key" : "ts"])).toEqual([
      [0, "key"], [3, "key"], [5, "ts"], [6, "key"], [9, "key"], [10, "ts"], [12, "key"], [15, "key"], [18, "key"],
    ]);
  });

  it("refuses a producer's LogAppendTime batch on a LogAppendTime topic, record by record (INVALID_TIMESTAMP)", async () => {
    const batch = buildBatch([{ key: Buffer.from("k"), value: Buffer.from("vvv") }, { key: null, value: null, timestampDelta: 5 }], { attributes: 8, baseTimestamp: 1000n });
    const r = await produce("append-time", batch);
    expect(r).toMatchObject({ errorCode: 32, errorMessage: "One or more records have been rejected due to invalid timestamp" });
    const text = (offset: number, key: number, value: number) =>
      `Invalid timestamp type in message DefaultRecord(offset=${offset}, timestamp=1005, key=${key} bytes, value=${value} bytes). Producer should not set timestamp type to LogAppendTime.`;
    expect(r.recordErrors).toEqual([{ batchIndex: 0, batchIndexErrorMessage: text(0, 1, 3) }, { batchIndex: 1, batchIndexErrorMessage: text(1, 0, 0) }]);
    expect((await produce("append-time", buildBatch([{ key: null, value: Buffer.from("v") }]))).errorCode).toBe(0); // a CreateTime batch is stamped
  });

  it("accepts offset deltas other than 0, 1, 2, … like Kafka 4.4: stored as sent, renumbered when recompressed", async () => {
    const deltas = [0, 1, 2, 5, 4, 3, 6, 7, 20, 9];
    const records: TestRecord[] = deltas.map((offsetDelta, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(`v${i}`), offsetDelta }));
    expect(await produce("compacted-2", buildBatch(records))).toMatchObject({ errorCode: 0, baseOffset: 0n, recordErrors: [] });
    expect(readRecords(await fetchAll("compacted-2")).map((r) => r.offsetDelta)).toEqual(deltas);
    expect(await produce("to-lz4-2", gzipped(buildBatch(records)))).toMatchObject({ errorCode: 0, baseOffset: 0n });
    const stored = await fetchAll("to-lz4-2");
    expect(readRecords(stored).map((r) => [r.offsetDelta, r.value?.toString()])).toEqual(deltas.map((_, i) => [i, `v${i}`]));
  });
});
