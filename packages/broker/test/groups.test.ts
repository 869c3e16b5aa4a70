/**
 * Classic consumer groups and committed offsets, over real TCP with the broker's clock replaced by a
 * ManualClock: session expiry and rebalance timeouts happen by `clock.advance`, never by sleeping.
 * Then the replay test: a data directory closed and reopened rebuilds the same groups and offsets.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ApiKey, ErrorCode } from "@odradek/codec";
import { ManualClock, startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient } from "./helpers.js";

const meta = (s: string) => Buffer.from(s);

class Member {
  memberId = "";
  generationId = -1;
  private constructor(readonly c: TestClient, readonly groupId: string, readonly instanceId: string | null) {}
  static async connect(b: RunningBroker, groupId: string, instanceId: string | null = null): Promise<Member> {
    return new Member(await TestClient.connect(b.port), groupId, instanceId);
  }
  join(protocols: { name: string; metadata: Buffer }[] = [{ name: "range", metadata: meta("sub") }], version = 9, sessionTimeoutMs = 10_000, rebalanceTimeoutMs = 30_000) {
    return this.c.request(ApiKey.JoinGroup, version, { groupId: this.groupId, sessionTimeoutMs, rebalanceTimeoutMs, memberId: this.memberId, groupInstanceId: this.instanceId, protocolType: "consumer", protocols, reason: null }).then((r) => {
      if (r.errorCode === ErrorCode.NONE || r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) this.memberId = r.memberId;
      if (r.errorCode === ErrorCode.NONE) this.generationId = r.generationId;
      return r;
    });
  }
  /** JoinGroup v4+: the MEMBER_ID_REQUIRED round first, then the real join. */
  async joinFully(protocols?: { name: string; metadata: Buffer }[]) {
    const first = await this.join(protocols);
    if (first.errorCode !== ErrorCode.MEMBER_ID_REQUIRED) return first;
    return this.join(protocols);
  }
  sync(assignments: { memberId: string; assignment: Buffer }[] = []) {
    return this.c.request(ApiKey.SyncGroup, 5, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.instanceId, protocolType: "consumer", protocolName: "range", assignments });
  }
  heartbeat() {
    return this.c.request(ApiKey.Heartbeat, 4, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.instanceId }).then((r) => r.errorCode);
  }
  leave() {
    return this.c.request(ApiKey.LeaveGroup, 5, { groupId: this.groupId, members: [{ memberId: this.memberId, groupInstanceId: this.instanceId, reason: null }] });
  }
  commit(topic: string, offsets: [number, bigint][], generationId = this.generationId, memberId = this.memberId) {
    return this.c.request(ApiKey.OffsetCommit, 9, { groupId: this.groupId, generationIdOrMemberEpoch: generationId, memberId, groupInstanceId: this.instanceId, topics: [{ name: topic, partitions: offsets.map(([p, o]) => ({ partitionIndex: p, committedOffset: o, committedLeaderEpoch: 0, committedMetadata: `m${p}` })) }] })
      .then((r) => r.topics[0]!.partitions.map((p) => p.errorCode));
  }
  close() {
    return this.c.close();
  }
}

/** Lets steps queued by timers (clock.advance) run. */
const settle = () => new Promise((r) => setTimeout(r, 30));

let clock: ManualClock;
let b: RunningBroker;
let admin: TestClient;
const open: Member[] = [];
beforeAll(async () => {
  clock = new ManualClock();
  b = await startBroker({ clock, config: { "offsets.topic.num.partitions": "4" } });
  admin = await TestClient.connect(b.port);
  const r = await admin.request(ApiKey.CreateTopics, 7, { topics: [{ name: "gt", numPartitions: 4, replicationFactor: 1 }], timeoutMs: 1000 });
  expect(r.topics[0]!.errorCode).toBe(0);
});
afterEach(async () => {
  for (const m of open.splice(0)) await m.close();
});
afterAll(async () => {
  await admin.close();
  await b.close();
});

async function member(groupId: string, instanceId: string | null = null): Promise<Member> {
  const m = await Member.connect(b, groupId, instanceId);
  open.push(m);
  return m;
}

