/**
 * KIP-848 online migration between classic and consumer groups (group/group-migration.ts and
 * classic-in-consumer-group.ts), over real TCP with the codec and a ManualClock: a classic group
 * upgraded by a ConsumerGroupHeartbeat, classic members served inside a consumer group (their
 * assignment through SyncGroup, REBALANCE_IN_PROGRESS when they must rejoin, revocation before
 * reassignment), the downgrade when the last consumer-protocol member leaves, the migration policy,
 * the state rebuilt from `__consumer_offsets` after a restart equal to the live state, the group size
 * limits on conversion, and a downgrade whose records the storage refuses (state unchanged).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey, ErrorCode, Reader, Writer, readConsumerProtocolAssignment, writeConsumerProtocolAssignment, writeConsumerProtocolSubscription } from "@odradek/codec";
import { memoryStorage } from "@odradek/storage";
import { ManualClock, startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient } from "./helpers.js";

const TOPIC = "mt";

/** A JoinGroup protocol's metadata: ConsumerProtocolSubscription v1 (topics, owned partitions). */
function subscription(owned: number[] = []): Buffer {
  const w = new Writer(64);
  w.int16(1);
  writeConsumerProtocolSubscription(w, 1, { topics: [TOPIC], userData: null, ownedPartitions: owned.length ? [{ topic: TOPIC, partitions: owned }] : [] });
  return w.toBuffer();
}

function assignmentBytes(partitions: number[]): Buffer {
  const w = new Writer(64);
  w.int16(1);
  writeConsumerProtocolAssignment(w, 1, { assignedPartitions: [{ topic: TOPIC, partitions }], userData: null });
  return w.toBuffer();
}

function partitionsOf(bytes: Uint8Array): number[] {
  const r = new Reader(Buffer.from(bytes));
  const version = r.int16();
  return readConsumerProtocolAssignment(r, version).assignedPartitions.flatMap((t) => t.partitions).sort((a, b) => a - b);
}

/** A classic member (JoinGroup v9 / SyncGroup v5 / Heartbeat v4 / LeaveGroup v5) with a `consumer` protocol. */
class ClassicMember {
  memberId = "";
  generationId = -1;
  owned: number[] = [];
  constructor(readonly c: TestClient, readonly groupId: string, readonly instanceId: string | null = null) {}
  async join(owned = this.owned, protocolType = "consumer") {
    const req = () => this.c.request(ApiKey.JoinGroup, 9, {
      groupId: this.groupId, sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 30_000, memberId: this.memberId, groupInstanceId: this.instanceId,
      protocolType, protocols: [{ name: "cooperative-sticky", metadata: subscription(owned) }], reason: null,
    });
    let r = await req();
    if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      this.memberId = r.memberId;
      r = await req();
    }
    if (r.errorCode === ErrorCode.NONE) {
      this.memberId = r.memberId;
      this.generationId = r.generationId;
    }
    return r;
  }
  async sync(assignments: { memberId: string; assignment: Buffer }[] = []) {
    const r = await this.c.request(ApiKey.SyncGroup, 5, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.instanceId, protocolType: "consumer", protocolName: "cooperative-sticky", assignments });
    if (r.errorCode === ErrorCode.NONE) this.owned = partitionsOf(r.assignment);
    return r;
  }
  heartbeat() {
    return this.c.request(ApiKey.Heartbeat, 4, { groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.instanceId }).then((r) => r.errorCode);
  }
}

/** A consumer-protocol member (ConsumerGroupHeartbeat v1). */
class ConsumerMember {
  epoch = 0;
  owned: number[] = [];
  constructor(readonly c: TestClient, readonly groupId: string, readonly memberId: string, readonly topicId: () => string, readonly instanceId: string | null = null) {}
  async beat(epoch = this.epoch) {
    const r = await this.c.request(ApiKey.ConsumerGroupHeartbeat, 1, {
      groupId: this.groupId, memberId: this.memberId, memberEpoch: epoch, instanceId: this.instanceId, rackId: null,
      rebalanceTimeoutMs: epoch === 0 ? 30_000 : -1, subscribedTopicNames: epoch === 0 ? [TOPIC] : null, subscribedTopicRegex: null, serverAssignor: null,
      topicPartitions: epoch === 0 ? [] : epoch < 0 ? null : [{ topicId: this.topicId(), partitions: this.owned }],
    });
    if (r.errorCode === ErrorCode.NONE && epoch >= 0) {
      this.epoch = r.memberEpoch;
      if (r.assignment) this.owned = r.assignment.topicPartitions.flatMap((t) => t.partitions).sort((a, b) => a - b);
    }
    return r;
  }
}

