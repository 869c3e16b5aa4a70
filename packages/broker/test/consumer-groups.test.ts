/**
 * KIP-848 consumer groups (ConsumerGroupHeartbeat / ConsumerGroupDescribe) over real TCP with a
 * ManualClock: epochs, server-side assignment, revocation before reassignment, fencing, session
 * expiry, and the same state after a restart (replay of the group's records).
 * A new group starts at group epoch 1 (Kafka 4.4), so its first member gets epoch 2. These tests
 * follow each target step by step with `group.consumer.assignment.interval.ms` 0 (targets at once;
 * the interval itself: consumer-assignment-interval.test.ts).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey, ErrorCode } from "@odradek/codec";
import { ManualClock, startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient } from "./helpers.js";

type TP = { topicId: string; partitions: number[] };
const settle = () => new Promise((r) => setTimeout(r, 30));

class Member {
  epoch = 0;
  owned: TP[] = [];
  constructor(readonly c: TestClient, readonly groupId: string, readonly memberId: string) {}
  async beat(extra: { subscribedTopicNames?: string[] | null; subscribedTopicRegex?: string | null; epoch?: number; owned?: TP[] | null; serverAssignor?: string | null } = {}) {
    const epoch = extra.epoch ?? this.epoch;
    const r = await this.c.request(ApiKey.ConsumerGroupHeartbeat, 1, {
      groupId: this.groupId, memberId: this.memberId, memberEpoch: epoch, instanceId: null, rackId: null,
      rebalanceTimeoutMs: epoch === 0 ? 20_000 : -1, subscribedTopicNames: extra.subscribedTopicNames ?? null,
      subscribedTopicRegex: extra.subscribedTopicRegex ?? null, serverAssignor: extra.serverAssignor ?? null,
      topicPartitions: extra.owned !== undefined ? extra.owned : epoch === 0 ? [] : this.owned,
    });
    if (r.errorCode === 0) {
      this.epoch = r.memberEpoch;
      if (r.assignment) this.owned = r.assignment.topicPartitions.map((t) => ({ topicId: t.topicId, partitions: [...t.partitions] }));
    }
    return r;
  }
  count(): number {
    return this.owned.reduce((n, t) => n + t.partitions.length, 0);
  }
}

let clock: ManualClock;
let b: RunningBroker;
let c: TestClient;
let topicId: string;
beforeAll(async () => {
  clock = new ManualClock();
  b = await startBroker({ clock, config: { "offsets.topic.num.partitions": "2", "group.consumer.assignment.interval.ms": "0" } });
  c = await TestClient.connect(b.port);
  const r = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "kt", numPartitions: 6, replicationFactor: 1 }, { name: "kt-other", numPartitions: 2, replicationFactor: 1 }], timeoutMs: 1000 });
  topicId = r.topics[0]!.topicId;
});
afterAll(async () => {
  await c.close();
  await b.close();
});

describe("ConsumerGroupHeartbeat", () => {
  it("one member gets every partition; a second one gets half only after the first revoked them", async () => {
    const a = new Member(c, "cg1", "member-a");
    const j = await a.beat({ subscribedTopicNames: ["kt"], epoch: 0 });
    expect(j).toMatchObject({ errorCode: 0, memberId: "member-a", memberEpoch: 2, heartbeatIntervalMs: 5000 });
    expect(a.owned).toEqual([{ topicId, partitions: [0, 1, 2, 3, 4, 5] }]);
    const m2 = new Member(c, "cg1", "member-b");
    const j2 = await m2.beat({ subscribedTopicNames: ["kt"], epoch: 0 });
    // b's target is half the partitions, but a still holds them: b gets nothing yet, at the new epoch.
    expect(j2).toMatchObject({ errorCode: 0, memberEpoch: 3 });
    expect(m2.count()).toBe(0);
    // a is told to give three up and keeps its epoch until it has.
    const r1 = await a.beat();
    expect(r1.memberEpoch).toBe(2);
    expect(a.count()).toBe(3);
    const kept = a.owned;
    // It reports owning only the three: now it moves to epoch 3; b then gets the other three.
    const r2 = await a.beat({ owned: kept });
    expect(r2.memberEpoch).toBe(3);
    await m2.beat();
    expect(m2.count()).toBe(3);
    const all = [...a.owned[0]!.partitions, ...m2.owned[0]!.partitions].sort();
    expect(all).toEqual([0, 1, 2, 3, 4, 5]);
    const d = await c.request(ApiKey.ConsumerGroupDescribe, 1, { groupIds: ["cg1", "nope"], includeAuthorizedOperations: false });
    expect(d.groups[0]).toMatchObject({ errorCode: 0, groupState: "Stable", groupEpoch: 3, assignmentEpoch: 3, assignorName: "uniform" });
    expect(d.groups[0]!.members.map((m) => m.assignment.topicPartitions[0]!.topicName)).toEqual(["kt", "kt"]);
    expect(d.groups[1]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    const lg = await c.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ["consumer"] });
    expect(lg.groups).toContainEqual({ groupId: "cg1", protocolType: "consumer", groupState: "Stable", groupType: "consumer" });
  });

  it("a wrong epoch is fenced, an unknown member refused, v1 needs a member id", async () => {
    const a = new Member(c, "cg2", "m");
    await a.beat({ subscribedTopicNames: ["kt"], epoch: 0 });
    expect((await a.beat({ epoch: 7 })).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    expect((await new Member(c, "cg2", "ghost").beat({ epoch: 3 })).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const noId = await new Member(c, "cg2", "").beat({ subscribedTopicNames: ["kt"], epoch: 0 });
    expect(noId).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "MemberId can't be empty." });
  });

  it("regex subscriptions, the range assignor, and leaving", async () => {
    const a = new Member(c, "cg3", "a");
    const m2 = new Member(c, "cg3", "b");
    await a.beat({ subscribedTopicRegex: "kt.*", serverAssignor: "range", epoch: 0 });
    expect(a.count()).toBe(8);
    await m2.beat({ subscribedTopicRegex: "kt.*", serverAssignor: "range", epoch: 0 });
    await a.beat();
    await a.beat({ owned: a.owned });
    await m2.beat();
    expect([a.count(), m2.count()]).toEqual([4, 4]);
    // range: a (first by member id) gets kt 0-2 and kt-other 0.
    expect(a.owned.map((t) => t.partitions)).toEqual(expect.arrayContaining([[0, 1, 2], [0]]));
    const left = await m2.beat({ epoch: -1 });
    expect(left).toMatchObject({ errorCode: 0, memberEpoch: -1 });
    await a.beat();
    expect(a.count()).toBe(8);
  });

  it("a silent member expires after the session timeout and its partitions move", async () => {
    const a = new Member(c, "cg4", "a");
    const m2 = new Member(c, "cg4", "b");
    await a.beat({ subscribedTopicNames: ["kt"], epoch: 0 });
    await m2.beat({ subscribedTopicNames: ["kt"], epoch: 0 });
    await a.beat();
    await a.beat({ owned: a.owned });
    await m2.beat();
    expect(m2.count()).toBe(3);
    for (let i = 0; i < 10; i++) {
      clock.advance(5_000);
      await a.beat();
      await settle();
    }
    expect((await m2.beat()).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(a.count()).toBe(6);
  });

  it("offsets from a consumer-group member need its current epoch (STALE_MEMBER_EPOCH)", async () => {
    const a = new Member(c, "cg5", "a");
    await a.beat({ subscribedTopicNames: ["kt"], epoch: 0 });
    const commit = (epoch: number, version = 9) => c.request(ApiKey.OffsetCommit, version, { groupId: "cg5", generationIdOrMemberEpoch: epoch, memberId: "a", groupInstanceId: null, topics: [{ name: "kt", partitions: [{ partitionIndex: 0, committedOffset: 4n, committedLeaderEpoch: -1, committedMetadata: null }] }] }).then((r) => r.topics[0]!.partitions[0]!.errorCode);
    expect(await commit(a.epoch)).toBe(0);
    expect(await commit(a.epoch + 1)).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(await commit(a.epoch, 8)).toBe(ErrorCode.UNSUPPORTED_VERSION);
  });

  it("OffsetFetch v9+ from a consumer-group member needs its current epoch; admin fetches (no member, epoch -1) always work", async () => {
    const a = new Member(c, "cg6", "a6");
    await a.beat({ subscribedTopicNames: ["kt"], epoch: 0 });
    await c.request(ApiKey.OffsetCommit, 9, { groupId: "cg6", generationIdOrMemberEpoch: a.epoch, memberId: "a6", groupInstanceId: null, topics: [{ name: "kt", partitions: [{ partitionIndex: 0, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    const fetch = (memberId: string | null, memberEpoch: number) => c.request(ApiKey.OffsetFetch, 9, { groups: [{ groupId: "cg6", memberId, memberEpoch, topics: [{ name: "kt", partitionIndexes: [0] }] }], requireStable: false })
      .then((r) => ({ errorCode: r.groups[0]!.errorCode, offset: r.groups[0]!.topics[0]?.partitions[0]?.committedOffset }));
    expect(await fetch("a6", a.epoch)).toEqual({ errorCode: 0, offset: 7n });
    expect(await fetch(null, -1)).toEqual({ errorCode: 0, offset: 7n });
    expect((await fetch("a6", a.epoch + 1)).errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect((await fetch("nobody", a.epoch)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });
});

describe("static members (KIP-345 with KIP-848)", () => {
  it("a static member leaves with -2, keeps its partitions, and comes back under a new id without a rebalance", async () => {
    const beat = (memberId: string, memberEpoch: number, extra: Record<string, unknown> = {}) => c.request(ApiKey.ConsumerGroupHeartbeat, 1, {
      groupId: "cg-static", memberId, memberEpoch, instanceId: "inst-1", rackId: null, rebalanceTimeoutMs: memberEpoch === 0 ? 20_000 : -1,
      subscribedTopicNames: memberEpoch === 0 ? ["kt"] : null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: memberEpoch === 0 ? [] : null, ...extra,
    });
    const j = await beat("s-old", 0);
    expect(j.assignment!.topicPartitions[0]!.partitions).toEqual([0, 1, 2, 3, 4, 5]);
    const inUse = await beat("s-new", 0);
    expect(inUse.errorCode).toBe(ErrorCode.UNRELEASED_INSTANCE_ID);
    const left = await beat("s-old", -2);
    expect(left).toMatchObject({ errorCode: 0, memberId: "s-old", memberEpoch: -2 });
    expect(await b.broker.groups.dump("cg-static")).toMatchObject({ groupEpoch: 2, members: [{ memberId: "s-old", memberEpoch: -2, assigned: { [topicId]: [0, 1, 2, 3, 4, 5] } }] });
    const back = await beat("s-new", 0);
    expect(back).toMatchObject({ errorCode: 0, memberId: "s-new", memberEpoch: 2 });
    expect(back.assignment!.topicPartitions[0]!.partitions).toEqual([0, 1, 2, 3, 4, 5]);
    expect(await b.broker.groups.dump("cg-static")).toMatchObject({ groupEpoch: 2, members: [{ memberId: "s-new", memberEpoch: 2 }] });
  });
});

describe("replay of consumer groups", () => {
  it("a restart brings back epochs, members and assignments", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-cg-"));
    try {
      const clock1 = new ManualClock();
      let broker = await startBroker({ dataDir: dir, clock: clock1, config: { "offsets.topic.num.partitions": "1", "group.consumer.assignment.interval.ms": "0" } });
      let client = await TestClient.connect(broker.port);
      await client.request(ApiKey.CreateTopics, 7, { topics: [{ name: "rk", numPartitions: 4, replicationFactor: 1 }], timeoutMs: 1000 });
      const a = new Member(client, "rg", "a");
      const m2 = new Member(client, "rg", "b");
      await a.beat({ subscribedTopicNames: ["rk"], epoch: 0 });
      await m2.beat({ subscribedTopicNames: ["rk"], epoch: 0 });
      await a.beat();
      const live = await broker.broker.groups.dump("rg");
      expect(live).toMatchObject({ type: "consumer", state: "Reconciling", groupEpoch: 3 });
      await client.close();
      await broker.close();
      broker = await startBroker({ dataDir: dir, clock: new ManualClock(clock1.now()), config: { "offsets.topic.num.partitions": "1", "group.consumer.assignment.interval.ms": "0" } });
      client = await TestClient.connect(broker.port);
      expect(await broker.broker.groups.dump("rg")).toEqual(live);
      // The reconciliation goes on where it was: a revokes, b gets the rest.
      const a2 = new Member(client, "rg", "a");
      a2.epoch = a.epoch;
      a2.owned = a.owned;
      await a2.beat({ owned: a.owned });
      const b2 = new Member(client, "rg", "b");
      b2.epoch = m2.epoch;
      await b2.beat();
      expect(a2.count() + b2.count()).toBe(4);
      expect(await broker.broker.groups.dump("rg")).toMatchObject({ state: "Stable" });
      await client.close();
      await broker.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("OffsetDelete on a consumer group", () => {
  it("deletes offsets of topics no member subscribes to; a subscribed topic's stay until the group is empty", async () => {
    const m = new Member(c, "cg-del", "member-d");
    expect((await m.beat({ subscribedTopicNames: ["kt"], epoch: 0 })).errorCode).toBe(0);
    const commit = await c.request(ApiKey.OffsetCommit, 9, {
      groupId: "cg-del", generationIdOrMemberEpoch: m.epoch, memberId: "member-d", groupInstanceId: null, retentionTimeMs: -1n,
      topics: [{ name: "kt", partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] },
        { name: "kt-other", partitions: [{ partitionIndex: 1, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    });
    expect(commit.topics.flatMap((t) => t.partitions.map((p) => p.errorCode))).toEqual([0, 0]);
    const del = () => c.request(ApiKey.OffsetDelete, 0, { groupId: "cg-del", topics: [{ name: "kt", partitions: [{ partitionIndex: 0 }] }, { name: "kt-other", partitions: [{ partitionIndex: 1 }] }] });
    const r = await del();
    expect(r.errorCode).toBe(0);
    expect(r.topics.map((t) => t.partitions[0]!.errorCode)).toEqual([ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC, 0]);
    const fetched = await c.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: "cg-del", topics: null }], requireStable: false });
    expect(fetched.groups[0]!.topics.map((t) => t.name)).toEqual(["kt"]);
    expect((await m.beat({ epoch: -1 })).errorCode).toBe(0); // leaves: the group is empty
    const r2 = await del();
    expect(r2.topics.map((t) => t.partitions[0]!.errorCode)).toEqual([0, 0]);
    const after = await c.request(ApiKey.OffsetFetch, 8, { groups: [{ groupId: "cg-del", topics: null }], requireStable: false });
    expect(after.groups[0]!.topics).toEqual([]);
  });
});

describe("group.consumer.assignment.interval.ms (Kafka 4.4's canComputeNextTargetAssignment)", () => {
  const alter = (cl: TestClient, resourceType: number, resourceName: string, name: string, value: string) =>
    cl.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType, resourceName, configs: [{ name, configOperation: 0, value }] }], validateOnly: false }).then((r) => r.responses[0]!.errorCode);

  it("no new target within the interval of the last: a joiner gets the last target's epoch and nothing until a heartbeat after it; the broker config is dynamic, a group's own value wins", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-interval-"));
    let clock2 = new ManualClock();
    // The broker default: 1000 ms.
    const config = { "offsets.topic.num.partitions": "1" };
    let b2 = await startBroker({ dataDir: dir, clock: clock2, config });
    let c2 = await TestClient.connect(b2.port);
    try {
      await c2.request(ApiKey.CreateTopics, 7, { topics: [{ name: "ki", numPartitions: 4, replicationFactor: 1 }], timeoutMs: 1000 });
      const dump = () => b2.broker.groups.dump("ai") as Promise<{ state: string; groupEpoch: number; assignmentEpoch: number; assignmentTimestamp: number }>;
      const a = new Member(c2, "ai", "a");
      // A new group (no target yet) computes at once.
      expect(await a.beat({ subscribedTopicNames: ["ki"], epoch: 0 })).toMatchObject({ errorCode: 0, memberEpoch: 2 });
      expect(a.count()).toBe(4);
      const t0 = clock2.now();
      expect(await dump()).toMatchObject({ state: "Stable", groupEpoch: 2, assignmentEpoch: 2, assignmentTimestamp: t0 });
      clock2.advance(400);
      const m = new Member(c2, "ai", "b");
      // The group epoch moves on; the target stays at epoch 2, where b has nothing.
      expect(await m.beat({ subscribedTopicNames: ["ki"], epoch: 0 })).toMatchObject({ errorCode: 0, memberEpoch: 2 });
      expect(m.count()).toBe(0);
      expect(await dump()).toMatchObject({ state: "Assigning", groupEpoch: 3, assignmentEpoch: 2, assignmentTimestamp: t0 });
      clock2.advance(599);
      expect((await a.beat()).memberEpoch).toBe(2);
      expect(a.count()).toBe(4);
      // 1000 ms after the last target: a's heartbeat computes epoch 3's and is told to give two partitions up.
      clock2.advance(1);
      expect((await a.beat()).memberEpoch).toBe(2);
      expect(a.count()).toBe(2);
      expect(await dump()).toMatchObject({ state: "Reconciling", groupEpoch: 3, assignmentEpoch: 3, assignmentTimestamp: t0 + 1000 });
      expect((await a.beat({ owned: a.owned })).memberEpoch).toBe(3);
      expect((await m.beat()).memberEpoch).toBe(3);
      expect(m.count()).toBe(2);

      // The same after a restart: the target's timestamp is in its record.
      const live = await dump();
      await c2.close();
      await b2.close();
      clock2 = new ManualClock(clock2.now());
      b2 = await startBroker({ dataDir: dir, clock: clock2, config });
      c2 = await TestClient.connect(b2.port);
      expect(await dump()).toEqual(live);
      const a2 = Object.assign(new Member(c2, "ai", "a"), { epoch: a.epoch, owned: a.owned });
      const m2 = Object.assign(new Member(c2, "ai", "b"), { epoch: m.epoch, owned: m.owned });
      // A third member within the interval after the restart: nothing for it yet.
      const d = new Member(c2, "ai", "d");
      expect(await d.beat({ subscribedTopicNames: ["ki"], epoch: 0 })).toMatchObject({ errorCode: 0, memberEpoch: 3 });
      expect(d.count()).toBe(0);

      // group.consumer.assignment.interval.ms is a dynamic broker config: at 0 the next heartbeat computes.
      expect(await alter(c2, 4, "", "group.consumer.assignment.interval.ms", "0")).toBe(0);
      await a2.beat();
      expect(await dump()).toMatchObject({ groupEpoch: 4, assignmentEpoch: 4 });
      await a2.beat({ owned: a2.owned });
      await m2.beat();
      await m2.beat({ owned: m2.owned });
      await d.beat();
      expect(a2.count() + m2.count() + d.count()).toBe(4);
      expect([a2.epoch, m2.epoch, d.epoch]).toEqual([4, 4, 4]);
      // A group's own consumer.assignment.interval.ms wins over the broker's.
      expect(await alter(c2, 32, "ai", "consumer.assignment.interval.ms", "5000")).toBe(0);
      const t1 = (await dump()).assignmentTimestamp;
      const e = new Member(c2, "ai", "e");
      clock2.advance(4_999);
      expect(await e.beat({ subscribedTopicNames: ["ki"], epoch: 0 })).toMatchObject({ errorCode: 0, memberEpoch: 4 });
      expect(await dump()).toMatchObject({ groupEpoch: 5, assignmentEpoch: 4, assignmentTimestamp: t1 });
      clock2.advance(1);
      await e.beat();
      expect(await dump()).toMatchObject({ groupEpoch: 5, assignmentEpoch: 5, assignmentTimestamp: t1 + 5000 });
      // Every member left: the group's target gets timestamp 0, so the next member's is computed at once.
      for (const x of [a2, m2, d, e]) expect((await x.beat({ epoch: -1 })).errorCode).toBe(0);
      expect(await dump()).toMatchObject({ state: "Empty", groupEpoch: 9, assignmentEpoch: 9, assignmentTimestamp: 0 });
      const f = new Member(c2, "ai", "f");
      expect(await f.beat({ subscribedTopicNames: ["ki"], epoch: 0 })).toMatchObject({ errorCode: 0, memberEpoch: 10 });
      expect(f.count()).toBe(4);
    } finally {
      await c2.close();
      await b2.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("group.consumer.max.size", () => {
  it("a new member of a full group is refused GROUP_MAX_SIZE_REACHED with Kafka's message; its members and a static member's instance still join", async () => {
    const b2 = await startBroker({ clock: new ManualClock(), config: { "offsets.topic.num.partitions": "1", "group.consumer.max.size": "2", "group.consumer.assignment.interval.ms": "0" } });
    const c2 = await TestClient.connect(b2.port);
    try {
      await c2.request(ApiKey.CreateTopics, 7, { topics: [{ name: "km", numPartitions: 2, replicationFactor: 1 }], timeoutMs: 1000 });
      const staticBeat = (memberId: string, memberEpoch: number) => c2.request(ApiKey.ConsumerGroupHeartbeat, 1, {
        groupId: "gm", memberId, memberEpoch, instanceId: "i-1", rackId: null, rebalanceTimeoutMs: memberEpoch === 0 ? 20_000 : -1,
        subscribedTopicNames: memberEpoch === 0 ? ["km"] : null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: memberEpoch === 0 ? [] : null,
      });
      const a = new Member(c2, "gm", "a");
      expect((await a.beat({ subscribedTopicNames: ["km"], epoch: 0 })).errorCode).toBe(0);
      expect((await staticBeat("s1", 0)).errorCode).toBe(0);
      const x = await new Member(c2, "gm", "x").beat({ subscribedTopicNames: ["km"], epoch: 0 });
      expect(x).toMatchObject({ errorCode: ErrorCode.GROUP_MAX_SIZE_REACHED, errorMessage: "The consumer group has reached its maximum capacity of 2 members." });
      expect((await a.beat()).errorCode).toBe(0);
      // The static member's instance comes back under a new member id: not a new member.
      expect((await staticBeat("s1", -2)).errorCode).toBe(0);
      expect((await staticBeat("s2", 0)).errorCode).toBe(0);
      const members = ((await b2.broker.groups.dump("gm")) as { members: { memberId: string }[] }).members.map((m) => m.memberId);
      expect(members).toEqual(["a", "s2"]);
    } finally {
      await c2.close();
      await b2.close();
    }
  });
});
