/**
 * Share groups over real TCP (ManualClock broker): `share.isolation.level=read_committed` with a
 * transactional producer (committed records delivered, aborted ones and transaction markers never,
 * an open transaction holds delivery at the last stable offset until it commits), and ShareFetch v2's
 * record_limit acquire mode (exactly max_records acquired, a batch split at the limit) and its
 * renew-only requests (is_renew_ack), with lock time moved by `clock.advance`.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey, ErrorCode, buildRecordBatch } from "@odradek/codec";
import { ManualClock, startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient } from "./helpers.js";

const ACCEPT = 1;
const INCREMENTAL_SET = 0;

let dir: string;
let clock: ManualClock;
let b: RunningBroker;
let c: TestClient;
const topicIds = new Map<string, string>();

const config = { "offsets.topic.num.partitions": "1", "transaction.state.log.num.partitions": "1", "share.coordinator.state.topic.num.partitions": "1" };

async function createTopic(name: string) {
  const r = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 });
  topicIds.set(name, r.topics[0]!.topicId);
}

/** Writes one batch: plain, or transactional for `txn` (producer id/epoch, its next sequence). */
async function produce(topic: string, values: string[], txn?: { id: string; producerId: number; epoch: number; seq: number }) {
  const records = buildRecordBatch({
    baseTimestamp: 0, records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: 0 })),
    ...(txn ? { producerId: txn.producerId, producerEpoch: txn.epoch, baseSequence: txn.seq, transactional: true } : {}),
  });
  const r = await c.request(ApiKey.Produce, 11, { transactionalId: txn?.id ?? null, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
  if (txn) txn.seq += values.length;
}

/** A transactional id's producer: InitProducerId, then per transaction AddPartitionsToTxn and EndTxn. */
async function transactional(id: string) {
  const r = await c.request(ApiKey.InitProducerId, 5, { transactionalId: id, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  expect(r.errorCode).toBe(0);
  const txn = { id, producerId: Number(r.producerId), epoch: r.producerEpoch, seq: 0 };
  return {
    async begin(topic: string) {
      const a = await c.request(ApiKey.AddPartitionsToTxn, 3, { transactions: [], v3AndBelowTransactionalId: id, v3AndBelowProducerId: BigInt(txn.producerId), v3AndBelowProducerEpoch: txn.epoch, v3AndBelowTopics: [{ name: topic, partitions: [0] }] });
      expect(a.resultsByTopicV3AndBelow[0]!.resultsByPartition[0]!.partitionErrorCode).toBe(0);
    },
    send: (topic: string, values: string[]) => produce(topic, values, txn),
    async end(committed: boolean) {
      expect((await c.request(ApiKey.EndTxn, 4, { transactionalId: id, producerId: BigInt(txn.producerId), producerEpoch: txn.epoch, committed })).errorCode).toBe(0);
      await b.broker.txns.settle();
    },
  };
}

async function joinGroup(groupId: string, topic: string, isolation?: string) {
  if (isolation) {
    const r = await c.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 32, resourceName: groupId, configs: [{ name: "share.isolation.level", configOperation: INCREMENTAL_SET, value: isolation }] }], validateOnly: false });
    expect(r.responses[0]!.errorCode).toBe(0);
  }
  const h = await c.request(ApiKey.ShareGroupHeartbeat, 1, { groupId, memberId: "m", memberEpoch: 0, rackId: null, subscribedTopicNames: [topic] });
  expect(h.errorCode).toBe(0);
}

