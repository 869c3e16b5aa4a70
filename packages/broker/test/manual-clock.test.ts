/**
 * The broker on a ManualClock over real TCP (issue 14, "one clock"): Fetch max_wait_ms, fetch-session
 * eviction and producer-id expiry follow `clock.advance`, not the wall clock, and no test sleeps.
 * The clock reports when the broker arms a timer of a given length, so a test knows a long poll is
 * parked without polling for it.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey, ErrorCode } from "@odradek/codec";
import { ManualClock, startBroker } from "../src/index.js";
import type { RunningBroker, Timer, TimerCallback } from "../src/index.js";
import { TestClient, buildBatch, parseBatches } from "./helpers.js";

/** A ManualClock that resolves `armed(ms)` when a timer of `ms` is set. */
class WatchedClock extends ManualClock {
  private watches: { ms: number; resolve: () => void }[] = [];
  armed(ms: number): Promise<void> {
    return new Promise((resolve) => this.watches.push({ ms, resolve }));
  }
  override setTimeout(fn: TimerCallback, ms: number): Timer {
    const t = super.setTimeout(fn, ms);
    for (const w of this.watches.filter((x) => x.ms === ms)) w.resolve();
    this.watches = this.watches.filter((x) => x.ms !== ms);
    return t;
  }
}

const MAX_WAIT = 30_000;
let clock: WatchedClock;
let broker: RunningBroker;
let c: TestClient;

beforeAll(async () => {
  clock = new WatchedClock();
  broker = await startBroker({
    clock,
    config: {
      "max.incremental.fetch.session.cache.slots": "1", "producer.id.expiration.ms": "60000", "producer.id.expiration.check.interval.ms": "10000",
      "offsets.topic.num.partitions": "1", "share.coordinator.state.topic.num.partitions": "1",
    },
  });
  c = await TestClient.connect(broker.port);
  const r = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "mc", numPartitions: 2, replicationFactor: 1 }], timeoutMs: 1000 });
  expect(r.topics.map((t) => t.errorCode)).toEqual([0]);
});
afterAll(async () => {
  await c.close();
  await broker.close();
});

const part = (partition: number, fetchOffset = 0n) => ({ partition, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n });

function fetch(client: TestClient, o: { partition?: number; offset?: bigint; maxWaitMs?: number; sessionId?: number; sessionEpoch?: number; partitions?: number[] } = {}) {
  const partitions = o.partitions ?? [o.partition ?? 0];
  return client.request(ApiKey.Fetch, 12, {
    replicaId: -1, maxWaitMs: o.maxWaitMs ?? 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0,
    sessionId: o.sessionId ?? 0, sessionEpoch: o.sessionEpoch ?? -1,
    topics: partitions.length ? [{ topic: "mc", partitions: partitions.map((p) => part(p, o.offset ?? 0n)) }] : [],
    forgottenTopicsData: [],
  });
}

async function produce(partition: number, value: string, o: { producerId?: bigint; baseSequence?: number } = {}) {
  const records = buildBatch([{ value: Buffer.from(value) }], { baseTimestamp: BigInt(clock.now()), producerId: o.producerId, producerEpoch: o.producerId === undefined ? -1 : 0, baseSequence: o.baseSequence ?? -1 });
  const r = await c.request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 1000, topicData: [{ name: "mc", partitionData: [{ index: partition, records }] }] });
  return r.responses[0]!.partitionResponses[0]!;
}

