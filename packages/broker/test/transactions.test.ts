/**
 * Transactions over real TCP, the broker's clock a ManualClock: InitProducerId / AddPartitionsToTxn /
 * Produce / EndTxn / TxnOffsetCommit as a transactional client sends them (version 1 requests, and
 * EndTxn v5 under transactions version 2), then what consumers see: the last stable offset, the
 * aborted-transactions list of read_committed fetches, offsets committed in a transaction, and a
 * transaction past its timeout aborted by `clock.advance`, with no real sleep. Then a restart with a
 * transaction open: it is still open after the restart and is aborted on its timeout.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey, ErrorCode, batchPositions, buildControlBatch, buildRecordBatch, isControl, readRecords } from "@odradek/codec";
import { ManualClock, startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient } from "./helpers.js";
import { TxnStates } from "../src/txn/txn-metadata.js";
import { txnRecord } from "../src/txn/txn-records.js";

const READ_COMMITTED = 1;

class TxnProducer {
  producerId = -1;
  epoch = -1;
  seq = new Map<string, number>();
  constructor(readonly c: TestClient, readonly transactionalId: string) {}

  async init(timeoutMs = 60_000, version = 5) {
    const r = await this.c.request(ApiKey.InitProducerId, version, { transactionalId: this.transactionalId, transactionTimeoutMs: timeoutMs, producerId: -1n, producerEpoch: -1 });
    if (r.errorCode === 0) {
      this.producerId = Number(r.producerId);
      this.epoch = r.producerEpoch;
      this.seq.clear();
    }
    return r.errorCode;
  }
  async add(topic: string, partitions: number[], version = 3) {
    const r = await this.c.request(ApiKey.AddPartitionsToTxn, version, {
      transactions: [], v3AndBelowTransactionalId: this.transactionalId, v3AndBelowProducerId: BigInt(this.producerId), v3AndBelowProducerEpoch: this.epoch,
      v3AndBelowTopics: [{ name: topic, partitions }],
    });
    return r.resultsByTopicV3AndBelow[0]!.resultsByPartition.map((p) => p.partitionErrorCode);
  }
  async send(topic: string, partition: number, values: string[], version = 11) {
    const k = `${topic}-${partition}`;
    const baseSequence = this.seq.get(k) ?? 0;
    const records = buildRecordBatch({
      producerId: this.producerId, producerEpoch: this.epoch, baseSequence, transactional: true, baseTimestamp: Date.now(),
      records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: Date.now() })),
    });
    const r = await this.c.request(ApiKey.Produce, version, { transactionalId: this.transactionalId, acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
    const p = r.responses[0]!.partitionResponses[0]!;
    if (p.errorCode === 0) this.seq.set(k, baseSequence + values.length);
    return p;
  }
  async end(commit: boolean, version = 4) {
    const r = await this.c.request(ApiKey.EndTxn, version, { transactionalId: this.transactionalId, producerId: BigInt(this.producerId), producerEpoch: this.epoch, committed: commit });
    return r;
  }
}

let clock: ManualClock;
let b: RunningBroker;
let c: TestClient;

/** Lets marker writes and timer steps run. */
const settle = async (broker: RunningBroker = b) => {
  await broker.broker.txns.settle();
  await new Promise((r) => setTimeout(r, 20));
  await broker.broker.txns.settle();
};

async function fetch(topic: string, partition: number, isolationLevel: number, offset = 0n, client: TestClient = c) {
  const r = await client.request(ApiKey.Fetch, 12, {
    replicaId: -1, maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, topicId: "AAAAAAAAAAAAAAAAAAAAAA", partitions: [{ partition, currentLeaderEpoch: -1, fetchOffset: offset, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 1 << 20 }] }],
    forgottenTopicsData: [], rackId: "",
  });
  return r.responses[0]!.partitions[0]!;
}

/** What a read_committed client shows: data batches, minus those of aborted transactions (by the aborted list), no control records. */
function visible(p: Awaited<ReturnType<typeof fetch>>): string[] {
  const aborted = new Map((p.abortedTransactions ?? []).map((a) => [Number(a.producerId), Number(a.firstOffset)]));
  const open = new Set<number>();
  const out: string[] = [];
  const buf = p.records as Buffer;
  if (!buf) return out;
  for (const at of batchPositions(buf, { allowPartial: true })) {
    if (at.partial) break;
    const h = at.header;
    const first = aborted.get(h.producerId);
    if (first !== undefined && h.baseOffset >= first) open.add(h.producerId);
    if (isControl(h.attributes)) {
      open.delete(h.producerId);
      continue;
    }
    if (open.has(h.producerId)) continue;
    for (const r of readRecords(buf, at.pos)) out.push(r.value!.toString());
  }
  return out;
}

