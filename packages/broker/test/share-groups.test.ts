/**
 * Share groups (KIP-932) over real TCP, the broker's clock a ManualClock: membership and assignment
 * (ShareGroupHeartbeat), acquisition and acknowledgement (ShareFetch, ShareAcknowledge), share
 * sessions, lock expiry by `clock.advance` (no real sleep), the share-partition start offset
 * (DescribeShareGroupOffsets, AlterShareGroupOffsets), and restarts: what was acknowledged is never
 * delivered again, what was only acquired is; members, epochs and assignments come back
 * (`__consumer_offsets` records) and their sessions time out on the clock.
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
const RELEASE = 2;

let dir: string;
let clock: ManualClock;
let b: RunningBroker;
let c: TestClient;
let topicId: string;

const config = { "offsets.topic.num.partitions": "2", "share.coordinator.state.topic.num.partitions": "2", "group.share.record.lock.duration.ms": "5000" };

async function produce(values: string[]) {
  const records = buildRecordBatch({ baseTimestamp: Date.now(), records: values.map((v) => ({ key: null, value: Buffer.from(v), timestamp: Date.now() })) });
  const r = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: "sq", partitionData: [{ index: 0, records }] }] });
  expect(r.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
}

function heartbeat(groupId: string, memberId: string, memberEpoch: number, topics: string[] | null = ["sq"]) {
  return c.request(ApiKey.ShareGroupHeartbeat, 1, { groupId, memberId, memberEpoch, rackId: null, subscribedTopicNames: topics });
}

function shareFetch(groupId: string, memberId: string, epoch: number, acks: { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[] = [], maxRecords = 100) {
  return c.request(ApiKey.ShareFetch, 1, {
    groupId, memberId, shareSessionEpoch: epoch, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, maxRecords, batchSize: maxRecords,
    topics: [{ topicId, partitions: [{ partitionIndex: 0, partitionMaxBytes: 1 << 20, acknowledgementBatches: acks }] }], forgottenTopicsData: [],
  });
}

const acquired = (r: Awaited<ReturnType<typeof shareFetch>>) =>
  r.responses.flatMap((t) => t.partitions.flatMap((p) => p.acquiredRecords.map((a) => [Number(a.firstOffset), Number(a.lastOffset), a.deliveryCount])));

async function startOffset(groupId: string) {
  const r = await c.request(ApiKey.DescribeShareGroupOffsets, 1, { groups: [{ groupId, topics: [{ topicName: "sq", partitions: [0] }] }] });
  const p = r.groups[0]!.topics[0]!.partitions[0]!;
  return [Number(p.startOffset), Number(p.lag)];
}

const settle = () => new Promise((r) => setTimeout(r, 30));

async function restart() {
  await c.close();
  await b.close();
  b = await startBroker({ clock, dataDir: dir, config });
  c = await TestClient.connect(b.port);
}

/** ShareGroupDescribe of one group: state, epochs, and per member (by id) its epoch, subscription and assignment. */
async function describeGroup(groupId: string) {
  const d = (await c.request(ApiKey.ShareGroupDescribe, 1, { groupIds: [groupId], includeAuthorizedOperations: false })).groups[0]!;
  const members = d.members.map((m) => [m.memberId, m.memberEpoch, m.subscribedTopicNames, m.assignment.topicPartitions.map((tp) => [tp.topicId, tp.partitions])] as const);
  return { state: d.groupState, groupEpoch: d.groupEpoch, assignmentEpoch: d.assignmentEpoch, members: [...members].sort((x, y) => x[0].localeCompare(y[0])) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odradek-share-"));
  clock = new ManualClock();
  b = await startBroker({ clock, dataDir: dir, config });
  c = await TestClient.connect(b.port);
  const r = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "sq", numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 });
  topicId = r.topics[0]!.topicId;
});
afterAll(async () => {
  await c.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("share groups", () => {
  it("members join with client-chosen ids and share the one partition", async () => {
    expect((await heartbeat("g1", "", 0)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await heartbeat("g1", "m1", 0, null)).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    const a = await heartbeat("g1", "m1", 0);
    // A new share group starts at epoch 1 (Kafka 4.4): its first member gets 2.
    expect(a).toMatchObject({ errorCode: 0, memberId: "m1", memberEpoch: 2 });
    expect(a.assignment!.topicPartitions).toEqual([{ topicId, partitions: [0] }]);
    const m2 = await heartbeat("g1", "m2", 0);
    expect(m2.memberEpoch).toBe(3);
    expect(m2.assignment!.topicPartitions).toEqual([{ topicId, partitions: [0] }]); // shared
    expect((await heartbeat("g1", "m1", 2)).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    expect((await heartbeat("g1", "m1", 3)).errorCode).toBe(0);
    const d = await c.request(ApiKey.ShareGroupDescribe, 1, { groupIds: ["g1", "nope"], includeAuthorizedOperations: false });
    expect(d.groups.map((g) => [g.groupId, g.errorCode, g.groupState, g.members.length])).toEqual([["g1", 0, "Stable", 2], ["nope", ErrorCode.GROUP_ID_NOT_FOUND, "Dead", 0]]);
    const lg = await c.request(ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ["share"] });
    expect(lg.groups.map((g) => [g.groupId, g.groupType])).toEqual([["g1", "share"]]);
  });

  it("each record goes to one member; released ones go to the next; an unacquired ack is refused", async () => {
    // share.auto.offset.reset = latest: the partition started at 0 when it was first assigned.
    await produce(["r0", "r1", "r2", "r3"]);
    const f1 = await shareFetch("g1", "m1", 0, [], 2);
    expect(f1.acquisitionLockTimeoutMs).toBe(5000);
    expect(acquired(f1)).toEqual([[0, 3, 1]]); // one whole batch
    expect(acquired(await shareFetch("g1", "m2", 0))).toEqual([]);
    // m1 accepts 0-1 and releases 2-3 with its next fetch, and gets the released ones again (delivery 2).
    const f2 = await shareFetch("g1", "m1", 1, [{ firstOffset: 0n, lastOffset: 1n, acknowledgeTypes: [ACCEPT] }, { firstOffset: 2n, lastOffset: 3n, acknowledgeTypes: [RELEASE] }]);
    expect(f2.responses[0]!.partitions[0]!.acknowledgeErrorCode).toBe(0);
    expect(acquired(f2)).toEqual([[2, 3, 2]]);
    // m2 acknowledging what it does not hold: INVALID_RECORD_STATE.
    const bad = await c.request(ApiKey.ShareAcknowledge, 1, { groupId: "g1", memberId: "m2", shareSessionEpoch: 1, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 2n, lastOffset: 2n, acknowledgeTypes: [ACCEPT] }] }] }] });
    expect(bad.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_RECORD_STATE);
    expect(await startOffset("g1")).toEqual([2, 2]);
  });

  it("share sessions: a wrong epoch and a missing session are refused", async () => {
    expect((await shareFetch("g1", "m1", 7)).errorCode).toBe(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
    expect((await shareFetch("g1", "m9", 3)).errorCode).toBe(ErrorCode.SHARE_SESSION_NOT_FOUND);
    const ack0 = await c.request(ApiKey.ShareAcknowledge, 1, { groupId: "g1", memberId: "m1", shareSessionEpoch: 0, topics: [] });
    expect(ack0.errorCode).toBe(ErrorCode.INVALID_SHARE_SESSION_EPOCH);
  });

  it("a lock that expires on the clock makes the records available to another member", async () => {
    expect(acquired(await shareFetch("g1", "m2", 2))).toEqual([]); // 2-3 still locked by m1
    clock.advance(5_000);
    await settle();
    expect(acquired(await shareFetch("g1", "m2", 3))).toEqual([[2, 3, 3]]);
    const ok = await c.request(ApiKey.ShareAcknowledge, 1, { groupId: "g1", memberId: "m2", shareSessionEpoch: 4, topics: [{ topicId, partitions: [{ partitionIndex: 0, acknowledgementBatches: [{ firstOffset: 2n, lastOffset: 3n, acknowledgeTypes: [ACCEPT] }] }] }] });
    expect(ok.responses[0]!.partitions[0]!.errorCode).toBe(0);
    expect(await startOffset("g1")).toEqual([4, 0]);
  });

  it("a member that leaves and closes its share session releases its records; an empty group's offsets can be reset", async () => {
    await produce(["r4", "r5"]);
    expect(acquired(await shareFetch("g1", "m1", 2))).toEqual([[4, 5, 1]]);
    expect((await heartbeat("g1", "m1", -1)).memberEpoch).toBe(-1);
    // Leaving the group does not end the share session (Kafka 4.4): the client's final ShareFetch (epoch -1) does.
    await shareFetch("g1", "m1", -1);
    expect((await c.request(ApiKey.AlterShareGroupOffsets, 0, { groupId: "g1", topics: [{ topicName: "sq", partitions: [{ partitionIndex: 0, startOffset: 0n }] }] })).errorCode).toBe(ErrorCode.NON_EMPTY_GROUP);
    // m2 gets 4-5 at once (released with the session, not after the lock).
    expect(acquired(await shareFetch("g1", "m2", 5))).toEqual([[4, 5, 2]]);
    await shareFetch("g1", "m2", 6, [{ firstOffset: 4n, lastOffset: 5n, acknowledgeTypes: [ACCEPT] }]);
    await heartbeat("g1", "m2", -1);
    const alter = await c.request(ApiKey.AlterShareGroupOffsets, 0, { groupId: "g1", topics: [{ topicName: "sq", partitions: [{ partitionIndex: 0, startOffset: 1n }] }] });
    expect(alter.errorCode).toBe(0);
    expect(await startOffset("g1")).toEqual([1, 5]);
  });

  it("after a restart acknowledged records are never delivered again; acquired ones are", async () => {
    await heartbeat("g2", "x", 0);
    await produce(["r6", "r7", "r8"]); // offsets 6-8
    expect(acquired(await shareFetch("g2", "x", 0))).toEqual([[6, 8, 1]]);
    await shareFetch("g2", "x", 1, [{ firstOffset: 6n, lastOffset: 6n, acknowledgeTypes: [ACCEPT] }]);
    await restart();
    // The member is still there (membership is persisted) with its epoch; its share session is not
    // (Kafka's are in memory too): it opens a new one and reads 7-8, delivery 2.
    expect((await heartbeat("g2", "x", 2))).toMatchObject({ errorCode: 0, memberEpoch: 2 });
    expect(acquired(await shareFetch("g2", "x", 0))).toEqual([[7, 8, 2]]);
    expect(await startOffset("g2")).toEqual([7, 2]);
    expect(await startOffset("g1")).toEqual([1, 8]);
  });

  it("membership survives a restart: members, epochs and assignment; the group epoch continues; sessions time out on the clock", async () => {
    await heartbeat("g3", "p", 0);
    await heartbeat("g3", "q", 0); // group epoch 3
    await heartbeat("g3", "r", 0); // 4
    expect((await heartbeat("g3", "r", -1)).memberEpoch).toBe(-1); // 5
    const before = await describeGroup("g3");
    expect(before).toEqual({ state: "Stable", groupEpoch: 5, assignmentEpoch: 5, members: [["p", 5, ["sq"], [[topicId, [0]]]], ["q", 5, ["sq"], [[topicId, [0]]]]] });
    await restart();
    expect(await describeGroup("g3")).toEqual(before);
    expect(await describeGroup("g1")).toMatchObject({ state: "Empty", groupEpoch: 5, members: [] });
    // A heartbeat with the member's epoch continues; a new member moves the epoch on from 5.
    expect(await heartbeat("g3", "p", 5)).toMatchObject({ errorCode: 0, memberEpoch: 5 });
    expect(await heartbeat("g3", "s", 0)).toMatchObject({ errorCode: 0, memberEpoch: 6 });
    expect((await heartbeat("g3", "q", 5)).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
    // q never heartbeats again: its session (restarted at load) times out on the clock; p and s stay.
    clock.advance(30_000);
    await heartbeat("g3", "p", 6);
    await heartbeat("g3", "s", 6);
    clock.advance(20_000);
    await settle();
    expect(await describeGroup("g3")).toMatchObject({ groupEpoch: 7, members: [["p", 7, ["sq"], [[topicId, [0]]]], ["s", 7, ["sq"], [[topicId, [0]]]]] });
    // The expiry was written too: after another restart q is still gone.
    await restart();
    expect((await describeGroup("g3")).members.map((m) => m[0])).toEqual(["p", "s"]);
    // Leaving and deleting the group is written as well.
    await heartbeat("g3", "p", -1);
    await heartbeat("g3", "s", -1);
    const del = await c.request(ApiKey.DeleteGroups, 2, { groupsNames: ["g3"] });
    expect(del.results[0]!.errorCode).toBe(0);
    await restart();
    expect((await describeGroup("g3")).state).toBe("Dead");
  });
});