let epochs = new Map<string, number>();
/** One ShareFetch v2 of member "m" (session epochs counted here); the acquired [first, last, deliveryCount] ranges and the data offsets sent. */
async function fetchShare(groupId: string, topic: string, maxRecords: number, mode = 0, acks: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] = [], renew = false) {
  const epoch = epochs.get(groupId) ?? 0;
  epochs.set(groupId, epoch + 1);
  const r = await c.request(ApiKey.ShareFetch, 2, {
    groupId, memberId: "m", shareSessionEpoch: epoch, maxWaitMs: 0, minBytes: renew ? 0 : 1, maxBytes: renew ? 0 : 1 << 20, maxRecords, batchSize: maxRecords, shareAcquireMode: mode, isRenewAck: renew,
    topics: [{ topicId: topicIds.get(topic)!, partitions: [{ partitionIndex: 0, partitionMaxBytes: 0, acknowledgementBatches: acks }] }], forgottenTopicsData: [],
  });
  expect(r.errorCode).toBe(0);
  const p = r.responses[0]?.partitions[0];
  expect(p?.acknowledgeErrorCode ?? 0).toBe(0);
  return (p?.acquiredRecords ?? []).map((a) => [Number(a.firstOffset), Number(a.lastOffset), a.deliveryCount]);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odradek-share-iso-"));
  clock = new ManualClock();
  b = await startBroker({ clock, dataDir: dir, config });
  c = await TestClient.connect(b.port);
  for (const t of ["txn", "plain", "limit", "renew"]) await createTopic(t);
  epochs = new Map();
});
afterAll(async () => {
  await c.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("share.isolation.level", () => {
  it("read_committed: committed records delivered, aborted ones and markers never, an open transaction holds delivery at the LSO", async () => {
    await joinGroup("rc", "txn", "read_committed");
    await joinGroup("ru", "txn", "read_uncommitted");
    const p = await transactional("tx-1");
    await p.begin("txn");
    await p.send("txn", ["a0", "a1"]); // 0-1
    await p.end(false); // marker 2
    await p.begin("txn");
    await p.send("txn", ["c0", "c1", "c2"]); // 3-5
    await p.end(true); // marker 6
    await produce("txn", ["plain"]); // 7
    await p.begin("txn");
    await p.send("txn", ["o0", "o1"]); // 8-9, open
    await produce("txn", ["after"]); // 10, past the LSO
    // read_committed: 3-5 and 7 only; nothing at or past the LSO (8).
    expect(await fetchShare("rc", "txn", 100)).toEqual([[3, 5, 1], [7, 7, 1]]);
    expect(await fetchShare("rc", "txn", 100, 0, [{ firstOffset: 3n, lastOffset: 7n, acknowledgeTypes: [ACCEPT, ACCEPT, ACCEPT, 0, ACCEPT] }])).toEqual([]);
    // read_uncommitted sees everything but the markers, the open transaction included.
    expect(await fetchShare("ru", "txn", 100)).toEqual([[0, 1, 1], [3, 5, 1], [7, 10, 1]]);
    await p.end(true); // marker 11: the LSO moves to the end
    expect(await fetchShare("rc", "txn", 100)).toEqual([[8, 10, 1]]);
    await fetchShare("rc", "txn", 100, 0, [{ firstOffset: 8n, lastOffset: 10n, acknowledgeTypes: [ACCEPT] }]);
    // Every offset is done: the aborted ones and the markers were archived, never delivered.
    const d = await c.request(ApiKey.DescribeShareGroupOffsets, 1, { groups: [{ groupId: "rc", topics: [{ topicName: "txn", partitions: [0] }] }] });
    expect(Number(d.groups[0]!.topics[0]!.partitions[0]!.startOffset)).toBe(12);
  });

  it("read_committed: an aborted transaction interleaved with committed data of another producer", async () => {
    await joinGroup("rc2", "plain", "read_committed");
    const p1 = await transactional("tx-a");
    const p2 = await transactional("tx-b");
    await p1.begin("plain");
    await p2.begin("plain");
    await p1.send("plain", ["x0"]); // 0
    await p2.send("plain", ["y0", "y1"]); // 1-2
    await p1.send("plain", ["x1"]); // 3
    await p1.end(false); // marker 4
    await p2.send("plain", ["y2"]); // 5
    await p2.end(true); // marker 6
    expect(await fetchShare("rc2", "plain", 100)).toEqual([[1, 2, 1], [5, 5, 1]]);
  });
});

describe("ShareFetch v2 share_acquire_mode", () => {
  it("record_limit acquires exactly max_records, splitting a batch; batch_optimized takes whole batches", async () => {
    await joinGroup("lim", "limit");
    await joinGroup("opt", "limit");
    await produce("limit", ["0", "1", "2", "3", "4"]); // one batch 0-4
    await produce("limit", ["5", "6"]); // 5-6
    expect(await fetchShare("lim", "limit", 2, 1)).toEqual([[0, 1, 1]]);
    expect(await fetchShare("lim", "limit", 4, 1)).toEqual([[2, 5, 1]]);
    expect(await fetchShare("lim", "limit", 4, 1)).toEqual([[6, 6, 1]]);
    expect(await fetchShare("opt", "limit", 2, 0)).toEqual([[0, 4, 1]]);
    // Released records are redelivered within the limit too.
    expect(await fetchShare("lim", "limit", 1, 1, [{ firstOffset: 0n, lastOffset: 1n, acknowledgeTypes: [2] }])).toEqual([[0, 0, 2]]);
    expect(await fetchShare("lim", "limit", 1, 1)).toEqual([[1, 1, 2]]);
  });
});

describe("ShareFetch v2 is_renew_ack", () => {
  it("a renew-only fetch renews locks and acquires nothing; its fetch fields must be 0", async () => {
    await joinGroup("rn", "renew");
    await produce("renew", ["0"]);
    await produce("renew", ["1"]);
    expect(await fetchShare("rn", "renew", 1, 1)).toEqual([[0, 0, 1]]);
    clock.advance(20_000); // of the 30 s lock
    expect(await fetchShare("rn", "renew", 0, 0, [{ firstOffset: 0n, lastOffset: 0n, acknowledgeTypes: [4] }], true)).toEqual([]);
    clock.advance(20_000); // past the first deadline, before the renewed one
    await new Promise((r) => setTimeout(r, 20));
    expect(await fetchShare("rn", "renew", 1, 1)).toEqual([[1, 1, 1]]); // not 0 again: its lock still holds
    const bad = await c.request(ApiKey.ShareFetch, 2, {
      groupId: "rn", memberId: "m", shareSessionEpoch: epochs.get("rn")!, maxWaitMs: 0, minBytes: 0, maxBytes: 0, maxRecords: 5, batchSize: 5, shareAcquireMode: 0, isRenewAck: true, topics: [], forgottenTopicsData: [],
    });
    expect(bad.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });
});