async function createTopic(c: TestClient): Promise<string> {
  const r = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: TOPIC, numPartitions: 4, replicationFactor: 1 }], timeoutMs: 1000 });
  return r.topics[0]!.topicId;
}

/** A classic group of one member owning the topic's four partitions (generation 1). */
async function classicGroupOfOne(c: TestClient, groupId: string): Promise<ClassicMember> {
  const a = new ClassicMember(c, groupId);
  const j = await a.join();
  expect(j).toMatchObject({ errorCode: 0, generationId: 1, leader: a.memberId });
  expect((await a.sync([{ memberId: a.memberId, assignment: assignmentBytes([0, 1, 2, 3]) }])).errorCode).toBe(0);
  expect(a.owned).toEqual([0, 1, 2, 3]);
  return a;
}

const sorted = (...lists: number[][]) => lists.flat().sort((a, b) => a - b);

/** A consumer member and a classic member owning two partitions each, settled at group epoch 2. */
async function mixedGroup(groupId: string, instanceId: string | null = null, consumerInstanceId: string | null = null): Promise<{ m: ConsumerMember; k: ClassicMember }> {
  const m = new ConsumerMember(c, groupId, `c-${groupId}`, () => topicId, consumerInstanceId);
  await m.beat(0);
  const k = new ClassicMember(c, groupId, instanceId);
  expect((await k.join()).errorCode).toBe(0);
  await k.sync();
  await m.beat();
  await m.beat();
  expect(await k.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  await k.join();
  await k.sync();
  expect(sorted(k.owned, m.owned)).toEqual([0, 1, 2, 3]);
  expect(k.owned).toHaveLength(2);
  return { m, k };
}

let clock: ManualClock;
let b: RunningBroker;
let c: TestClient;
let topicId = "";
beforeAll(async () => {
  clock = new ManualClock();
  b = await startBroker({ clock, config: { "offsets.topic.num.partitions": "2", "group.consumer.assignment.interval.ms": "0" } });
  c = await TestClient.connect(b.port);
  topicId = await createTopic(c);
});
afterAll(async () => {
  await c.close();
  await b.close();
});

describe("upgrade: a ConsumerGroupHeartbeat joins a classic group", () => {
  it("converts it; the classic member revokes through JoinGroup/SyncGroup before the new member gets partitions", async () => {
    const a = await classicGroupOfOne(c, "up");
    const m = new ConsumerMember(c, "up", "c-1", () => topicId);
    const r = await m.beat(0);
    // The classic generation 1 became the group epoch; the new member bumped it to 2. a still owns all.
    expect(r).toMatchObject({ errorCode: 0, memberEpoch: 2 });
    expect(m.owned).toEqual([]);
    expect(await b.broker.groups.dump("up")).toMatchObject({
      type: "consumer", groupEpoch: 2, assignmentEpoch: 2,
      members: expect.arrayContaining([expect.objectContaining({ memberId: a.memberId, memberEpoch: 1, assigned: { [topicId]: [0, 1, 2, 3] }, classic: { sessionTimeoutMs: 10_000, protocols: ["cooperative-sticky"] } })]),
    });
    // The classic member is told to rejoin; it reports what it owns and must give half up first.
    expect(await a.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const j1 = await a.join();
    expect(j1).toMatchObject({ errorCode: 0, generationId: 1, protocolName: "cooperative-sticky", leader: "", members: [] });
    expect((await a.sync()).errorCode).toBe(0);
    expect(a.owned).toHaveLength(2);
    expect(await a.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    // Until it rejoins without them, the new member gets nothing.
    await m.beat();
    expect(m.owned).toEqual([]);
    const j2 = await a.join();
    expect(j2).toMatchObject({ errorCode: 0, generationId: 2 });
    expect((await a.sync()).errorCode).toBe(0);
    expect(await a.heartbeat()).toBe(ErrorCode.NONE);
    await m.beat();
    expect(m.owned).toHaveLength(2);
    expect(sorted(a.owned, m.owned)).toEqual([0, 1, 2, 3]);
    expect(await b.broker.groups.dump("up")).toMatchObject({ type: "consumer", state: "Stable" });
    // Admin views: ConsumerGroupDescribe (member types), ListGroups (type), DescribeGroups (not classic).
    const d = await c.request(ApiKey.ConsumerGroupDescribe, 1, { groupIds: ["up"], includeAuthorizedOperations: false });
    expect(d.groups[0]!.members.map((x) => [x.memberId, x.memberType]).sort()).toEqual([[a.memberId, 0], ["c-1", 1]].sort());
    const lg = await c.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: [] });
    expect(lg.groups.find((g) => g.groupId === "up")).toMatchObject({ protocolType: "consumer", groupType: "consumer", groupState: "Stable" });
    const dg = await c.request(ApiKey.DescribeGroups, 6, { groups: ["up"], includeAuthorizedOperations: false });
    expect(dg.groups[0]).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: "Group up is not a classic group.", groupState: "Dead" });
  });

  it("a classic JoinGroup parked in a rebalance is answered REBALANCE_IN_PROGRESS by the upgrade, and the member rejoins the consumer group", async () => {
    const a = await classicGroupOfOne(c, "up-parked");
    // Its own connection: a parked JoinGroup holds back the requests behind it on a connection (as Kafka).
    const c2 = await TestClient.connect(b.port);
    const bm = new ClassicMember(c2, "up-parked");
    const parked = bm.join(); // waits for a to rejoin the classic rebalance
    await new Promise((r) => setTimeout(r, 30));
    expect(await b.broker.groups.dump("up-parked")).toMatchObject({ type: "classic", state: "PreparingRebalance" });
    const m = new ConsumerMember(c, "up-parked", "c-pk", () => topicId);
    expect((await m.beat(0)).errorCode).toBe(0);
    expect(await parked).toMatchObject({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS });
    expect(await b.broker.groups.dump("up-parked")).toMatchObject({ type: "consumer", members: expect.arrayContaining([expect.objectContaining({ memberId: bm.memberId, assigned: {} })]) });
    // Both classic members rejoin the consumer group; the three end up owning the four partitions once each.
    for (let i = 0; i < 4; i++) {
      for (const x of [a, bm]) {
        if ((await x.heartbeat()) !== ErrorCode.NONE) {
          await x.join();
          await x.sync();
        }
      }
      await m.beat();
    }
    expect(sorted(a.owned, bm.owned, m.owned)).toEqual([0, 1, 2, 3]);
    expect(await b.broker.groups.dump("up-parked")).toMatchObject({ type: "consumer", state: "Stable" });
    await c2.close();
  });

  it("an empty classic group just becomes a consumer group; a classic group of another protocol type is refused", async () => {
    const a = await classicGroupOfOne(c, "up-empty");
    await c.request(ApiKey.LeaveGroup, 5, { groupId: "up-empty", members: [{ memberId: a.memberId, groupInstanceId: null, reason: null }] });
    expect(await b.broker.groups.dump("up-empty")).toMatchObject({ type: "classic", state: "Empty" });
    const m = new ConsumerMember(c, "up-empty", "c-e", () => topicId);
    expect(await m.beat(0)).toMatchObject({ errorCode: 0, memberEpoch: 2 });
    expect(m.owned).toEqual([0, 1, 2, 3]);

    const other = new ClassicMember(c, "up-connect");
    expect((await other.join([], "connect")).errorCode).toBe(0);
    const n = new ConsumerMember(c, "up-connect", "c-x", () => topicId);
    expect(await n.beat(0)).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
    // A heartbeat with another epoch does not convert anything.
    const g = await classicGroupOfOne(c, "up-epoch");
    expect(await new ConsumerMember(c, "up-epoch", "c-y", () => topicId).beat(3)).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
    expect(await g.heartbeat()).toBe(ErrorCode.NONE);
  });
});

