/**
 * Produce, Fetch, ListOffsets, DeleteRecords, InitProducerId and OffsetForLeaderEpoch through the
 * codec-based test client (exact error codes and offsets).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey } from "@odradek/codec";
import { startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient, buildBatch, parseBatches } from "./helpers.js";

let broker: RunningBroker;
let c: TestClient;
beforeAll(async () => {
  broker = await startBroker({ config: { "message.max.bytes": "2000" } });
  c = await TestClient.connect(broker.port);
  const r = await c.request(ApiKey.CreateTopics, 7, {
    topics: [
      { name: "pf", numPartitions: 2, replicationFactor: 1 },
      { name: "lat", numPartitions: 1, replicationFactor: 1, configs: [{ name: "message.timestamp.type", value: "LogAppendTime" }] },
      { name: "idem", numPartitions: 1, replicationFactor: -1 },
    ],
    timeoutMs: 1000,
  });
  expect(r.topics.map((t) => t.errorCode)).toEqual([0, 0, 0]);
});
afterAll(async () => {
  await c.close();
  await broker.close();
});

const v = (s: string) => ({ value: Buffer.from(s) });

async function produce(topic: string, partition: number, records: Buffer | null, version = 9, acks = -1) {
  const r = await c.request(ApiKey.Produce, version, { acks, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }] });
  return r.responses[0]!.partitionResponses[0]!;
}

async function fetch(topic: string, partition: number, offset: bigint, opts: { version?: number; maxWaitMs?: number; minBytes?: number; maxBytes?: number; partitionMaxBytes?: number } = {}) {
  const version = opts.version ?? 12;
  const r = await c.request(ApiKey.Fetch, version, {
    replicaId: -1,
    maxWaitMs: opts.maxWaitMs ?? 0,
    minBytes: opts.minBytes ?? 1,
    maxBytes: opts.maxBytes ?? 1 << 20,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{ topic, topicId: version >= 13 ? broker.broker.topics.topic(topic)!.id : undefined, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: opts.partitionMaxBytes ?? 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
  });
  return r.responses[0]!.partitions[0]!;
}

describe("Produce and Fetch", () => {
  it("assigns offsets and serves them back, with high watermark and log start offset", async () => {
    const a = await produce("pf", 0, buildBatch([v("a"), v("b"), v("c")]));
    expect(a).toMatchObject({ errorCode: 0, baseOffset: 0n, logAppendTimeMs: -1n, logStartOffset: 0n });
    const b = await produce("pf", 0, buildBatch([v("d")]), 7);
    expect(b).toMatchObject({ errorCode: 0, baseOffset: 3n });
    for (const version of [4, 11, 12, 13, 17]) {
      const f = await fetch("pf", 0, 0n, { version });
      expect(f.errorCode).toBe(0);
      expect(f.highWatermark).toBe(4n);
      if (version >= 5) expect(f.logStartOffset).toBe(0n);
      const batches = parseBatches(f.records);
      expect(batches.map((x) => x.baseOffset)).toEqual([0n, 3n]);
      expect(batches.flatMap((x) => x.values)).toEqual(["a", "b", "c", "d"]);
      if (version >= 11) expect(f.preferredReadReplica).toBe(-1);
    }
    // fetching from the middle of a batch returns that whole batch (the client skips)
    const mid = await fetch("pf", 0, 1n);
    expect(parseBatches(mid.records)[0]!.baseOffset).toBe(0n);
  });

  it("returns the first batch even when larger than max bytes, then respects the limit", async () => {
    const f = await fetch("pf", 0, 0n, { maxBytes: 10, partitionMaxBytes: 10 });
    expect(parseBatches(f.records).length).toBe(1);
  });

  it("answers OFFSET_OUT_OF_RANGE and UNKNOWN_TOPIC_OR_PARTITION", async () => {
    expect((await fetch("pf", 0, 99n)).errorCode).toBe(1);
    expect((await fetch("nope", 0, 0n)).errorCode).toBe(3);
    expect((await fetch("pf", 7, 0n)).errorCode).toBe(3);
    expect((await produce("nope", 0, buildBatch([v("x")]))).errorCode).toBe(3);
    expect((await produce("pf", 9, buildBatch([v("x")]))).errorCode).toBe(3);
  });

  it("validates batches: CRC, magic, size, acks", async () => {
    const bad = buildBatch([v("x")]);
    bad.writeUInt8(bad.readUInt8(bad.length - 1) ^ 0xff, bad.length - 1);
    expect((await produce("pf", 1, bad)).errorCode).toBe(2); // CORRUPT_MESSAGE
    expect((await produce("pf", 1, buildBatch([v("x")], { magic: 1 }))).errorCode).toBe(43);
    expect((await produce("pf", 1, buildBatch([v("x".repeat(3000))]))).errorCode).toBe(10); // MESSAGE_TOO_LARGE
    expect((await produce("pf", 1, Buffer.from([1, 2, 3]))).errorCode).toBe(2);
    expect((await produce("pf", 1, buildBatch([v("x")]), 9, 2)).errorCode).toBe(21); // INVALID_REQUIRED_ACKS
    const f = await fetch("pf", 1, 0n);
    expect(f.highWatermark).toBe(0n);
  });

  it("stamps LogAppendTime topics with the broker clock", async () => {
    const before = BigInt(Date.now());
    const r = await produce("lat", 0, buildBatch([v("t")], { baseTimestamp: 1000n }));
    expect(r.errorCode).toBe(0);
    expect(r.logAppendTimeMs).toBeGreaterThanOrEqual(before);
    const b = parseBatches((await fetch("lat", 0, 0n)).records)[0]!;
    expect(b.attributes & 8).toBe(8);
    expect(b.maxTimestamp).toBe(r.logAppendTimeMs);
  });

  it("long-polls until an append arrives", async () => {
    const c2 = await TestClient.connect(broker.port);
    const start = Date.now();
    const p = c2.request(ApiKey.Fetch, 12, {
      replicaId: -1, maxWaitMs: 5000, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: "pf", partitions: [{ partition: 1, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
    });
    await new Promise((r) => setTimeout(r, 200));
    await produce("pf", 1, buildBatch([v("wake")]));
    const r = await p;
    expect(Date.now() - start).toBeLessThan(3000);
    expect(parseBatches(r.responses[0]!.partitions[0]!.records)[0]!.values).toEqual(["wake"]);
    // and waits max_wait_ms when nothing comes
    const t0 = Date.now();
    const empty = await fetch("pf", 1, 1n, { maxWaitMs: 300 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(empty.records?.length ?? 0).toBe(0);
    await c2.close();
  });

  it("gives acks=0 no response but appends", async () => {
    c.send(ApiKey.Produce, 9, { acks: 0, timeoutMs: 1000, topicData: [{ name: "pf", partitionData: [{ index: 1, records: buildBatch([v("fire")]) }] }] });
    const f = await fetch("pf", 1, 1n);
    expect(parseBatches(f.records).flatMap((b) => b.values)).toEqual(["fire"]);
  });

  it("sends current_leader (KIP-951) with leader-epoch errors only, as Kafka", async () => {
    const ok = await fetch("pf", 0, 0n);
    expect(ok.errorCode).toBe(0);
    expect(ok.currentLeader).toEqual({ leaderId: -1, leaderEpoch: -1 }); // the tag is absent
    const r = await c.request(ApiKey.Fetch, 12, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: "pf", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: 3, logStartOffset: -1n }] }],
    });
    const p = r.responses[0]!.partitions[0]!;
    expect(p.errorCode).toBe(75); // UNKNOWN_LEADER_EPOCH
    expect(p.currentLeader).toEqual({ leaderId: broker.broker.node.nodeId, leaderEpoch: 0 });
  });

  it("keeps incremental fetch sessions (KIP-227)", async () => {
    const part = (partition: number, fetchOffset: bigint) => ({ partition, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n });
    const req = (sessionId: number, sessionEpoch: number, topics: { topic: string; partitions: ReturnType<typeof part>[] }[], forgottenTopicsData: { topic: string; partitions: number[] }[] = [], maxWaitMs = 0) =>
      c.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs, minBytes: 1, maxBytes: 1 << 20, sessionId, sessionEpoch, topics, forgottenTopicsData });
    const hw0 = BigInt(broker.broker.topics.partition("pf", 0)!.log.highWatermark);
    const hw1 = BigInt(broker.broker.topics.partition("pf", 1)!.log.highWatermark);
    const full = await req(0, 0, [{ topic: "pf", partitions: [part(0, hw0), part(1, hw1)] }]);
    expect(full.errorCode).toBe(0);
    expect(full.sessionId).toBeGreaterThan(0);
    expect(full.responses[0]!.partitions.map((p) => p.partitionIndex)).toEqual([0, 1]);
    const id = full.sessionId;
    // nothing changed: an incremental fetch lists no partitions (after max_wait_ms)
    const inc1 = await req(id, 1, [], [], 100);
    expect(inc1).toMatchObject({ errorCode: 0, sessionId: id });
    expect(inc1.responses).toEqual([]);
    await produce("pf", 1, buildBatch([v("session")]));
    const inc2 = await req(id, 2, []);
    expect(inc2.responses.flatMap((t) => t.partitions.map((p) => p.partitionIndex))).toEqual([1]);
    expect(parseBatches(inc2.responses[0]!.partitions[0]!.records).flatMap((b) => b.values)).toEqual(["session"]);
    // the client moves its position; forgetting partition 0 drops it from the session
    const inc3 = await req(id, 3, [{ topic: "pf", partitions: [part(1, hw1 + 1n)] }], [{ topic: "pf", partitions: [0] }]);
    expect(inc3.responses).toEqual([]);
    expect((await req(id, 9, [])).errorCode).toBe(71); // INVALID_FETCH_SESSION_EPOCH
    expect((await req(id + 1, 1, [])).errorCode).toBe(70); // FETCH_SESSION_ID_NOT_FOUND
    expect((await req(0, 5, [])).errorCode).toBe(70);
    const close = await req(id, -1, [{ topic: "pf", partitions: [part(0, 0n)] }]);
    expect(close.sessionId).toBe(0);
    expect((await req(id, 4, [])).errorCode).toBe(70);
    // sessionless (0, -1) as kafkajs and librdkafka send
    const sessionless = await req(0, -1, [{ topic: "pf", partitions: [part(1, 0n)] }]);
    expect(sessionless.sessionId).toBe(0);
  });
});

describe("ListOffsets, DeleteRecords, OffsetForLeaderEpoch", () => {
  it("lists earliest, latest, max timestamp and by timestamp", async () => {
    await produce("pf", 1, buildBatch([v("t1")], { baseTimestamp: 5_000_000n }));
    const base = Date.now();
    const list = async (ts: bigint, version = 7) => (await c.request(ApiKey.ListOffsets, version, { replicaId: -1, topics: [{ name: "pf", partitions: [{ partitionIndex: 1, timestamp: ts, currentLeaderEpoch: -1 }] }] })).topics[0]!.partitions[0]!;
    expect((await list(-2n)).offset).toBe(0n);
    const latest = await list(-1n);
    expect(latest.offset).toBe(4n); // wake, fire, session, t1
    expect(latest.leaderEpoch).toBe(0);
    expect((await list(-1n, 1)).offset).toBe(4n);
    const byTs = await list(4_000_000n);
    expect(byTs.offset).toBe(0n);
    expect((await list(BigInt(base + 100_000))).offset).toBe(-1n);
    const maxTs = await list(-3n);
    expect(maxTs.timestamp).toBeGreaterThanOrEqual(5_000_000n);
    const unknown = (await c.request(ApiKey.ListOffsets, 7, { replicaId: -1, topics: [{ name: "zzz", partitions: [{ partitionIndex: 0, timestamp: -1n }] }] })).topics[0]!.partitions[0]!;
    expect(unknown.errorCode).toBe(3);
  });

  it("deletes records and moves the log start offset", async () => {
    const r = await c.request(ApiKey.DeleteRecords, 2, { topics: [{ name: "pf", partitions: [{ partitionIndex: 0, offset: 3n }, { partitionIndex: 1, offset: 99n }] }], timeoutMs: 1000 });
    expect(r.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, lowWatermark: 3n });
    expect(r.topics[0]!.partitions[1]!.errorCode).toBe(1);
    expect((await fetch("pf", 0, 0n)).errorCode).toBe(1);
    const f = await fetch("pf", 0, 3n);
    expect(f.logStartOffset).toBe(3n);
    expect(parseBatches(f.records).flatMap((b) => b.values)).toEqual(["d"]);
  });

  it("answers OffsetForLeaderEpoch for epoch 0", async () => {
    const r = await c.request(ApiKey.OffsetForLeaderEpoch, 4, { replicaId: -1, topics: [{ topic: "pf", partitions: [{ partition: 0, currentLeaderEpoch: 0, leaderEpoch: 0 }, { partition: 1, currentLeaderEpoch: 3, leaderEpoch: 0 }] }] });
    expect(r.topics[0]!.partitions[0]).toMatchObject({ errorCode: 0, leaderEpoch: 0, endOffset: 4n });
    expect(r.topics[0]!.partitions[1]!.errorCode).toBe(75); // UNKNOWN_LEADER_EPOCH
  });
});

describe("idempotent producers", () => {
  it("allocates distinct producer ids; a transactional id gets its own id at epoch 0", async () => {
    const a = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    const b = await c.request(ApiKey.InitProducerId, 1, { transactionalId: null, transactionTimeoutMs: 60000 });
    expect(a.errorCode).toBe(0);
    expect(b.producerId).not.toBe(a.producerId);
    expect(a.producerEpoch).toBe(0);
    const t = await c.request(ApiKey.InitProducerId, 4, { transactionalId: "tx", transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    expect([t.errorCode, t.producerEpoch]).toEqual([0, 0]);
    expect([a.producerId, b.producerId]).not.toContain(t.producerId);
  });

  it("deduplicates retried batches and rejects sequence gaps", async () => {
    const { producerId } = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60000, producerId: -1n, producerEpoch: -1 });
    const batch = (seq: number, n: number) => buildBatch(Array.from({ length: n }, (_, i) => v(`s${seq + i}`)), { producerId, producerEpoch: 0, baseSequence: seq });
    expect(await produce("idem", 0, batch(0, 2))).toMatchObject({ errorCode: 0, baseOffset: 0n });
    expect(await produce("idem", 0, batch(2, 3))).toMatchObject({ errorCode: 0, baseOffset: 2n });
    expect(await produce("idem", 0, batch(0, 2))).toMatchObject({ errorCode: 0, baseOffset: 0n }); // duplicate
    expect(await produce("idem", 0, batch(2, 3))).toMatchObject({ errorCode: 0, baseOffset: 2n }); // duplicate
    expect((await produce("idem", 0, batch(9, 1))).errorCode).toBe(45); // OUT_OF_ORDER_SEQUENCE_NUMBER
    expect(await produce("idem", 0, batch(5, 1))).toMatchObject({ errorCode: 0, baseOffset: 5n });
    const f = await fetch("idem", 0, 0n);
    expect(f.highWatermark).toBe(6n);
    expect(parseBatches(f.records).flatMap((b) => b.values)).toEqual(["s0", "s1", "s2", "s3", "s4", "s5"]);
    // an older epoch is fenced; a new epoch must start at 0
    const e1 = buildBatch([v("e1")], { producerId, producerEpoch: 1, baseSequence: 3 });
    expect((await produce("idem", 0, e1)).errorCode).toBe(45);
    const e1ok = buildBatch([v("e1")], { producerId, producerEpoch: 1, baseSequence: 0 });
    expect((await produce("idem", 0, e1ok)).errorCode).toBe(0);
    expect((await produce("idem", 0, batch(6, 1))).errorCode).toBe(47); // INVALID_PRODUCER_EPOCH
  });
});