describe("FindCoordinator", () => {
  it("names this broker for groups (single and batched) and creates __consumer_offsets", async () => {
    const v3 = await admin.request(ApiKey.FindCoordinator, 3, { key: "g", keyType: 0 });
    expect(v3).toMatchObject({ errorCode: 0, nodeId: b.broker.node.nodeId, port: b.port });
    const v6 = await admin.request(ApiKey.FindCoordinator, 6, { keyType: 0, coordinatorKeys: ["a", "b", ""] });
    expect(v6.coordinators.map((c) => [c.key, c.errorCode])).toEqual([["a", 0], ["b", 0], ["", ErrorCode.INVALID_REQUEST]]);
    const md = await admin.request(ApiKey.Metadata, 12, { topics: [{ name: "__consumer_offsets", topicId: "AAAAAAAAAAAAAAAAAAAAAA" }], allowAutoTopicCreation: false });
    expect(md.topics[0]!.partitions).toHaveLength(4);
    expect(md.topics[0]!.isInternal).toBe(true);
    const txn = await admin.request(ApiKey.FindCoordinator, 6, { keyType: 1, coordinatorKeys: ["t"] });
    expect(txn.coordinators[0]!.errorCode).toBe(ErrorCode.NONE);
  });
});

describe("classic group protocol on a manual clock", () => {
  it("MEMBER_ID_REQUIRED round trip, then a one-member generation with the leader's member list", async () => {
    const a = await member("g-one");
    const first = await a.join();
    expect(first).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, generationId: -1 });
    expect(first.memberId).toMatch(/^odradek-test-/);
    const second = await a.join();
    expect(second).toMatchObject({ errorCode: 0, generationId: 1, protocolName: "range", leader: a.memberId, memberId: a.memberId });
    expect(second.members.map((m) => [m.memberId, Buffer.from(m.metadata).toString()])).toEqual([[a.memberId, "sub"]]);
    const s = await a.sync([{ memberId: a.memberId, assignment: meta("all") }]);
    expect(s).toMatchObject({ errorCode: 0, protocolName: "range" });
    expect(Buffer.from(s.assignment).toString()).toBe("all");
    expect(await a.heartbeat()).toBe(0);
  });

  it("a second member triggers a rebalance; both get the new generation and their own assignment", async () => {
    const a = await member("g-two");
    await a.joinFully();
    await a.sync([{ memberId: a.memberId, assignment: meta("a:0-3") }]);
    const bm = await member("g-two");
    const bFirst = await bm.join();
    expect(bFirst.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    const bJoin = bm.join(); // waits for a to rejoin
    await settle();
    expect(await a.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const aJoin = await a.join();
    const bJoined = await bJoin;
    expect(aJoin).toMatchObject({ errorCode: 0, generationId: 2, leader: a.memberId });
    expect(aJoin.members.map((m) => m.memberId).sort()).toEqual([a.memberId, bm.memberId].sort());
    expect(bJoined).toMatchObject({ errorCode: 0, generationId: 2, leader: a.memberId, members: [] });
    const bSync = bm.sync(); // waits for the leader
    await settle();
    const aSync = await a.sync([{ memberId: a.memberId, assignment: meta("a:0-1") }, { memberId: bm.memberId, assignment: meta("b:2-3") }]);
    expect(Buffer.from(aSync.assignment).toString()).toBe("a:0-1");
    expect(Buffer.from((await bSync).assignment).toString()).toBe("b:2-3");
    // A stale generation is refused.
    bm.generationId = 1;
    expect(await bm.heartbeat()).toBe(ErrorCode.ILLEGAL_GENERATION);
  });

  it("a member that stops heartbeating expires after its session timeout; the rest rebalance", async () => {
    const a = await member("g-expire");
    const c = await member("g-expire");
    await a.joinFully();
    await a.sync([{ memberId: a.memberId, assignment: meta("x") }]);
    await c.join();
    const cJoin = c.join();
    await settle();
    await a.join();
    await cJoin;
    await Promise.all([a.sync([{ memberId: a.memberId, assignment: meta("a") }, { memberId: c.memberId, assignment: meta("c") }]), c.sync()]);
    expect(await c.heartbeat()).toBe(0);
    // c goes silent: 9 s later it is still in, a second later (10 s session) it is gone.
    clock.advance(9_000);
    expect(await a.heartbeat()).toBe(0);
    await settle();
    clock.advance(1_500);
    await settle();
    expect(await a.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(await c.heartbeat()).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const again = await a.join();
    expect(again).toMatchObject({ errorCode: 0, generationId: 3 });
    expect(again.members.map((m) => m.memberId)).toEqual([a.memberId]);
  });

  it("the rebalance timeout removes a member that does not rejoin", async () => {
    const a = await member("g-rto");
    const c = await member("g-rto");
    await a.joinFully();
    await a.sync([{ memberId: a.memberId, assignment: meta("a") }]);
    await c.join();
    const cJoin = c.join();
    await settle();
    // a never rejoins (its heartbeats keep its session alive): after the 30 s rebalance timeout the
    // join completes with c alone.
    for (let i = 0; i < 4; i++) {
      clock.advance(8_000);
      await settle();
      expect(await a.heartbeat()).toBe(i < 3 ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.UNKNOWN_MEMBER_ID);
    }
    const r = await cJoin;
    expect(r).toMatchObject({ errorCode: 0, generationId: 2, leader: c.memberId });
  });

  it("LeaveGroup empties the group (new generation) and DescribeGroups/ListGroups show it", async () => {
    const a = await member("g-leave");
    await a.joinFully();
    await a.sync([{ memberId: a.memberId, assignment: meta("a") }]);
    const d1 = await admin.request(ApiKey.DescribeGroups, 5, { groups: ["g-leave"], includeAuthorizedOperations: false });
    expect(d1.groups[0]).toMatchObject({ errorCode: 0, groupState: "Stable", protocolType: "consumer", protocolData: "range" });
    expect(d1.groups[0]!.members).toHaveLength(1);
    const l = await a.leave();
    expect(l).toMatchObject({ errorCode: 0, members: [{ memberId: a.memberId, errorCode: 0 }] });
    const d2 = await admin.request(ApiKey.DescribeGroups, 5, { groups: ["g-leave"], includeAuthorizedOperations: false });
    expect(d2.groups[0]).toMatchObject({ groupState: "Empty", members: [] });
    expect((await b.broker.groups.dump("g-leave"))).toMatchObject({ state: "Empty", generationId: 2 });
    const lg = await admin.request(ApiKey.ListGroups, 5, { statesFilter: ["empty"], typesFilter: [] });
    expect(lg.groups.map((g) => g.groupId)).toContain("g-leave");
    expect(lg.groups.find((g) => g.groupId === "g-leave")).toMatchObject({ groupState: "Empty", groupType: "classic", protocolType: "consumer" });
    const unknown = await admin.request(ApiKey.DescribeGroups, 6, { groups: ["nope"], includeAuthorizedOperations: false });
    expect(unknown.groups[0]).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, groupState: "Dead" });
  });

  it("a static member that restarts gets its assignment back without a rebalance; its old id is fenced", async () => {
    const a = await member("g-static", "inst-1");
    await a.join();
    await a.sync([{ memberId: a.memberId, assignment: meta("mine") }]);
    const oldId = a.memberId;
    const restarted = await member("g-static", "inst-1");
    const r = await restarted.join();
    expect(r).toMatchObject({ errorCode: 0, generationId: 1 });
    expect(r.memberId).not.toBe(oldId);
    expect(Buffer.from((await restarted.sync()).assignment).toString()).toBe("mine");
    expect(await a.heartbeat()).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const fenced = await a.c.request(ApiKey.LeaveGroup, 5, { groupId: "g-static", members: [{ memberId: oldId, groupInstanceId: "inst-1", reason: null }] });
    expect(fenced.members[0]!.errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
  });

  it("rejects an unknown member, a session timeout out of range and an inconsistent protocol", async () => {
    const a = await member("g-bad");
    a.memberId = "ghost";
    expect((await a.join()).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    a.memberId = "";
    expect((await a.join(undefined, 9, 1_000)).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
    await a.joinFully();
    const other = await member("g-bad");
    const r = await other.join([{ name: "roundrobin", metadata: meta("x") }], 3);
    expect(r.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });
});

describe("committed offsets", () => {
  it("commits within a generation, refuses a stale one, and fetches them back (single and batched)", async () => {
    const a = await member("g-off");
    await a.joinFully();
    await a.sync([{ memberId: a.memberId, assignment: meta("a") }]);
    expect(await a.commit("gt", [[0, 10n], [1, 20n]])).toEqual([0, 0]);
    expect(await a.commit("gt", [[0, 11n]], a.generationId + 1)).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    expect(await a.commit("gt", [[0, 11n]], a.generationId, "someone")).toEqual([ErrorCode.UNKNOWN_MEMBER_ID]);
    expect(await a.commit("missing-topic", [[0, 1n]])).toEqual([ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
    const f = await admin.request(ApiKey.OffsetFetch, 7, { groupId: "g-off", topics: [{ name: "gt", partitionIndexes: [0, 1, 2] }], requireStable: true });
    expect(f.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset, p.metadata])).toEqual([[0, 10n, "m0"], [1, 20n, "m1"], [2, -1n, ""]]);
    const id = b.broker.topics.topic("gt")!.id;
    const v10 = await admin.request(ApiKey.OffsetFetch, 10, { groups: [{ groupId: "g-off", memberId: null, memberEpoch: -1, topics: null }, { groupId: "nobody", memberId: null, memberEpoch: -1, topics: [{ topicId: id, partitionIndexes: [0] }] }], requireStable: false });
    // v10 names topics by id only (the name is not on the wire).
    expect(v10.groups[0]!.topics).toEqual([{ name: "", topicId: id, partitions: [expect.objectContaining({ partitionIndex: 0, committedOffset: 10n, committedLeaderEpoch: 0 }), expect.objectContaining({ partitionIndex: 1, committedOffset: 20n })] }]);
    expect(v10.groups[1]!.topics[0]!.partitions[0]).toMatchObject({ committedOffset: -1n, errorCode: 0 });
  });

  it("a commit without generation creates a simple group; OffsetDelete and DeleteGroups remove it", async () => {
    const r = await admin.request(ApiKey.OffsetCommit, 9, { groupId: "g-simple", generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: null, topics: [{ name: "gt", partitions: [{ partitionIndex: 3, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }, { partitionIndex: 2, committedOffset: 6n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    expect(r.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([0, 0]);
    const gen = await admin.request(ApiKey.OffsetCommit, 9, { groupId: "g-none", generationIdOrMemberEpoch: 3, memberId: "m", groupInstanceId: null, topics: [{ name: "gt", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
    expect(gen.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
    const lg = await admin.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] });
    expect(lg.groups.find((g) => g.groupId === "g-simple")).toMatchObject({ protocolType: "", groupState: "Empty" });
    const del = await admin.request(ApiKey.OffsetDelete, 0, { groupId: "g-simple", topics: [{ name: "gt", partitions: [{ partitionIndex: 3 }] }] });
    expect(del).toMatchObject({ errorCode: 0, topics: [{ name: "gt", partitions: [{ partitionIndex: 3, errorCode: 0 }] }] });
    expect(await b.broker.groups.dump("g-simple")).toMatchObject({ state: "Empty", offsets: [{ topic: "gt", partition: 2, offset: "6" }] });
    const dg = await admin.request(ApiKey.DeleteGroups, 2, { groupsNames: ["g-simple", "g-simple-missing"] });
    expect(dg.results.map((x) => [x.groupId, x.errorCode])).toEqual([["g-simple", 0], ["g-simple-missing", ErrorCode.GROUP_ID_NOT_FOUND]]);
    expect(await b.broker.groups.dump("g-simple")).toBeNull();
  });

  it("DeleteGroups refuses a group with members", async () => {
    const a = await member("g-busy");
    await a.joinFully();
    const dg = await admin.request(ApiKey.DeleteGroups, 2, { groupsNames: ["g-busy"] });
    expect(dg.results[0]!.errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
  });
});

describe("replay: a restart rebuilds the groups and offsets the live coordinator had", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "odradek-groups-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("the same dump after close and reopen, and the members' sessions run again", async () => {
    const c1 = new ManualClock();
    let broker = await startBroker({ dataDir: dir, clock: c1, config: { "offsets.topic.num.partitions": "3" } });
    let client = await TestClient.connect(broker.port);
    await client.request(ApiKey.CreateTopics, 7, { topics: [{ name: "rt", numPartitions: 2, replicationFactor: 1 }], timeoutMs: 1000 });
    const groups = ["r-stable", "r-empty", "r-simple", "r-deleted"];
    const a = await Member.connect(broker, "r-stable");
    await a.joinFully();
    await a.sync([{ memberId: a.memberId, assignment: meta("rt:0,1") }]);
    expect(await a.commit("rt", [[0, 7n], [1, 8n]])).toEqual([0, 0]);
    expect(await a.commit("rt", [[0, 9n]])).toEqual([0]); // the newest commit wins
    const e = await Member.connect(broker, "r-empty");
    await e.joinFully();
    await e.sync([{ memberId: e.memberId, assignment: meta("x") }]);
    await e.commit("rt", [[1, 3n]]);
    await e.leave();
    for (const g of ["r-simple", "r-deleted"]) {
      await client.request(ApiKey.OffsetCommit, 9, { groupId: g, generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: null, topics: [{ name: "rt", partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: -1, committedMetadata: "md" }] }] });
    }
    await client.request(ApiKey.DeleteGroups, 2, { groupsNames: ["r-deleted"] });
    const live = await Promise.all(groups.map((g) => broker.broker.groups.dump(g)));
    expect(live[0]).toMatchObject({ state: "Stable", generationId: 1, offsets: [{ partition: 0, offset: "9" }, { partition: 1, offset: "8" }] });
    expect(live[3]).toBeNull();
    await a.close();
    await e.close();
    await client.close();
    await broker.close();

    const c2 = new ManualClock(c1.now());
    broker = await startBroker({ dataDir: dir, clock: c2, config: { "offsets.topic.num.partitions": "3" } });
    client = await TestClient.connect(broker.port);
    const replayed = await Promise.all(groups.map((g) => broker.broker.groups.dump(g)));
    expect(replayed).toEqual(live);
    // The Stable member is back with a session: silent for its 10 s session, it expires and the group
    // (its only member gone) empties with a new generation.
    c2.advance(9_000);
    await settle();
    expect(await broker.broker.groups.dump("r-stable")).toMatchObject({ state: "Stable", generationId: 1 });
    c2.advance(2_000);
    await settle();
    expect(await broker.broker.groups.dump("r-stable")).toMatchObject({ state: "Empty", generationId: 2, members: [] });
    await client.close();
    await broker.close();
  });
});

describe("offsets.retention.minutes on the clock", () => {
  it("expires manual-commit offsets and an Empty group's offsets after the retention, then deletes the group", async () => {
    const clk = new ManualClock();
    const broker = await startBroker({ clock: clk, config: { "offsets.topic.num.partitions": "1", "offsets.retention.minutes": "60" } });
    const client = await TestClient.connect(broker.port);
    try {
      await client.request(ApiKey.CreateTopics, 7, { topics: [{ name: "ret", numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 });
      const commit = (groupId: string) => client.request(ApiKey.OffsetCommit, 9, { groupId, generationIdOrMemberEpoch: -1, memberId: "", groupInstanceId: null, topics: [{ name: "ret", partitions: [{ partitionIndex: 0, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
      await commit("manual-old");
      const m = await Member.connect(broker, "emptied");
      await m.joinFully();
      await m.sync([{ memberId: m.memberId, assignment: meta("a") }]);
      await m.commit("ret", [[0, 5n]]);
      await m.leave();
      await m.close();
      clk.advance(50 * 60_000);
      await commit("manual-new");
      await settle();
      expect(await broker.broker.groups.dump("manual-old")).toMatchObject({ offsets: [{ offset: "3" }] });
      // 61 minutes after the first commits (the check runs every 10 minutes): the old ones are gone.
      clk.advance(11 * 60_000);
      await settle();
      expect(await broker.broker.groups.dump("manual-old")).toBeNull(); // no offsets left: the group goes too
      expect(await broker.broker.groups.dump("emptied")).toBeNull();
      expect(await broker.broker.groups.dump("manual-new")).toMatchObject({ offsets: [{ offset: "3" }] });
    } finally {
      await client.close();
      await broker.close();
    }
  });
});
