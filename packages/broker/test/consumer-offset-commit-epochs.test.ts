/**
 * KIP-1251 over real TCP with a ManualClock: OffsetCommit from a KIP-848 member whose epoch was bumped
 * by a reassignment it has not heard of is accepted for the partitions it held since its (older)
 * epoch, refused (STALE_MEMBER_EPOCH, the whole request) for partitions given at a newer epoch, not
 * held, or an epoch above the broker's (TxnOffsetCommit alike); the assignment epochs survive a
 * restart (replay).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ApiKey, ErrorCode } from "@odradek/codec";
import { ManualClock, startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient } from "./helpers.js";

type TP = { topicId: string; partitions: number[] };

async function beat(c: TestClient, memberId: string, memberEpoch: number, owned: TP[] | null) {
  const r = await c.request(ApiKey.ConsumerGroupHeartbeat, 1, {
    groupId: "eg", memberId, memberEpoch, instanceId: null, rackId: null, rebalanceTimeoutMs: memberEpoch === 0 ? 20_000 : -1,
    subscribedTopicNames: memberEpoch === 0 ? ["ep"] : null, subscribedTopicRegex: null, serverAssignor: memberEpoch === 0 ? "range" : null,
    topicPartitions: memberEpoch === 0 ? [] : owned,
  });
  expect(r.errorCode).toBe(0);
  return { epoch: r.memberEpoch as number, owned: (r.assignment?.topicPartitions ?? owned ?? []) as TP[] };
}

/** OffsetCommit v9 by name (v10 by id when `topicId` is given); the error codes of its partitions. */
async function commit(c: TestClient, memberId: string, epoch: number, partitions: number[], opts: { topic?: string; topicId?: string } = {}) {
  const version = opts.topicId ? 10 : 9;
  const r = await c.request(ApiKey.OffsetCommit, version, {
    groupId: "eg", generationIdOrMemberEpoch: epoch, memberId, groupInstanceId: null,
    topics: [{ name: opts.topicId ? "" : (opts.topic ?? "ep"), topicId: opts.topicId ?? "AAAAAAAAAAAAAAAAAAAAAA", partitions: partitions.map((p) => ({ partitionIndex: p, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null })) }],
  });
  return [...new Set(r.topics[0]!.partitions.map((p: { errorCode: number }) => p.errorCode))];
}

/**
 * a joins (epoch 2, partitions 0–3: a new group starts at epoch 1); b joins (group epoch 3): a revokes 2–3 and moves to epoch 3 with
 * 0–1 still at assignment epoch 2; b gets 2–3 at epoch 3; b leaves (group epoch 4) and a takes 2–3 at
 * epoch 4. a now: epoch 4; partitions 0–1 at 2, 2–3 at 4.
 */
async function scenario(c: TestClient) {
  let a = await beat(c, "a", 0, null);
  expect(a).toMatchObject({ epoch: 2 });
  const b = await beat(c, "b", 0, null);
  expect(b.epoch).toBe(3);
  a = await beat(c, "a", a.epoch, a.owned); // told to revoke 2-3, still at epoch 1
  expect(a.epoch).toBe(2);
  a = await beat(c, "a", a.epoch, a.owned); // revoked: epoch 2
  expect(a.epoch).toBe(3);
  const b2 = await beat(c, "b", b.epoch, b.owned); // gets 2-3 now that a released them
  expect(b2.owned[0]!.partitions).toEqual([2, 3]);
  return { a, b: b2 };
}

