/**
 * An offline log dir (issue 18, item 2): two `log.dirs` on real files, one of them replaced by a
 * plain file under the running broker (a real fault: its next checkpoint write fails with ENOTDIR).
 * The dir goes offline and the broker answers as a single-node Kafka 4.4 with `log.dirs=A,B` did in
 * the same experiment (kafka-tools' two-dir setup, the dir renamed away and a file put in its place):
 *   Metadata         LEADER_NOT_AVAILABLE, leader -1, leader epoch + 1, no ISR, offline replica [node]
 *   Produce          KAFKA_STORAGE_ERROR, base offset -1
 *   Fetch            KAFKA_STORAGE_ERROR, high watermark -1
 *   ListOffsets      KAFKA_STORAGE_ERROR, offset -1
 *   DescribeLogDirs  the dir with KAFKA_STORAGE_ERROR, no topics, total and usable bytes -1
 * while the partition on the other dir keeps serving and keeps every acknowledged record.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiKey, ErrorCode, buildRecordBatch } from "@odradek/codec";
import { ManualClock, startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient, parseBatches } from "./helpers.js";

let root: string;
let dirs: string[];
let clock: ManualClock;
let broker: RunningBroker;
let c: TestClient;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "odradek-offline-dir-"));
  dirs = [join(root, "a"), join(root, "b")];
  clock = new ManualClock(1_800_000_000_000);
  broker = await startBroker({ logDirs: dirs, clock, config: { "offsets.topic.num.partitions": "1", "share.coordinator.state.topic.num.partitions": "1", "transaction.state.log.num.partitions": "1" } });
  c = await TestClient.connect(broker.port);
  const r = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "od", numPartitions: 2, replicationFactor: 1 }], timeoutMs: 1000 });
  expect(r.topics.map((t) => t.errorCode)).toEqual([0]);
});
afterAll(async () => {
  await c.close();
  await broker.close();
  rmSync(root, { recursive: true, force: true });
});

async function produce(partition: number, value: string) {
  const records = buildRecordBatch({ baseTimestamp: clock.now(), records: [{ key: null, value: Buffer.from(value), timestamp: clock.now() }] });
  const r = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: "od", partitionData: [{ index: partition, records }] }] });
  const p = r.responses[0]!.partitionResponses[0]!;
  return { errorCode: p.errorCode, baseOffset: p.baseOffset };
}
async function fetch(partition: number) {
  const r = await c.request(ApiKey.Fetch, 12, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: "od", partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
    forgottenTopicsData: [], rackId: "",
  });
  const p = r.responses[0]!.partitions[0]!;
  const values = p.records ? parseBatches(p.records).flatMap((b) => b.values) : [];
  return { errorCode: p.errorCode, highWatermark: p.highWatermark, values };
}
async function listOffset(partition: number) {
  const r = await c.request(ApiKey.ListOffsets, 7, { replicaId: -1, isolationLevel: 0, topics: [{ name: "od", partitions: [{ partitionIndex: partition, currentLeaderEpoch: -1, timestamp: -1n }] }] });
  const p = r.topics[0]!.partitions[0]!;
  return { errorCode: p.errorCode, offset: p.offset };
}
async function metadata() {
  const r = await c.request(ApiKey.Metadata, 12, { topics: [{ name: "od" }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  return r.topics[0]!.partitions.map((p) => ({ errorCode: p.errorCode, partition: p.partitionIndex, leader: p.leaderId, epoch: p.leaderEpoch, isr: p.isrNodes, offline: p.offlineReplicas }));
}

describe("an offline log dir", () => {
  it("answers as Kafka 4.4 for the partitions of the failed dir, and the other dir keeps serving without loss", async () => {
    const node = broker.broker.node.nodeId;
    // A new partition goes to the dir with the fewest: p0 in a, p1 in b.
    expect([0, 1].map((p) => broker.broker.logs.dirOf("od", p))).toEqual(dirs);
    for (const v of ["a1", "a2", "a3"]) expect((await produce(0, v)).errorCode).toBe(0);
    for (const v of ["b1", "b2"]) expect((await produce(1, v)).errorCode).toBe(0);
    const before = await metadata();

    renameSync(dirs[1]!, `${dirs[1]}.gone`);
    writeFileSync(dirs[1]!, "not a directory");
    await clock.advanceAsync(60_000); // log.flush.offset.checkpoint.interval.ms: the checkpoint into b fails
    expect(broker.broker.logs.offlineDirs()).toEqual([dirs[1]]);

    expect(await metadata()).toEqual([
      before[0],
      { errorCode: ErrorCode.LEADER_NOT_AVAILABLE, partition: 1, leader: -1, epoch: before[1]!.epoch + 1, isr: [], offline: [node] },
    ]);
    expect(await produce(1, "b3")).toEqual({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, baseOffset: -1n });
    expect(await fetch(1)).toEqual({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, highWatermark: -1n, values: [] });
    expect(await listOffset(1)).toEqual({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, offset: -1n });
    const d = await c.request(ApiKey.DescribeLogDirs, 4, { topics: null });
    expect(d.results.map((r) => ({ errorCode: r.errorCode, dir: r.logDir, topics: r.topics.map((t) => `${t.name}:${t.partitions.map((p) => p.partitionIndex).join(",")}`), total: r.totalBytes, usable: r.usableBytes < 0n ? -1n : "n" }))).toEqual([
      { errorCode: 0, dir: dirs[0], topics: expect.arrayContaining(["od:0"]), total: expect.any(BigInt), usable: "n" },
      { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, dir: dirs[1], topics: [], total: -1n, usable: -1n },
    ]);

    // The good dir: still served, every acknowledged record there.
    expect(await produce(0, "a4")).toEqual({ errorCode: 0, baseOffset: 3n });
    expect(await fetch(0)).toEqual({ errorCode: 0, highWatermark: 4n, values: ["a1", "a2", "a3", "a4"] });
    expect(await listOffset(0)).toEqual({ errorCode: 0, offset: 4n });
  });
});
