/**
 * The classic group's timers, driven step by step on one coordinator partition with a ManualClock and
 * an in-memory log: session expiry, rebalance timeout, pending-sync timeout, new-member join
 * timeout, and the race behind the intermittent stall of issue #15 — a timer that fired while an
 * operation which restarts it (a heartbeat, a join) was queued ahead of it must not run afterwards.
 * The queue is made busy deterministically: the first `run` of an idle queue runs synchronously and
 * keeps the queue busy until a microtask later, so a second `run` and a timer fired by
 * `clock.advance` queue behind it in that order.
 */
import { describe, expect, it } from "vitest";
import { ErrorCode } from "@odradek/codec";
import { ManualClock } from "../src/clock.js";
import { CoordinatorPartition } from "../src/coordinator/coordinator-partition.js";
import type { CoordinatorLog } from "../src/coordinator/coordinator-partition.js";
import { silentLogger } from "../src/logger.js";
import { GroupShard } from "../src/group/group-shard.js";
import type { GroupConfig } from "../src/group/group-shard.js";
import { heartbeat, join, leave, sync } from "../src/group/classic-protocol.js";
import type { JoinRequest } from "../src/group/classic-protocol.js";
import type { JoinResponse, SyncResponse } from "../src/group/classic-group.js";

const config: GroupConfig = {
  offsetsRetentionMs: 7 * 86_400_000, offsetsRetentionCheckIntervalMs: 600_000, consumerSessionTimeoutMs: 45_000,
  consumerHeartbeatIntervalMs: 5_000, minSessionTimeoutMs: 6_000, maxSessionTimeoutMs: 1_800_000, initialRebalanceDelayMs: 0,
  maxSize: 100, maxMetadataBytes: 4096, shareSessionTimeoutMs: 45_000, shareHeartbeatIntervalMs: 5_000, shareMaxSize: 200,
};

function memoryLog(): CoordinatorLog {
  let end = 0;
  return {
    logStartOffset: 0,
    get highWatermark() { return end; },
    async append() { end++; return {}; },
    async appendTxnMarker() { return { baseOffset: end++ }; },
    async read() { return { records: [], release: () => {} }; },
  };
}

class Harness {
  readonly clock = new ManualClock();
  readonly shard = new GroupShard(config, this.clock, silentLogger, { byName: () => undefined, all: () => [] });
  readonly p = new CoordinatorPartition(0, memoryLog(), this.shard, this.clock);
  constructor() {
    this.shard.attach(this.p);
  }
  /** Lets queued steps (and the log appends they wait on) finish. */
  settle = () => new Promise((r) => setTimeout(r, 5));

  /** Queues a JoinGroup; resolves once it is queued, with `wait` for the (parked) response. */
  async join(memberId: string, o: { session?: number; rebalance?: number; clientId?: string } = {}): Promise<{ wait: Promise<JoinResponse> }> {
    const req: JoinRequest = {
      groupId: "g", sessionTimeoutMs: o.session ?? 10_000, rebalanceTimeoutMs: o.rebalance ?? 30_000, memberId, groupInstanceId: null,
      protocolType: "consumer", protocols: [{ name: "range", metadata: Buffer.from("sub") }], reason: null, clientId: o.clientId ?? "c", clientHost: "/127.0.0.1", apiVersion: 3,
    };
    return this.p.run((s) => join(s, req));
  }
  sync(memberId: string, generationId: number, assignments: { memberId: string; assignment: Buffer }[] = []): Promise<{ wait: Promise<SyncResponse> }> {
    return this.p.run((s) => sync(s, { groupId: "g", generationId, memberId, groupInstanceId: null, protocolType: "consumer", protocolName: "range", assignments }));
  }
  heartbeat(memberId: string, generationId: number): Promise<number> {
    return this.p.run((s) => heartbeat(s, { groupId: "g", generationId, memberId, groupInstanceId: null }));
  }
  /** Occupies the queue for one microtask so that what is run next queues behind it. */
  busy(): void {
    void this.p.run(() => ({ records: [], response: undefined }));
  }
  group() {
    return this.shard.dump("g") as { state: string; generationId: number; leader: string; members: { memberId: string }[] };
  }
  members(): string[] {
    return this.group().members.map((m) => m.memberId).sort();
  }
  /** A Stable group of the given members (v3 joins: ids chosen by the coordinator). */
  async stable(n: number, o: { session?: number; rebalance?: number } = {}): Promise<{ ids: string[]; generation: number }> {
    // One member at a time joins; the members before it rejoin, as clients do on REBALANCE_IN_PROGRESS.
    let rs: JoinResponse[] = [];
    for (let i = 0; i < n; i++) {
      const waits = [(await this.join("", { ...o, clientId: `c${i}` })).wait];
      for (const r of rs) waits.push((await this.join(r.memberId, o)).wait);
      rs = await Promise.all(waits);
    }
    const leader = rs.find((r) => r.memberId === r.leader)!;
    const syncs = (await Promise.all(rs.map((r) => this.sync(r.memberId, r.generationId, r === leader ? rs.map((x) => ({ memberId: x.memberId, assignment: Buffer.from(x.memberId) })) : [])))).map((d) => d.wait);
    for (const s of await Promise.all(syncs)) expect(s.errorCode).toBe(ErrorCode.NONE);
    expect(this.group().state).toBe("Stable");
    return { ids: rs.map((r) => r.memberId), generation: rs[0]!.generationId };
  }
}