describe("classic members inside a consumer group", () => {
  it("a classic member joining a consumer group gets its partitions once the consumer member released them; commits use its epoch", async () => {
    const m = new ConsumerMember(c, "mixed", "c-m", () => topicId);
    await m.beat(0);
    expect(m.owned).toEqual([0, 1, 2, 3]);
    const k = new ClassicMember(c, "mixed");
    const j = await k.join();
    expect(j).toMatchObject({ errorCode: 0, generationId: 3, leader: "" });
    expect((await k.sync()).errorCode).toBe(0);
    expect(k.owned).toEqual([]);
    // It waits on partitions the consumer member still holds: nothing to do yet.
    expect(await k.heartbeat()).toBe(ErrorCode.NONE);
    await m.beat();
    expect(m.owned).toHaveLength(2);
    await m.beat();
    expect(m.epoch).toBe(3);
    // Its partitions are free now: the classic member must rejoin to get them.
    expect(await k.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect((await k.join()).generationId).toBe(3);
    expect((await k.sync()).errorCode).toBe(0);
    expect(k.owned).toHaveLength(2);
    expect(sorted(k.owned, m.owned)).toEqual([0, 1, 2, 3]);
    expect(await k.heartbeat()).toBe(ErrorCode.NONE);
    const commit = (generation: number) => c.request(ApiKey.OffsetCommit, 8, {
      groupId: "mixed", generationIdOrMemberEpoch: generation, memberId: k.memberId, groupInstanceId: null,
      topics: [{ name: TOPIC, partitions: [{ partitionIndex: k.owned[0]!, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }],
    }).then((r) => r.topics[0]!.partitions[0]!.errorCode);
    expect(await commit(3)).toBe(ErrorCode.NONE);
    expect(await commit(2)).toBe(ErrorCode.ILLEGAL_GENERATION);
    // Errors as Kafka: an old generation, a member of the other protocol, a protocol name not joined with.
    expect(await c.request(ApiKey.Heartbeat, 4, { groupId: "mixed", generationId: 2, memberId: k.memberId, groupInstanceId: null }).then((r) => r.errorCode)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(await c.request(ApiKey.Heartbeat, 4, { groupId: "mixed", generationId: 3, memberId: "c-m", groupInstanceId: null }).then((r) => r.errorCode)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const bad = await c.request(ApiKey.SyncGroup, 5, { groupId: "mixed", generationId: 3, memberId: k.memberId, groupInstanceId: null, protocolType: "consumer", protocolName: "range", assignments: [] });
    expect(bad.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    const other = await c.request(ApiKey.JoinGroup, 9, { groupId: "mixed", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 30_000, memberId: "", groupInstanceId: null, protocolType: "consumer", protocols: [{ name: "range", metadata: subscription() }], reason: null });
    expect(other.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  });

  it("a static classic member that restarts (no member id) replaces its instance's member and keeps its partitions", async () => {
    const { k } = await mixedGroup("mixed-static", "instance-1");
    const k2 = new ClassicMember(c, "mixed-static", "instance-1");
    const j = await k2.join(k.owned);
    expect(j.errorCode).toBe(0);
    expect(k2.memberId).not.toBe(k.memberId);
    expect((await k2.sync()).errorCode).toBe(0);
    expect(k2.owned).toEqual(k.owned);
    expect(await k.heartbeat()).toBe(ErrorCode.FENCED_INSTANCE_ID);
    expect(await k2.heartbeat()).toBe(ErrorCode.NONE);
    const members = (await b.broker.groups.dump("mixed-static") as { members: { memberId: string }[] }).members.map((x) => x.memberId).sort();
    expect(members).toEqual([k2.memberId, "c-mixed-static"].sort());
  });

  it("a classic member that stops heartbeating is removed after its own session timeout", async () => {
    const m = new ConsumerMember(c, "mixed-timeouts", "c-t", () => topicId);
    await m.beat(0);
    const k = new ClassicMember(c, "mixed-timeouts");
    await k.join();
    await k.sync();
    clock.advance(9_000);
    expect(await k.heartbeat()).toBe(ErrorCode.NONE);
    clock.advance(9_000);
    expect((await b.broker.groups.dump("mixed-timeouts") as { members: unknown[] }).members).toHaveLength(2);
    clock.advance(1_001);
    await new Promise((r) => setTimeout(r, 30));
    expect((await b.broker.groups.dump("mixed-timeouts") as { members: { memberId: string }[] }).members.map((x) => x.memberId)).toEqual(["c-t"]);
    expect(await k.heartbeat()).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it("a classic member told to rejoin that keeps heartbeating but does not rejoin is removed after its rebalance timeout", async () => {
    const m = new ConsumerMember(c, "mixed-rejoin", "c-j", () => topicId);
    await m.beat(0);
    const k = new ClassicMember(c, "mixed-rejoin");
    await k.join();
    await k.sync();
    await m.beat();
    await m.beat();
    const members = async () => (await b.broker.groups.dump("mixed-rejoin") as { members: { memberId: string }[] }).members.map((x) => x.memberId);
    // 3 heartbeats 9 s apart keep its session; the 30 s rebalance timeout runs from the first REBALANCE_IN_PROGRESS.
    for (let i = 0; i < 3; i++) {
      expect(await k.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      clock.advance(9_000);
    }
    expect(await members()).toHaveLength(2);
    expect(await k.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    clock.advance(3_001);
    await new Promise((r) => setTimeout(r, 30));
    expect(await members()).toEqual(["c-j"]);
  });
});

describe("downgrade: the last consumer-protocol member leaves", () => {
  it("the group becomes a classic group of its classic members, rebalances and settles with their target assignment", async () => {
    const { m, k } = await mixedGroup("down");
    const kept = k.owned;
    expect(await m.beat(-1)).toMatchObject({ errorCode: 0, memberEpoch: -1 });
    expect(await b.broker.groups.dump("down")).toMatchObject({ type: "classic", state: "PreparingRebalance", generationId: 3, protocolType: "consumer", protocolName: "cooperative-sticky" });
    const lg = await c.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ["classic"] });
    expect(lg.groups.find((g) => g.groupId === "down")).toMatchObject({ groupType: "classic", protocolType: "consumer" });
    // The classic member rejoins the classic group: it leads generation 4 and assigns.
    expect(await k.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const j = await k.join();
    expect(j).toMatchObject({ errorCode: 0, generationId: 4, leader: k.memberId });
    expect(j.members.map((x) => x.memberId)).toEqual([k.memberId]);
    expect((await k.sync([{ memberId: k.memberId, assignment: assignmentBytes([0, 1, 2, 3]) }])).errorCode).toBe(0);
    expect(k.owned).toEqual([0, 1, 2, 3]);
    expect(kept).toHaveLength(2);
    const dg = await c.request(ApiKey.DescribeGroups, 5, { groups: ["down"], includeAuthorizedOperations: false });
    expect(dg.groups[0]).toMatchObject({ groupState: "Stable", protocolType: "consumer", protocolData: "cooperative-sticky" });
    expect(await c.request(ApiKey.ConsumerGroupDescribe, 1, { groupIds: ["down"], includeAuthorizedOperations: false }).then((r) => r.groups[0]!.errorCode)).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  });

  it("the downgrade's snapshot holds the target assignment (seen by a member that syncs without rejoining)", async () => {
    const m = new ConsumerMember(c, "down2", "c-d2", () => topicId);
    await m.beat(0);
    const k = new ClassicMember(c, "down2");
    await k.join();
    await k.sync();
    await m.beat();
    await m.beat();
    await m.beat(-1);
    const dump = await b.broker.groups.dump("down2") as { members: { memberId: string; assignment: string }[] };
    // The classic member's assignment in the classic group: its consumer-group target (2 partitions).
    expect(partitionsOf(Buffer.from(dump.members[0]!.assignment, "hex"))).toHaveLength(2);
  });
});

describe("downgrade by replacement", () => {
  it("a static classic member replacing the last consumer-protocol member (same instance id) downgrades the group at once, keeping its partitions", async () => {
    const { m, k } = await mixedGroup("down-static", null, "instance-c");
    // The consumer-protocol client restarts as a classic one under the same instance id.
    const k2 = new ClassicMember(c, "down-static", "instance-c");
    const j = await k2.join(m.owned);
    expect(j).toMatchObject({ errorCode: 0, generationId: 3, leader: "" });
    const dump = await b.broker.groups.dump("down-static") as { type: string; state: string; generationId: number; members: { memberId: string }[] };
    expect(dump).toMatchObject({ type: "classic", state: "Stable", generationId: 3 });
    expect(dump.members.map((x) => x.memberId).sort()).toEqual([k.memberId, k2.memberId].sort());
    expect((await k2.sync()).errorCode).toBe(0);
    expect(k2.owned).toEqual(m.owned);
    expect(await k2.heartbeat()).toBe(ErrorCode.NONE);
    expect(await k.heartbeat()).toBe(ErrorCode.NONE);
    expect(await m.beat()).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND });
  });
});

describe("group.consumer.migration.policy", () => {
  it("disabled: no upgrade (GROUP_ID_NOT_FOUND), and no downgrade (the classic member stays in the consumer group)", async () => {
    const clock2 = new ManualClock();
    const b2 = await startBroker({ clock: clock2, config: { "offsets.topic.num.partitions": "1", "group.consumer.assignment.interval.ms": "0", "group.consumer.migration.policy": "disabled" } });
    const c2 = await TestClient.connect(b2.port);
    try {
      const id = await createTopic(c2);
      await classicGroupOfOne(c2, "p-up");
      const r = await new ConsumerMember(c2, "p-up", "c-p", () => id).beat(0);
      expect(r.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
      expect(r.errorMessage).toContain("disabled");
      expect(await b2.broker.groups.dump("p-up")).toMatchObject({ type: "classic", state: "Stable" });
      const m = new ConsumerMember(c2, "p-down", "c-q", () => id);
      await m.beat(0);
      const k = new ClassicMember(c2, "p-down");
      expect((await k.join()).errorCode).toBe(0);
      await m.beat(-1);
      expect(await b2.broker.groups.dump("p-down")).toMatchObject({ type: "consumer", members: [{ memberId: k.memberId }] });
    } finally {
      await c2.close();
      await b2.close();
    }
  });

  it("an unknown policy is a configuration error", async () => {
    await expect(startBroker({ config: { "group.consumer.migration.policy": "sideways" } })).rejects.toThrow(/migration.policy/);
  });
});

describe("group size limits on conversion (Kafka 4.4)", () => {
  /** A classic group of two members (a leads generation 2 and gives each two partitions); `cb` is b's own connection. */
  async function classicGroupOfTwo(ca: TestClient, cb: TestClient, groupId: string): Promise<[ClassicMember, ClassicMember]> {
    const a = await classicGroupOfOne(ca, groupId);
    const bm = new ClassicMember(cb, groupId);
    const parked = bm.join(); // waits for a to rejoin
    await new Promise((r) => setTimeout(r, 30));
    expect(await a.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    await a.join();
    expect(await parked).toMatchObject({ errorCode: 0, generationId: 2 });
    const synced = bm.sync();
    await a.sync([{ memberId: a.memberId, assignment: assignmentBytes([0, 1]) }, { memberId: bm.memberId, assignment: assignmentBytes([2, 3]) }]);
    expect((await synced).errorCode).toBe(0);
    return [a, bm];
  }

  it("group.consumer.max.size: a bigger classic group is not upgraded; one at the limit refuses the joiner GROUP_MAX_SIZE_REACHED and stays classic", async () => {
    const b2 = await startBroker({ clock: new ManualClock(), config: { "offsets.topic.num.partitions": "1", "group.consumer.assignment.interval.ms": "0", "group.consumer.max.size": "1" } });
    const c2 = await TestClient.connect(b2.port);
    const c3 = await TestClient.connect(b2.port);
    try {
      const id = await createTopic(c2);
      const [a] = await classicGroupOfTwo(c2, c3, "sz-two");
      const r = await new ConsumerMember(c2, "sz-two", "c-sz", () => id).beat(0);
      expect(r).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: "Cannot upgrade classic group sz-two to consumer group because the group size exceeds the consumer group maximum size." });
      expect(await b2.broker.groups.dump("sz-two")).toMatchObject({ type: "classic", state: "Stable", generationId: 2 });
      expect(await a.heartbeat()).toBe(ErrorCode.NONE);
      // One member, the limit: the upgrade would leave no room for the joiner.
      const one = await classicGroupOfOne(c2, "sz-one");
      const r1 = await new ConsumerMember(c2, "sz-one", "c-sz1", () => id).beat(0);
      expect(r1).toMatchObject({ errorCode: ErrorCode.GROUP_MAX_SIZE_REACHED, errorMessage: "The consumer group has reached its maximum capacity of 1 members." });
      expect(await b2.broker.groups.dump("sz-one")).toMatchObject({ type: "classic", state: "Stable", generationId: 1 });
      expect(await one.heartbeat()).toBe(ErrorCode.NONE);
      // A classic member joining a full consumer group: GROUP_MAX_SIZE_REACHED.
      const m = new ConsumerMember(c2, "sz-cg", "c-full", () => id);
      expect((await m.beat(0)).errorCode).toBe(0);
      expect((await new ClassicMember(c2, "sz-cg").join()).errorCode).toBe(ErrorCode.GROUP_MAX_SIZE_REACHED);
    } finally {
      await c3.close();
      await c2.close();
      await b2.close();
    }
  });

  it("group.max.size: the last consumer-protocol member leaving does not downgrade a group with more classic members than that", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-maxsize-"));
    const clock2 = new ManualClock();
    const config = { "offsets.topic.num.partitions": "1", "group.consumer.assignment.interval.ms": "0", "group.max.size": "1" };
    let b2 = await startBroker({ dataDir: dir, clock: clock2, config });
    let c2 = await TestClient.connect(b2.port);
    try {
      const id = await createTopic(c2);
      const m = new ConsumerMember(c2, "sz-down", "c-d", () => id);
      await m.beat(0);
      const k1 = new ClassicMember(c2, "sz-down");
      const k2 = new ClassicMember(c2, "sz-down");
      expect((await k1.join()).errorCode).toBe(0);
      expect((await k2.join()).errorCode).toBe(0);
      expect((await m.beat(-1)).errorCode).toBe(0);
      const dump = await b2.broker.groups.dump("sz-down") as { type: string; members: { memberId: string }[] };
      expect(dump.type).toBe("consumer");
      expect(dump.members.map((x) => x.memberId).sort()).toEqual([k1.memberId, k2.memberId].sort());
      // A classic member's LeaveGroup leaves one: now it is downgraded (Kafka's consumerGroupFenceMembers).
      expect((await c2.request(ApiKey.LeaveGroup, 5, { groupId: "sz-down", members: [{ memberId: k2.memberId, groupInstanceId: null, reason: null }] })).errorCode).toBe(0);
      expect(await b2.broker.groups.dump("sz-down")).toMatchObject({ type: "classic", state: "PreparingRebalance", members: [{ memberId: k1.memberId }] });
      // It settles; a restart rebuilds the same group from __consumer_offsets.
      await k1.join();
      expect((await k1.sync([{ memberId: k1.memberId, assignment: assignmentBytes([0, 1, 2, 3]) }])).errorCode).toBe(0);
      const live = await b2.broker.groups.dump("sz-down");
      expect(live).toMatchObject({ type: "classic", state: "Stable" });
      await c2.close();
      await b2.close();
      b2 = await startBroker({ dataDir: dir, clock: new ManualClock(clock2.now()), config });
      c2 = await TestClient.connect(b2.port);
      expect(await b2.broker.groups.dump("sz-down")).toEqual(live);
    } finally {
      await c2.close();
      await b2.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("replay", () => {
  it("after an upgrade and after a downgrade, the state rebuilt from __consumer_offsets equals the live state", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-migration-"));
    const config = { "offsets.topic.num.partitions": "1", "group.consumer.assignment.interval.ms": "0" };
    try {
      const clock1 = new ManualClock();
      let broker = await startBroker({ dataDir: dir, clock: clock1, config });
      let client = await TestClient.connect(broker.port);
      const id = await createTopic(client);
      const a = await classicGroupOfOne(client, "rg");
      const m = new ConsumerMember(client, "rg", "c-r", () => id);
      await m.beat(0);
      const upgraded = await broker.broker.groups.dump("rg");
      expect(upgraded).toMatchObject({ type: "consumer", groupEpoch: 2 });
      await client.close();
      await broker.close();

      broker = await startBroker({ dataDir: dir, clock: new ManualClock(clock1.now()), config });
      client = await TestClient.connect(broker.port);
      expect(await broker.broker.groups.dump("rg")).toEqual(upgraded);
      // Carry on after the restart: the classic member revokes, the consumer member takes its half, then leaves.
      const a2 = new ClassicMember(client, "rg");
      Object.assign(a2, { memberId: a.memberId, generationId: a.generationId, owned: a.owned });
      expect(await a2.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      await a2.join();
      await a2.sync();
      await a2.join();
      await a2.sync();
      const m2 = new ConsumerMember(client, "rg", "c-r", () => id);
      Object.assign(m2, { epoch: m.epoch, owned: m.owned });
      await m2.beat();
      expect(sorted(a2.owned, m2.owned)).toEqual([0, 1, 2, 3]);
      await m2.beat(-1);
      expect(await a2.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      await a2.join();
      await a2.sync([{ memberId: a2.memberId, assignment: assignmentBytes([0, 1, 2, 3]) }]);
      const downgraded = await broker.broker.groups.dump("rg");
      // Epochs 2 (upgrade join) and 3 (the leave); the restart bumps nothing: the metadata hash is in the group's record.
      expect(downgraded).toMatchObject({ type: "classic", state: "Stable", generationId: 3 });
      await client.close();
      await broker.close();

      broker = await startBroker({ dataDir: dir, clock: new ManualClock(clock1.now()), config });
      expect(await broker.broker.groups.dump("rg")).toEqual(downgraded);
      await broker.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("a step whose records fail to append leaves the state as it was", () => {
  it("the storage refuses the downgrade's records (ENOSPC): the client is told NOT_COORDINATOR and the consumer group is unchanged; the retry downgrades", async () => {
    // The broker's in-memory file system; writes to __consumer_offsets' segments fail while `full`.
    const storage = memoryStorage();
    let full = false;
    const open = storage.fs.open.bind(storage.fs);
    storage.fs.open = async (path, mode) => {
      const h = await open(path, mode);
      if (!/__consumer_offsets-\d+\/\d+\.log$/.test(path)) return h;
      const enospc = () => Object.assign(new Error(`ENOSPC: no space left on device, write '${path}'`), { code: "ENOSPC" });
      const write = h.write.bind(h);
      const writev = h.writev.bind(h);
      const writeSync = h.writeSync?.bind(h);
      return Object.assign(h, {
        write: (...a: Parameters<typeof write>) => (full ? Promise.reject(enospc()) : write(...a)),
        writev: (...a: Parameters<typeof writev>) => (full ? Promise.reject(enospc()) : writev(...a)),
        writeSync: writeSync && ((buf: Buffer, pos: number) => {
          if (full) throw enospc();
          writeSync(buf, pos);
        }),
      });
    };
    const b2 = await startBroker({ storage, clock: new ManualClock(), config: { "offsets.topic.num.partitions": "1", "group.consumer.assignment.interval.ms": "0" } });
    const c2 = await TestClient.connect(b2.port);
    try {
      const id = await createTopic(c2);
      const m = new ConsumerMember(c2, "rb", "c-rb", () => id);
      await m.beat(0);
      const k = new ClassicMember(c2, "rb");
      expect((await k.join()).errorCode).toBe(0);
      expect((await k.sync()).errorCode).toBe(0);
      await m.beat();
      await m.beat();
      expect(await k.heartbeat()).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
      await k.join();
      expect((await k.sync()).errorCode).toBe(0);
      expect(await k.heartbeat()).toBe(ErrorCode.NONE);
      const before = await b2.broker.groups.dump("rb");
      expect(before).toMatchObject({ type: "consumer", groupEpoch: 3 });

      full = true;
      const left = await m.beat(-1);
      expect(left.errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      full = false;
      expect(await b2.broker.groups.dump("rb")).toEqual(before);
      // The classic member still belongs to the consumer group and its session still runs.
      expect(await k.heartbeat()).toBe(ErrorCode.NONE);
      // A heartbeat whose records fail (a new member's join) changes nothing either.
      full = true;
      expect((await new ConsumerMember(c2, "rb", "c-rb2", () => id).beat(0)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      full = false;
      expect(await b2.broker.groups.dump("rb")).toEqual(before);

      // A share group's membership step (changed in place) is undone the same way.
      const share = (memberId: string, memberEpoch: number) => c2.request(ApiKey.ShareGroupHeartbeat, 1, { groupId: "rb-share", memberId, memberEpoch, rackId: null, subscribedTopicNames: memberEpoch === 0 ? [TOPIC] : null });
      expect(await share("s1", 0)).toMatchObject({ errorCode: 0, memberEpoch: 2 });
      const describeShare = async () => (await c2.request(ApiKey.ShareGroupDescribe, 1, { groupIds: ["rb-share"], includeAuthorizedOperations: false })).groups[0]!;
      const shareBefore = await describeShare();
      full = true;
      expect((await share("s2", 0)).errorCode).toBe(ErrorCode.NOT_COORDINATOR);
      full = false;
      expect(await describeShare()).toEqual(shareBefore);
      expect(await share("s1", 2)).toMatchObject({ errorCode: 0, memberEpoch: 2 });

      // The client retries: now the downgrade is written and applied.
      expect((await m.beat(-1)).errorCode).toBe(0);
      expect(await b2.broker.groups.dump("rb")).toMatchObject({ type: "classic", state: "PreparingRebalance", members: [{ memberId: k.memberId }] });
    } finally {
      await c2.close();
      await b2.close();
    }
  });
});
