/**
 * The versions Kafka 4.4 added, with their semantics (not just their bytes): Produce v13 and Fetch
 * v13+/v18 by topic id, Metadata v13's top-level error code, ListOffsets v11's earliest-pending-upload
 * timestamp, DescribeCluster v2, DescribeLogDirs v5. Each expectation is what a real Kafka 4.4.0
 * node answered to the same request.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey, ErrorCode } from "@odradek/codec";
import { startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient, buildBatch, parseBatches } from "./helpers.js";

const UNKNOWN_ID = "AAAAAAAAAAAAAAAAAAAAAQ";
let broker: RunningBroker;
let c: TestClient;
let topicId: string;
beforeAll(async () => {
  broker = await startBroker();
  c = await TestClient.connect(broker.port);
  const r = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "by-id", numPartitions: 2, replicationFactor: 1 }], timeoutMs: 1000 });
  expect(r.topics[0]!.errorCode).toBe(0);
  topicId = r.topics[0]!.topicId;
});
afterAll(async () => {
  await c.close();
  await broker.close();
});

const batch = (...values: string[]) => buildBatch(values.map((s) => ({ value: Buffer.from(s) })));

function fetchById(id: string, partition: number, version = 18) {
  return c.request(ApiKey.Fetch, version, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: "", topicId: id, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
  });
}

describe("Produce v13 and Fetch v18 address topics by id", () => {
  it("produces by topic id and reads it back by id and by name", async () => {
    const r = await c.request(ApiKey.Produce, 13, { acks: -1, timeoutMs: 1000, topicData: [{ name: "", topicId, partitionData: [{ index: 1, records: batch("x", "y") }] }] });
    expect(r.responses).toHaveLength(1);
    expect(r.responses[0]).toMatchObject({ name: "", topicId });
    expect(r.responses[0]!.partitionResponses[0]).toMatchObject({ index: 1, errorCode: 0, baseOffset: 0n });
    const f = await fetchById(topicId, 1);
    expect(f.responses[0]).toMatchObject({ topic: "", topicId });
    const p = f.responses[0]!.partitions[0]!;
    expect(p).toMatchObject({ errorCode: 0, highWatermark: 2n });
    expect(parseBatches(p.records).flatMap((b) => b.values)).toEqual(["x", "y"]);
    // The same partition through Produce v12 (by name) continues the same log.
    const old = await c.request(ApiKey.Produce, 12, { acks: -1, timeoutMs: 1000, topicData: [{ name: "by-id", partitionData: [{ index: 1, records: batch("z") }] }] });
    expect(old.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 2n });
    expect(parseBatches((await fetchById(topicId, 1, 13)).responses[0]!.partitions[0]!.records).flatMap((b) => b.values)).toEqual(["x", "y", "z"]);
  });

  it("answers UNKNOWN_TOPIC_ID for an unknown id, as Kafka 4.4 does", async () => {
    const r = await c.request(ApiKey.Produce, 13, { acks: -1, timeoutMs: 1000, topicData: [{ name: "", topicId: UNKNOWN_ID, partitionData: [{ index: 0, records: batch("lost") }] }] });
    expect(r.responses[0]).toMatchObject({ name: "", topicId: UNKNOWN_ID });
    expect(r.responses[0]!.partitionResponses[0]).toMatchObject({ index: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, baseOffset: -1n });
    const f = await fetchById(UNKNOWN_ID, 0);
    expect(f.responses[0]).toMatchObject({ topic: "", topicId: UNKNOWN_ID });
    expect(f.responses[0]!.partitions[0]).toMatchObject({ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_ID, highWatermark: -1n });
  });

  it("answers a known id with an unknown partition UNKNOWN_TOPIC_OR_PARTITION", async () => {
    const r = await c.request(ApiKey.Produce, 13, { acks: -1, timeoutMs: 1000, topicData: [{ name: "", topicId, partitionData: [{ index: 9, records: batch("lost") }] }] });
    expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});

describe("Metadata v13, ListOffsets v11, DescribeCluster v2, DescribeLogDirs v5", () => {
  it("Metadata v13 carries a top-level error code of 0 and topic ids", async () => {
    const r = await c.request(ApiKey.Metadata, 13, { topics: null, allowAutoTopicCreation: false });
    expect(r.errorCode).toBe(0);
    expect(r.topics.find((t) => t.name === "by-id")).toMatchObject({ errorCode: 0, topicId });
    const unknown = await c.request(ApiKey.Metadata, 13, { topics: [{ name: null, topicId: UNKNOWN_ID }], allowAutoTopicCreation: false });
    expect(unknown.topics[0]).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: UNKNOWN_ID });
  });

  it("ListOffsets v11 answers earliest-pending-upload (-6) with no offset, latest (-1) with the end", async () => {
    const r = await c.request(ApiKey.ListOffsets, 11, {
      replicaId: -1, isolationLevel: 0, timeoutMs: 1000,
      topics: [{ name: "by-id", partitions: [{ partitionIndex: 0, timestamp: -6n }, { partitionIndex: 1, timestamp: -1n }] }],
    });
    expect(r.topics[0]!.partitions).toEqual([
      expect.objectContaining({ partitionIndex: 0, errorCode: 0, offset: -1n, timestamp: -1n, leaderEpoch: -1 }),
      expect.objectContaining({ partitionIndex: 1, errorCode: 0, offset: 3n }),
    ]);
  });

  it("DescribeCluster v2 reports this broker as not fenced", async () => {
    const r = await c.request(ApiKey.DescribeCluster, 2, { includeClusterAuthorizedOperations: false, endpointType: 1, includeFencedBrokers: true });
    expect(r.errorCode).toBe(0);
    expect(r.brokers).toEqual([expect.objectContaining({ brokerId: broker.broker.node.nodeId, isFenced: false })]);
  });

  it("DescribeLogDirs v5 reports the log dir as not cordoned", async () => {
    const r = await c.request(ApiKey.DescribeLogDirs, 5, { topics: null });
    expect(r.results).toHaveLength(1);
    expect(r.results[0]).toMatchObject({ errorCode: 0, isCordoned: false });
    expect(r.results[0]!.topics.find((t) => t.name === "by-id")!.partitions.map((p) => p.partitionIndex).sort()).toEqual([0, 1]);
  });
});