beforeAll(async () => {
  clock = new ManualClock();
  b = await startBroker({ clock, config: { "offsets.topic.num.partitions": "2", "transaction.state.log.num.partitions": "3" } });
  c = await TestClient.connect(b.port);
  const r = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "tx", numPartitions: 2, replicationFactor: 1 }, { name: "tx-timeout", numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 });
  expect(r.topics.map((t) => t.errorCode)).toEqual([0, 0]);
});
afterAll(async () => {
  await c.close();
  await b.close();
});

describe("transactions", () => {
  it("FindCoordinator names this broker for a transactional id and creates __transaction_state", async () => {
    const r = await c.request(ApiKey.FindCoordinator, 6, { keyType: 1, coordinatorKeys: ["a", ""] });
    expect(r.coordinators.map((x) => [x.key, x.errorCode, x.nodeId])).toEqual([["a", 0, b.broker.node.nodeId], ["", ErrorCode.INVALID_REQUEST, -1]]);
    expect(b.broker.topics.topic("__transaction_state")!.partitions).toHaveLength(3);
  });

  it("interleaved commit and abort on two partitions: LSO, aborted list and what read_committed shows", async () => {
    const p1 = new TxnProducer(c, "p1");
    const p2 = new TxnProducer(c, "p2");
    expect(await p1.init()).toBe(0);
    expect(await p2.init()).toBe(0);
    expect(await p1.add("tx", [0, 1])).toEqual([0, 0]);
    expect(await p2.add("tx", [0])).toEqual([0]);
    expect((await p1.send("tx", 0, ["a1", "a2"])).baseOffset).toBe(0n); // 0-1
    expect((await p2.send("tx", 0, ["b1"])).baseOffset).toBe(2n); // 2
    expect((await p1.send("tx", 1, ["a3"])).baseOffset).toBe(0n);
    expect((await p1.send("tx", 0, ["a4"])).baseOffset).toBe(3n); // 3
    // Both open: the LSO of partition 0 is its first unstable offset, 0; read_committed sees nothing.
    let f = await fetch("tx", 0, READ_COMMITTED);
    expect([f.highWatermark, f.lastStableOffset]).toEqual([4n, 0n]);
    expect(visible(f)).toEqual([]);
    expect(f.abortedTransactions).toEqual([]);
    // p2 aborts: marker at 4; p1 still open from 0, so the LSO stays 0.
    expect((await p2.end(false)).errorCode).toBe(0);
    await settle();
    f = await fetch("tx", 0, READ_COMMITTED);
    expect([f.highWatermark, f.lastStableOffset]).toEqual([5n, 0n]);
    // p1 commits: markers at 5 (partition 0) and 1 (partition 1); the LSO is the HW.
    expect((await p1.end(true)).errorCode).toBe(0);
    await settle();
    f = await fetch("tx", 0, READ_COMMITTED);
    expect([f.highWatermark, f.lastStableOffset]).toEqual([6n, 6n]);
    expect(f.abortedTransactions).toEqual([{ producerId: BigInt(p2.producerId), firstOffset: 2n }]);
    expect(visible(f)).toEqual(["a1", "a2", "a4"]);
    // read_uncommitted: every data record, no aborted list.
    const u = await fetch("tx", 0, 0);
    expect(u.abortedTransactions).toBeNull();
    expect(visible({ ...u, abortedTransactions: [] })).toEqual(["a1", "a2", "b1", "a4"]);
    // From offset 3 on, p2's aborted transaction (2..4) still overlaps: it is listed.
    expect((await fetch("tx", 0, READ_COMMITTED, 3n)).abortedTransactions).toEqual([{ producerId: BigInt(p2.producerId), firstOffset: 2n }]);
    // From 5 on, nothing aborted overlaps.
    expect((await fetch("tx", 0, READ_COMMITTED, 5n)).abortedTransactions).toEqual([]);
    const f1 = await fetch("tx", 1, READ_COMMITTED);
    expect([f1.lastStableOffset, visible(f1)]).toEqual([2n, ["a3"]]);
    // ListOffsets with read_committed answers the LSO.
    const lo = await c.request(ApiKey.ListOffsets, 9, { replicaId: -1, isolationLevel: READ_COMMITTED, topics: [{ name: "tx", partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -1n }] }] });
    expect(lo.topics[0]!.partitions[0]!.offset).toBe(6n);
    // A retried EndTxn is answered as the first one; the other outcome is refused.
    expect((await p1.end(true)).errorCode).toBe(0);
    expect((await p1.end(false)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it("refuses what is not part of a transaction: unadded partitions, a batch without the transactional id, a client's control batch", async () => {
    const p = new TxnProducer(c, "strict");
    await p.init();
    await p.add("tx", [0]);
    expect((await p.send("tx", 1, ["x"])).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    const batch = buildRecordBatch({ producerId: p.producerId, producerEpoch: p.epoch, baseSequence: 0, transactional: true, baseTimestamp: Date.now(), records: [{ key: null, value: Buffer.from("y"), timestamp: Date.now() }] });
    const noId = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: "tx", partitionData: [{ index: 0, records: batch }] }] });
    expect(noId.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    const control = buildControlBatch({ commit: true, producerId: p.producerId, producerEpoch: p.epoch, coordinatorEpoch: 0, timestamp: Date.now() });
    const ctl = await c.request(ApiKey.Produce, 9, { transactionalId: "strict", acks: -1, timeoutMs: 1000, topicData: [{ name: "tx", partitionData: [{ index: 0, records: control }] }] });
    expect(ctl.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect((await p.end(false)).errorCode).toBe(0);
    await settle();
  });

  it("a second InitProducerId fences the first producer (PRODUCER_FENCED, INVALID_PRODUCER_EPOCH before v2)", async () => {
    const a = new TxnProducer(c, "fence");
    await a.init();
    await a.add("tx", [1]);
    await a.send("tx", 1, ["zombie"]);
    const b2 = new TxnProducer(c, "fence");
    expect(await b2.init()).toBe(ErrorCode.CONCURRENT_TRANSACTIONS); // the open transaction is aborted first
    await settle();
    expect(await b2.init()).toBe(0);
    expect(b2.epoch).toBe(a.epoch + 2);
    expect((await a.end(true)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect((await a.end(true, 1)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    expect((await a.send("tx", 1, ["late"])).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
    const f = await fetch("tx", 1, READ_COMMITTED);
    expect(visible(f)).not.toContain("zombie");
    expect(f.lastStableOffset).toBe(f.highWatermark);
  });

  it("a transaction past transaction.timeout.ms is aborted on the clock; consumers move on", async () => {
    const p = new TxnProducer(c, "slow");
    await p.init(5_000);
    await p.add("tx-timeout", [0]);
    await p.send("tx-timeout", 0, ["never"]);
    expect((await fetch("tx-timeout", 0, READ_COMMITTED)).lastStableOffset).toBe(0n);
    clock.advance(5_000 + 10_000); // the timeout, then the abort check (transaction.abort.timed.out.transaction.cleanup.interval.ms)
    await settle();
    const f = await fetch("tx-timeout", 0, READ_COMMITTED);
    expect([f.highWatermark, f.lastStableOffset]).toEqual([2n, 2n]);
    expect(visible(f)).toEqual([]);
    expect((await p.end(true)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    const d = await c.request(ApiKey.DescribeTransactions, 0, { transactionalIds: ["slow", "nobody"] });
    expect(d.transactionStates.map((s) => [s.transactionalId, s.errorCode, s.transactionState])).toEqual([["slow", 0, "CompleteAbort"], ["nobody", ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, ""]]);
  });

  it("offsets committed in a transaction are visible only after the commit marker; an abort drops them", async () => {
    const p = new TxnProducer(c, "eos");
    await p.init();
    const addOffsets = () => c.request(ApiKey.AddOffsetsToTxn, 3, { transactionalId: "eos", producerId: BigInt(p.producerId), producerEpoch: p.epoch, groupId: "eos-group" });
    const commitOffset = (offset: bigint) => c.request(ApiKey.TxnOffsetCommit, 3, {
      transactionalId: "eos", groupId: "eos-group", producerId: BigInt(p.producerId), producerEpoch: p.epoch, generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: null,
      topics: [{ name: "tx", partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: "" }] }],
    });
    const fetchOffset = async (requireStable: boolean) => {
      const r = await c.request(ApiKey.OffsetFetch, 7, { groupId: "eos-group", topics: [{ name: "tx", partitionIndexes: [0] }], requireStable });
      const x = r.topics[0]!.partitions[0]!;
      return [x.errorCode, x.committedOffset];
    };
    // Without AddOffsetsToTxn the commit is refused (KIP-890 verification).
    expect((await commitOffset(3n)).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect((await addOffsets()).errorCode).toBe(0);
    expect((await commitOffset(3n)).topics[0]!.partitions[0]!.errorCode).toBe(0);
    expect(await fetchOffset(false)).toEqual([0, -1n]);
    expect(await fetchOffset(true)).toEqual([ErrorCode.UNSTABLE_OFFSET_COMMIT, -1n]);
    expect((await p.end(true)).errorCode).toBe(0);
    await settle();
    expect(await fetchOffset(true)).toEqual([0, 3n]);
    // An aborted transaction's offset never shows.
    await addOffsets();
    await commitOffset(9n);
    expect((await p.end(false)).errorCode).toBe(0);
    await settle();
    expect(await fetchOffset(true)).toEqual([0, 3n]);
  });

  it("transactions version 2 (EndTxn v5): the epoch is bumped at each end and returned", async () => {
    const p = new TxnProducer(c, "v2");
    await p.init();
    const epoch = p.epoch;
    // Produce v12 adds the partition itself under transactions version 2.
    expect((await p.send("tx", 1, ["v2-a"], 12)).errorCode).toBe(0);
    const r = await p.end(true, 5);
    expect([r.errorCode, Number(r.producerId), r.producerEpoch]).toEqual([0, p.producerId, epoch + 1]);
    await settle();
    // A retry with the old epoch is answered the same way.
    const again = await p.end(true, 5);
    expect([again.errorCode, again.producerEpoch]).toEqual([0, epoch + 1]);
    p.epoch = r.producerEpoch;
    p.seq.clear();
    expect((await p.send("tx", 1, ["v2-b"], 12)).errorCode).toBe(0);
    expect((await p.end(false, 5)).producerEpoch).toBe(epoch + 2);
    await settle();
    const f = await fetch("tx", 1, READ_COMMITTED);
    expect(visible(f).filter((v) => v.startsWith("v2"))).toEqual(["v2-a"]);
  });

  it("ListTransactions filters by state, producer id, duration and pattern", async () => {
    const all = await c.request(ApiKey.ListTransactions, 2, { stateFilters: [], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: null });
    expect(all.transactionStates.map((t) => t.transactionalId).sort()).toEqual(["eos", "fence", "p1", "p2", "slow", "strict", "v2"]);
    const aborted = await c.request(ApiKey.ListTransactions, 2, { stateFilters: ["CompleteAbort", "Bogus"], producerIdFilters: [], durationFilter: -1n, transactionalIdPattern: "s.*" });
    expect(aborted.unknownStateFilters).toEqual(["Bogus"]);
    expect(aborted.transactionStates.map((t) => t.transactionalId).sort()).toEqual(["slow", "strict"]);
  });
});

describe("transactions across a restart", () => {
  it("an open transaction survives a restart and is then aborted on its timeout; committed data stays visible", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-txn-"));
    try {
      const clk = new ManualClock();
      let broker = await startBroker({ clock: clk, dataDir: dir, config: { "transaction.state.log.num.partitions": "2" } });
      let cl = await TestClient.connect(broker.port);
      await cl.request(ApiKey.CreateTopics, 7, { topics: [{ name: "r", numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 });
      const done = new TxnProducer(cl, "done");
      await done.init();
      await done.add("r", [0]);
      await done.send("r", 0, ["kept"]);
      await done.end(true);
      await broker.broker.txns.settle();
      const open = new TxnProducer(cl, "open");
      await open.init(20_000);
      await open.add("r", [0]);
      await open.send("r", 0, ["pending"]);
      await cl.close();
      await broker.close();

      broker = await startBroker({ clock: clk, dataDir: dir, config: { "transaction.state.log.num.partitions": "2" } });
      cl = await TestClient.connect(broker.port);
      let f = await fetch("r", 0, READ_COMMITTED, 0n, cl);
      expect([f.highWatermark, f.lastStableOffset]).toEqual([3n, 2n]);
      expect(visible(f)).toEqual(["kept"]);
      const d = await cl.request(ApiKey.DescribeTransactions, 0, { transactionalIds: ["open"] });
      expect(d.transactionStates[0]!.transactionState).toBe("Ongoing");
      clk.advance(20_000 + 10_000);
      await settle(broker);
      f = await fetch("r", 0, READ_COMMITTED, 0n, cl);
      expect([f.highWatermark, f.lastStableOffset]).toEqual([4n, 4n]);
      expect(visible(f)).toEqual(["kept"]);
      await cl.close();
      await broker.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a crash between PrepareCommit and the markers", () => {
  // The coordinator answers EndTxn once PrepareCommit is durable and writes the markers after; a
  // broker killed in between leaves PrepareCommit as the id's last record and no marker in the data
  // partitions. That state is made here by appending the PrepareCommit record to __transaction_state
  // by hand (as the coordinator would) and closing the broker before any EndTxn.
  it("after the restart the markers are written, the transaction completes and read_committed is not stuck", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-txn-prepare-"));
    const config = { "transaction.state.log.num.partitions": "2" };
    try {
      const clk = new ManualClock();
      let broker = await startBroker({ clock: clk, dataDir: dir, config });
      let cl = await TestClient.connect(broker.port);
      await cl.request(ApiKey.CreateTopics, 7, { topics: [{ name: "pc", numPartitions: 2, replicationFactor: 1 }], timeoutMs: 1000 });
      const p = new TxnProducer(cl, "prepared");
      await p.init(60_000);
      expect(await p.add("pc", [0, 1])).toEqual([0, 0]);
      expect((await p.send("pc", 0, ["a0", "a1"])).errorCode).toBe(0);
      expect((await p.send("pc", 1, ["b0"])).errorCode).toBe(0);
      const m = await broker.broker.txns.describe("prepared");
      expect(m?.state.name).toBe("Ongoing");
      const log = await broker.broker.logs.getOrCreateLog("__transaction_state", broker.broker.txns.partitionFor("prepared"));
      const rec = txnRecord("prepared", { ...m!, state: TxnStates.PrepareCommit, lastUpdateMs: clk.now() });
      const batch = buildRecordBatch({ records: [{ key: rec.key, value: rec.value, timestamp: clk.now() }], baseTimestamp: clk.now() });
      expect((await log.append(batch, { leaderEpoch: 0, origin: "coordinator" })).error).toBeUndefined();
      let f = await fetch("pc", 0, READ_COMMITTED, 0n, cl);
      expect([f.highWatermark, f.lastStableOffset]).toEqual([2n, 0n]);
      await cl.close();
      await broker.close();

      broker = await startBroker({ clock: clk, dataDir: dir, config });
      cl = await TestClient.connect(broker.port);
      await broker.broker.txns.describe("prepared"); // the coordinator partition is loaded on first use
      await settle(broker);
      f = await fetch("pc", 0, READ_COMMITTED, 0n, cl);
      expect([f.highWatermark, f.lastStableOffset]).toEqual([3n, 3n]);
      expect(visible(f)).toEqual(["a0", "a1"]);
      const f1 = await fetch("pc", 1, READ_COMMITTED, 0n, cl);
      expect([f1.highWatermark, f1.lastStableOffset]).toEqual([2n, 2n]);
      expect(visible(f1)).toEqual(["b0"]);
      const d = await cl.request(ApiKey.DescribeTransactions, 0, { transactionalIds: ["prepared"] });
      expect(d.transactionStates[0]!.transactionState).toBe("CompleteCommit");
      await cl.close();
      await broker.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("transactions version 1 (UpdateFeatures downgrades transaction.version to 1)", () => {
  it("finalizes transaction.version 1; EndTxn v5 keeps the epoch and Produce v12 does not add the partition", async () => {
    const broker = await startBroker({ config: { "transaction.state.log.num.partitions": "1" } });
    const cl = await TestClient.connect(broker.port);
    try {
      const down = await cl.request(ApiKey.UpdateFeatures, 1, { timeoutMs: 60000, featureUpdates: [{ feature: "transaction.version", maxVersionLevel: 1, upgradeType: 2 }], validateOnly: false });
      expect(down.errorCode).toBe(0);
      const av = await cl.request(ApiKey.ApiVersions, 4, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
      expect(av.finalizedFeatures.find((f) => f.name === "transaction.version")).toEqual({ name: "transaction.version", minVersionLevel: 1, maxVersionLevel: 1 });
      await cl.request(ApiKey.CreateTopics, 7, { topics: [{ name: "t1", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      const p = new TxnProducer(cl, "v1");
      await p.init();
      const epoch = p.epoch;
      // no implicit add under version 1: the partition must be added first
      expect((await p.send("t1", 0, ["x"], 12)).errorCode).not.toBe(0);
      expect(await p.add("t1", [0])).toEqual([0]);
      expect((await p.send("t1", 0, ["y"], 12)).errorCode).toBe(0);
      const r = await p.end(true, 5);
      expect([r.errorCode, r.producerEpoch]).toEqual([0, epoch]);
    } finally {
      await cl.close();
      await broker.close();
    }
  });
});