/** A round trip on its own connection: the broker has handled what arrived before it. */
async function roundTrip(): Promise<void> {
  const other = await TestClient.connect(broker.port);
  await other.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
  await other.request(ApiKey.Metadata, 12, { topics: null, allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  await other.close();
}

/**
 * Sends a long poll, waits until the broker arms its `ms` max-wait timer, checks that no answer comes
 * at `ms - 1` on the clock (another connection's round trip has been served meanwhile), then moves
 * the clock to `ms` and returns the answer.
 */
async function answeredAtMaxWait<T>(ms: number, send: () => Promise<T>): Promise<T> {
  const parked = clock.armed(ms);
  let answered = false;
  const p = send().then((r) => ((answered = true), r));
  await parked;
  clock.advance(ms - 1);
  await roundTrip();
  expect(answered).toBe(false);
  clock.advance(1);
  return p;
}

describe("Fetch max_wait_ms on the broker clock", () => {
  it("a long poll with nothing to read returns when the clock reaches max_wait_ms, not before", async () => {
    const client = await TestClient.connect(broker.port);
    const r = await answeredAtMaxWait(MAX_WAIT, () => fetch(client, { partition: 1, maxWaitMs: MAX_WAIT }));
    expect(r.errorCode).toBe(0);
    expect(r.responses[0]!.partitions[0]!.records?.length ?? 0).toBe(0);
    await client.close();
  });

  it("returns early, with the records and no clock movement, when a produce arrives", async () => {
    const client = await TestClient.connect(broker.port);
    const parked = clock.armed(MAX_WAIT);
    const pendingBefore = clock.pending;
    const t0 = clock.now();
    const p = fetch(client, { partition: 0, maxWaitMs: MAX_WAIT });
    await parked;
    expect(clock.pending).toBe(pendingBefore + 1);
    expect((await produce(0, "wake")).errorCode).toBe(0);
    const r = await p;
    expect(parseBatches(r.responses[0]!.partitions[0]!.records)[0]!.values).toEqual(["wake"]);
    expect(clock.now()).toBe(t0);
    expect(clock.pending).toBe(pendingBefore); // the max-wait timer was cancelled
    await client.close();
  });
});

describe("ShareFetch max_wait_ms on the broker clock", () => {
  const SHARE_WAIT = 25_000;
  it("waits for records until the clock reaches max_wait_ms, and returns early when a produce arrives", async () => {
    const hb = await c.request(ApiKey.ShareGroupHeartbeat, 1, { groupId: "sg", memberId: "m1", memberEpoch: 0, rackId: null, subscribedTopicNames: ["mc"] });
    expect(hb.errorCode).toBe(0);
    const topicId = broker.broker.topics.topic("mc")!.id;
    const client = await TestClient.connect(broker.port);
    const shareFetch = (epoch: number) =>
      client.request(ApiKey.ShareFetch, 1, {
        groupId: "sg", memberId: "m1", shareSessionEpoch: epoch, maxWaitMs: SHARE_WAIT, minBytes: 1, maxBytes: 1 << 20, maxRecords: 100, batchSize: 100,
        topics: [{ topicId, partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, partitionMaxBytes: 1 << 20, acknowledgementBatches: [] })) }], forgottenTopicsData: [],
      });
    const acquired = (r: Awaited<ReturnType<typeof shareFetch>>) => r.responses.flatMap((t) => t.partitions.flatMap((p) => p.acquiredRecords.map((a) => [p.partitionIndex, Number(a.firstOffset)])));

    const r1 = await answeredAtMaxWait(SHARE_WAIT, () => shareFetch(0));
    expect(r1.errorCode).toBe(0);
    expect(acquired(r1)).toEqual([]);

    const parked = clock.armed(SHARE_WAIT);
    const t0 = clock.now();
    const second = shareFetch(1);
    await parked;
    const end = broker.broker.topics.partition("mc", 1)!.log.logEndOffset;
    expect((await produce(1, "share-wake")).errorCode).toBe(0);
    const r2 = await second;
    expect(acquired(r2)).toEqual([[1, end]]);
    expect(clock.now()).toBe(t0);
    await client.close();
  });
});

describe("fetch sessions on the broker clock (max.incremental.fetch.session.cache.slots=1)", () => {
  it("a full cache evicts a session only once it has been unused for more than 120 s", async () => {
    const a = await fetch(c, { sessionId: 0, sessionEpoch: 0, partitions: [0] });
    expect(a.sessionId).toBeGreaterThan(0);
    const refused = await fetch(c, { sessionId: 0, sessionEpoch: 0, partitions: [1] });
    expect(refused).toMatchObject({ errorCode: 0, sessionId: 0 }); // answered sessionless: A is in use
    expect(refused.responses[0]!.partitions.map((p) => p.partitionIndex)).toEqual([1]);
    clock.advance(60_000);
    expect((await fetch(c, { sessionId: a.sessionId, sessionEpoch: 1, partitions: [] })).errorCode).toBe(0); // A used again
    clock.advance(120_000);
    expect((await fetch(c, { sessionId: 0, sessionEpoch: 0, partitions: [1] })).sessionId).toBe(0); // 120 s unused: not yet stale
    clock.advance(1);
    const b = await fetch(c, { sessionId: 0, sessionEpoch: 0, partitions: [1] });
    expect(b.sessionId).toBeGreaterThan(0);
    expect(b.sessionId).not.toBe(a.sessionId);
    expect((await fetch(c, { sessionId: a.sessionId, sessionEpoch: 2, partitions: [] })).errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
    expect(broker.broker.fetchSessions.evictions).toBe(1);
  });
});

describe("producer-id expiry on the broker clock", () => {
  it("an idle producer's state goes at the first check past producer.id.expiration.ms", async () => {
    const init = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    expect(init.errorCode).toBe(0);
    const producerId = init.producerId;
    const lastBatch = clock.now();
    expect((await produce(1, "idem", { producerId, baseSequence: 0 })).errorCode).toBe(0);
    const producers = async () => {
      const r = await c.request(ApiKey.DescribeProducers, 0, { topics: [{ name: "mc", partitionIndexes: [1] }] });
      return r.topics[0]!.partitions[0]!.activeProducers.map((p) => p.producerId);
    };
    expect(await producers()).toEqual([producerId]);
    await clock.advanceAsync(60_000 - 1); // every check so far saw it idle for less than the expiration
    expect(await producers()).toEqual([producerId]);
    await clock.advanceAsync(10_000 + 1); // a check interval later: at least one check at or past 60 s idle
    expect(clock.now() - lastBatch).toBe(70_000);
    expect(await producers()).toEqual([]);
  });
});