describe("classic group timers (issue #15's stall)", () => {
  it("a session expiry that fired while the member's heartbeat was queued ahead of it does not remove the member", async () => {
    const h = new Harness();
    const { ids, generation } = await h.stable(2, { session: 10_000 });
    const [a, b] = ids as [string, string];
    h.clock.advance(9_000);
    expect(await h.heartbeat(b, generation)).toBe(ErrorCode.NONE);
    // a's heartbeat reaches the queue just before its session timer fires (an event loop that lagged).
    h.busy();
    const beat = h.heartbeat(a, generation);
    h.clock.advance(1_000);
    expect(await beat).toBe(ErrorCode.NONE);
    await h.settle();
    // Before the fix the expiry ran after the heartbeat and removed a: the group rebalanced under a
    // member that had just been told NONE, and its next request was UNKNOWN_MEMBER_ID.
    expect(h.members()).toEqual([a, b].sort());
    expect(h.group().state).toBe("Stable");
    expect(await h.heartbeat(a, generation)).toBe(ErrorCode.NONE);
  });

  it("a rebalance timeout that fired while the last JoinGroup was queued does not cut short the next rebalance", async () => {
    const h = new Harness();
    const { ids, generation } = await h.stable(3, { session: 60_000, rebalance: 10_000 });
    const [a, b, c] = ids as [string, string, string];
    // c leaves: a and b must rejoin within 10 s.
    await h.p.run((s) => leave(s, "g", [{ memberId: c, groupInstanceId: null }]));
    expect(await h.heartbeat(a, generation)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const ja = (await h.join(a, { session: 60_000, rebalance: 10_000 })).wait;
    h.clock.advance(9_999);
    // b's join (which completes the round) and a new member's join (which starts the next round) are
    // queued, then the rebalance timeout fires behind them.
    h.busy();
    const jb = h.join(b, { session: 60_000, rebalance: 10_000 });
    const jdQueued = h.join("", { session: 60_000, rebalance: 10_000, clientId: "d" });
    h.clock.advance(1);
    const [ra, rb] = await Promise.all([ja, (await jb).wait]);
    expect(ra.generationId).toBe(generation + 1);
    expect(rb.generationId).toBe(generation + 1);
    const jd = (await jdQueued).wait;
    await h.settle();
    expect(h.group().state).toBe("PreparingRebalance");
    expect(h.members().length).toBe(3);
    h.clock.advance(5_000);
    await h.settle();
    // Before the fix the stale timer completed this round at once and removed a and b.
    expect(h.group().state).toBe("PreparingRebalance");
    const [ra2, rb2] = await Promise.all([(await h.join(a, { session: 60_000, rebalance: 10_000 })).wait, (await h.join(b, { session: 60_000, rebalance: 10_000 })).wait]);
    const rd = await jd;
    expect([ra2.errorCode, rb2.errorCode, rd.errorCode]).toEqual([0, 0, 0]);
    expect(new Set([ra2.generationId, rb2.generationId, rd.generationId])).toEqual(new Set([generation + 2]));
  });

  it("pending sync: a leader that got its JoinGroup response and never syncs is removed after the rebalance timeout", async () => {
    const h = new Harness();
    const ja = (await h.join("", { session: 60_000, rebalance: 5_000, clientId: "a" })).wait;
    const ra = await ja;
    await (await h.sync(ra.memberId, ra.generationId, [{ memberId: ra.memberId, assignment: Buffer.from("a") }])).wait;
    const jb = (await h.join("", { session: 60_000, rebalance: 5_000, clientId: "b" })).wait;
    const ja2 = (await h.join(ra.memberId, { session: 60_000, rebalance: 5_000 })).wait;
    const [ra2, rb] = await Promise.all([ja2, jb]);
    expect(ra2.leader).toBe(ra.memberId);
    // b syncs and waits for the leader; the leader is gone (its session would last 60 s).
    const sb = (await h.sync(rb.memberId, rb.generationId)).wait;
    h.clock.advance(5_000);
    await h.settle();
    expect((await sb).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    expect(h.members()).toEqual([rb.memberId]);
    // b rejoins alone and leads the next generation.
    const rb2 = await (await h.join(rb.memberId, { session: 60_000, rebalance: 5_000 })).wait;
    expect(rb2).toMatchObject({ errorCode: 0, leader: rb.memberId, generationId: rb.generationId + 1 });
  });

  it("a follower waiting in SyncGroup outlives its session while the leader takes longer (pending sync covers it)", async () => {
    const h = new Harness();
    const o = { session: 6_000, rebalance: 20_000 };
    const first = await (await h.join("", { ...o, clientId: "a" })).wait;
    const jb = (await h.join("", { ...o, clientId: "b" })).wait;
    const [ra, rb] = await Promise.all([(await h.join(first.memberId, o)).wait, jb]);
    const [leader, follower] = ra.memberId === ra.leader ? [ra, rb] : [rb, ra];
    const sf = (await h.sync(follower.memberId, follower.generationId)).wait;
    // The leader heartbeats while it computes the assignment; the follower only waits in its SyncGroup.
    h.clock.advance(4_000);
    expect(await h.heartbeat(leader.memberId, leader.generationId)).toBe(ErrorCode.NONE);
    h.clock.advance(4_000);
    await h.settle();
    const sl = (await h.sync(leader.memberId, leader.generationId, [{ memberId: follower.memberId, assignment: Buffer.from("f") }])).wait;
    expect((await sl).errorCode).toBe(0);
    expect(await sf).toMatchObject({ errorCode: 0, assignment: Buffer.from("f") });
    expect(h.group().state).toBe("Stable");
  });

  it("new-member join timeout: a new member's parked JoinGroup is answered UNKNOWN_MEMBER_ID after 5 minutes", async () => {
    const h = new Harness();
    const { ids } = await h.stable(1, { session: 1_800_000, rebalance: 600_000 });
    // A new member joins; the old one never rejoins (its session is 30 minutes, the rebalance timeout 10).
    const jn = (await h.join("", { session: 10_000, rebalance: 600_000, clientId: "new" })).wait;
    h.clock.advance(300_000);
    await h.settle();
    expect((await jn).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(h.members()).toEqual(ids);
    expect(h.group().state).toBe("PreparingRebalance");
  });

  it("a rebalance that nobody rejoins keeps static members and waits another timeout; dynamic ones are removed", async () => {
    const h = new Harness();
    const { ids } = await h.stable(2, { session: 60_000, rebalance: 10_000 });
    await h.p.run((s) => leave(s, "g", [{ memberId: ids[0]!, groupInstanceId: null }]));
    h.clock.advance(10_000);
    await h.settle();
    // ids[1] never rejoined: removed by the rebalance timeout, the group is Empty with a new generation.
    expect(h.group()).toMatchObject({ state: "Empty", members: [] });
  });
});
