/**
 * Replay as a property: any sequence of KIP-848 heartbeats (joins, subscription changes, revocations,
 * leaves), offset commits, deletions and clock jumps leaves a state that a restart rebuilds exactly
 * from `__consumer_offsets`, also after the log cleaner compacted it (small segments, so it has
 * something to drop: older values and tombstones). The live state of a consumer group is itself built
 * by replaying the records its steps return, so this checks that nothing else changes it (a step that
 * mutated state directly would show here), that every record reaches the log in order, and that the
 * state depends only on the latest record per key (what compaction keeps). fast-check generates the
 * sequences. Classic groups are covered by groups.test.ts: their in-flight rebalances are in memory
 * by design (Kafka's too), so only their stable snapshots replay.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ApiKey } from "@odradek/codec";
import { ManualClock, startBroker } from "../src/index.js";
import { TestClient } from "./helpers.js";

const GROUPS = ["pa", "pb"];
const MEMBERS = ["m1", "m2", "m3"];
const TOPICS = ["t1", "t2"];

type Op =
  | { kind: "join"; g: number; m: number; topics: number[]; assignor: "uniform" | "range" }
  | { kind: "beat"; g: number; m: number; reportAssigned: boolean }
  | { kind: "leave"; g: number; m: number }
  | { kind: "commit"; g: number; m: number; p: number; offset: number }
  | { kind: "delete"; g: number }
  | { kind: "advance"; ms: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant("join" as const), g: fc.nat(1), m: fc.nat(2), topics: fc.subarray([0, 1], { minLength: 1 }), assignor: fc.constantFrom("uniform" as const, "range" as const) }),
  fc.record({ kind: fc.constant("beat" as const), g: fc.nat(1), m: fc.nat(2), reportAssigned: fc.boolean() }),
  fc.record({ kind: fc.constant("beat" as const), g: fc.nat(1), m: fc.nat(2), reportAssigned: fc.boolean() }),
  fc.record({ kind: fc.constant("leave" as const), g: fc.nat(1), m: fc.nat(2) }),
  fc.record({ kind: fc.constant("commit" as const), g: fc.nat(1), m: fc.nat(2), p: fc.nat(2), offset: fc.nat(1000) }),
  fc.record({ kind: fc.constant("delete" as const), g: fc.nat(1) }),
  fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 1_000, max: 50_000 }) }),
);

describe("replay property", () => {
  it("a restart rebuilds every consumer group and offset the live coordinator had", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 40 }), async (ops) => {
        const dir = mkdtempSync(join(tmpdir(), "odradek-replay-prop-"));
        const clock = new ManualClock();
        const config = { "offsets.topic.num.partitions": "2", "offsets.topic.segment.bytes": "2048" };
        let b = await startBroker({ dataDir: dir, clock, config });
        let c = await TestClient.connect(b.port);
        try {
          await c.request(ApiKey.CreateTopics, 7, { topics: TOPICS.map((name) => ({ name, numPartitions: 3, replicationFactor: 1 })), timeoutMs: 1000 });
          const ids = TOPICS.map((t) => b.broker.topics.topic(t)!.id);
          // What each member last heard: epoch and assignment (as a client would keep them).
          const state = new Map<string, { epoch: number; owned: { topicId: string; partitions: number[] }[] }>();
          for (const o of ops) {
            if (o.kind === "advance") {
              clock.advance(o.ms);
              await new Promise((r) => setTimeout(r, 5));
              continue;
            }
            const groupId = GROUPS[o.g]!;
            if (o.kind === "delete") {
              await c.request(ApiKey.DeleteGroups, 2, { groupsNames: [groupId] });
              continue;
            }
            const memberId = MEMBERS[o.m]!;
            const key = `${groupId}/${memberId}`;
            const st = state.get(key) ?? { epoch: 0, owned: [] };
            if (o.kind === "commit") {
              await c.request(ApiKey.OffsetCommit, 9, { groupId, generationIdOrMemberEpoch: st.epoch > 0 ? st.epoch : -1, memberId: st.epoch > 0 ? memberId : "", groupInstanceId: null, topics: [{ name: TOPICS[0]!, partitions: [{ partitionIndex: o.p, committedOffset: BigInt(o.offset), committedLeaderEpoch: -1, committedMetadata: null }] }] });
              continue;
            }
            const epoch = o.kind === "join" ? 0 : o.kind === "leave" ? -1 : st.epoch;
            if (o.kind === "beat" && st.epoch <= 0) continue;
            const r = await c.request(ApiKey.ConsumerGroupHeartbeat, 1, {
              groupId, memberId, memberEpoch: epoch, instanceId: null, rackId: null, rebalanceTimeoutMs: o.kind === "join" ? 30_000 : -1,
              subscribedTopicNames: o.kind === "join" ? o.topics.map((t) => TOPICS[t]!) : null, subscribedTopicRegex: null,
              serverAssignor: o.kind === "join" ? o.assignor : null,
              topicPartitions: o.kind === "join" ? [] : o.kind === "beat" && o.reportAssigned ? st.owned : null,
            });
            if (r.errorCode === 0 && o.kind !== "leave") state.set(key, { epoch: r.memberEpoch, owned: r.assignment ? r.assignment.topicPartitions.map((t) => ({ topicId: t.topicId, partitions: [...t.partitions] })) : st.owned });
            else state.delete(key);
          }
          void ids;
          const live = await Promise.all(GROUPS.map((g) => b.broker.groups.dump(g)));
          // Flushed segments are what the cleaner may compact; two days on, tombstones go too.
          for (const l of b.broker.logs.allLogs()) await l.flush();
          for (let i = 0; i < 3; i++) await b.broker.logs.runCleaner(clock.now() + 2 * 86_400_000);
          await c.close();
          await b.close();
          b = await startBroker({ dataDir: dir, clock: new ManualClock(clock.now()), config });
          c = await TestClient.connect(b.port);
          const replayed = await Promise.all(GROUPS.map((g) => b.broker.groups.dump(g)));
          expect(replayed).toEqual(live);
        } finally {
          await c.close().catch(() => {});
          await b.close();
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 25 },
    );
  }, 120_000);
});
