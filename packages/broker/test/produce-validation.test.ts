/**
 * Produce's record-level checks and recompression (log-validator.ts): a topic's compression.type
 * other than the producer's codec, keys required on compacted topics.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey, CompressionCodec, buildRecordBatch, compressionOf, readBatchHeader, readRecords } from "@odradek/codec";
import { startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient, buildBatch } from "./helpers.js";

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
  ];
  const r = await c.request(ApiKey.CreateTopics, 7, {
    topics: topics.map((t) => ({ name: t.name, numPartitions: 1, replicationFactor: 1, configs: Object.entries(t.configs).map(([name, value]) => ({ name, value })) })),
    timeoutMs: 1000,
  });
  expect(r.topics.map((t) => t.errorCode)).toEqual([0, 0, 0, 0]);
});
afterAll(async () => {
  await c.close();
  await broker.close();
});

async function produce(topic: string, records: Buffer) {
  const r = await c.request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
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