describe("OffsetCommit with assignment epochs (KIP-1251)", () => {
  it("an older epoch commits the partitions held since then; newer, foreign or future ones are refused", async () => {
    const b: RunningBroker = await startBroker({ clock: new ManualClock(), config: { "offsets.topic.num.partitions": "1", "group.consumer.assignment.interval.ms": "0" } });
    const c = await TestClient.connect(b.port);
    try {
      const t = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "ep", numPartitions: 4, replicationFactor: 1 }, { name: "ep-other", numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 });
      const topicId = t.topics[0]!.topicId as string;
      const s = await scenario(c);
      // a's epoch (3) was bumped from 2 while 0-1 stayed with it.
      expect(await commit(c, "a", 2, [0, 1])).toEqual([ErrorCode.NONE]);
      expect(await commit(c, "a", 3, [0, 1])).toEqual([ErrorCode.NONE]);
      // b got 2-3 at epoch 3: epoch 2 is older than their assignment.
      expect(await commit(c, "b", 2, [2])).toEqual([ErrorCode.STALE_MEMBER_EPOCH]);
      expect(await commit(c, "b", s.b.epoch, [2, 3])).toEqual([ErrorCode.NONE]);
      // b leaves: a takes 2-3 at epoch 4, 0-1 stay at 2.
      await c.request(ApiKey.ConsumerGroupHeartbeat, 1, { groupId: "eg", memberId: "b", memberEpoch: -1, instanceId: null, rackId: null, rebalanceTimeoutMs: -1, subscribedTopicNames: null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: null });
      const a = await beat(c, "a", s.a.epoch, s.a.owned);
      expect(a.epoch).toBe(4);
      expect(a.owned[0]!.partitions).toEqual([0, 1, 2, 3]);
      expect(await commit(c, "a", 3, [0, 1])).toEqual([ErrorCode.NONE]);
      expect(await commit(c, "a", 3, [0, 2])).toEqual([ErrorCode.STALE_MEMBER_EPOCH]); // 2 was assigned at 4: the whole request fails
      expect(await commit(c, "a", 3, [1], { topicId })).toEqual([ErrorCode.NONE]); // v10, by topic id
      expect(await commit(c, "a", 3, [0], { topic: "ep-other" })).toEqual([ErrorCode.STALE_MEMBER_EPOCH]); // not held
      expect(await commit(c, "a", 5, [0])).toEqual([ErrorCode.STALE_MEMBER_EPOCH]); // above the broker's epoch
      expect(await commit(c, "a", 4, [0, 2])).toEqual([ErrorCode.NONE]);
      expect(await b.broker.groups.dump("eg")).toMatchObject({ members: [{ memberId: "a", memberEpoch: 4, assignmentEpochs: { [topicId]: { 0: 2, 1: 2, 2: 4, 3: 4 } } }] });
      // TxnOffsetCommit checks the same way; before v6 a stale epoch is ILLEGAL_GENERATION (Kafka 4.4).
      const init = await c.request(ApiKey.InitProducerId, 5, { transactionalId: "eg-tx", transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
      const tx = { transactionalId: "eg-tx", producerId: init.producerId, producerEpoch: init.producerEpoch };
      expect((await c.request(ApiKey.AddOffsetsToTxn, 3, { ...tx, groupId: "eg" })).errorCode).toBe(0);
      const txnCommit = (version: number, epoch: number, partitions: number[]) => c.request(ApiKey.TxnOffsetCommit, version, {
        ...tx, groupId: "eg", generationIdOrMemberEpoch: epoch, memberId: "a", groupInstanceId: null,
        topics: [{ name: "ep", partitions: partitions.map((p) => ({ partitionIndex: p, committedOffset: 6n, committedLeaderEpoch: -1, committedMetadata: "" })) }],
      }).then((r) => [...new Set(r.topics[0]!.partitions.map((p: { errorCode: number }) => p.errorCode))]);
      expect(await txnCommit(3, 3, [0, 1])).toEqual([ErrorCode.NONE]);
      expect(await txnCommit(3, 3, [2])).toEqual([ErrorCode.ILLEGAL_GENERATION]);
      expect(await txnCommit(3, 5, [0])).toEqual([ErrorCode.ILLEGAL_GENERATION]);
    } finally {
      await c.close();
      await b.close();
    }
  });

  it("a static member's temporary leave puts its partitions at epoch 0 for the member that takes its instance over", async () => {
    const b: RunningBroker = await startBroker({ clock: new ManualClock(), config: { "offsets.topic.num.partitions": "1", "group.consumer.assignment.interval.ms": "0" } });
    const c = await TestClient.connect(b.port);
    try {
      const t = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "ep", numPartitions: 2, replicationFactor: 1 }], timeoutMs: 1000 });
      const topicId = t.topics[0]!.topicId as string;
      const beatStatic = (memberId: string, memberEpoch: number) => c.request(ApiKey.ConsumerGroupHeartbeat, 1, {
        groupId: "eg", memberId, memberEpoch, instanceId: "i-1", rackId: null, rebalanceTimeoutMs: memberEpoch === 0 ? 20_000 : -1,
        subscribedTopicNames: memberEpoch === 0 ? ["ep"] : null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: memberEpoch === 0 ? [] : null,
      });
      expect((await beatStatic("s1", 0)).memberEpoch).toBe(2);
      expect(await b.broker.groups.dump("eg")).toMatchObject({ members: [{ assignmentEpochs: { [topicId]: { 0: 2, 1: 2 } } }] });
      expect((await beatStatic("s1", -2)).errorCode).toBe(0);
      expect(await b.broker.groups.dump("eg")).toMatchObject({ members: [{ memberId: "s1", memberEpoch: -2, assignmentEpochs: { [topicId]: { 0: 0, 1: 0 } } }] });
      expect((await beatStatic("s2", 0)).memberEpoch).toBe(2);
      expect(await b.broker.groups.dump("eg")).toMatchObject({ members: [{ memberId: "s2", memberEpoch: 2, assignmentEpochs: { [topicId]: { 0: 0, 1: 0 } } }] });
      expect(await commit(c, "s2", 0, [0, 1])).toEqual([ErrorCode.NONE]);
    } finally {
      await c.close();
      await b.close();
    }
  });

  it("a restart brings the assignment epochs back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-kip1251-"));
    const config = { "offsets.topic.num.partitions": "1", "group.consumer.assignment.interval.ms": "0" };
    try {
      const clock = new ManualClock();
      let broker = await startBroker({ dataDir: dir, clock, config });
      let c = await TestClient.connect(broker.port);
      await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "ep", numPartitions: 4, replicationFactor: 1 }], timeoutMs: 1000 });
      await scenario(c);
      const live = await broker.broker.groups.dump("eg");
      await c.close();
      await broker.close();
      broker = await startBroker({ dataDir: dir, clock: new ManualClock(clock.now()), config });
      c = await TestClient.connect(broker.port);
      try {
        expect(await broker.broker.groups.dump("eg")).toEqual(live);
        expect(await commit(c, "a", 2, [0, 1])).toEqual([ErrorCode.NONE]);
        expect(await commit(c, "b", 2, [2, 3])).toEqual([ErrorCode.STALE_MEMBER_EPOCH]);
      } finally {
        await c.close();
        await broker.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
