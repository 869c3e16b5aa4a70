/**
 * The classic group protocol's steps (JoinGroup v0–9, SyncGroup v0–5, Heartbeat v0–4, LeaveGroup
 * v0–5, session expiry), as Kafka's group coordinator takes them. Each step runs on the group's
 * coordinator partition queue (group-shard.ts) and changes the in-memory group; the group's
 * snapshot (GroupMetadataValue) is written when a generation's assignment is complete (leader's
 * SyncGroup) and when the group becomes Empty, so a restart brings back the members and their
 * assignment of the last stable generation.
 *
 * JoinGroup rules (Kafka's):
 *  - empty member id, v4+: a member id is handed out with MEMBER_ID_REQUIRED and kept pending for a
 *    session timeout (KIP-394); v0–3 join at once. A static member (group.instance.id, KIP-345)
 *    joins at once and replaces the member id its instance had (the old id is fenced:
 *    FENCED_INSTANCE_ID); if the group is Stable and its protocols did not change it gets the
 *    current generation back without a rebalance.
 *  - a known member in PreparingRebalance waits for the rebalance; in CompletingRebalance or Stable
 *    with the same protocols (and not the leader in Stable) gets the current generation back;
 *    otherwise its join starts a rebalance.
 *  - the join completes when every member (and every pending id) has joined, or when the rebalance
 *    timeout (the largest of the members') passes: dynamic members that did not rejoin are removed
 *    (static ones stay, and must sync in time); if nobody rejoined the timeout is set again, so the
 *    session timeouts remove the silent members first; a group left without members becomes Empty
 *    with a new generation. The first rebalance of an Empty group waits
 *    `group.initial.rebalance.delay.ms` first. Pending member ids (KIP-394) outlive a completed join
 *    until their own session timeout, as Kafka keeps them.
 *  - the leader (kept if it rejoined, else the first member that did) gets every member's metadata
 *    for the chosen protocol.
 *  - pending sync (Kafka's): every member of a new generation must send SyncGroup within the
 *    rebalance timeout; those that did not are removed and the group rebalances again (so a leader
 *    that got its JoinGroup response and vanished costs one rebalance timeout at most, even when
 *    its session is longer).
 * Heartbeats and expiry: UNKNOWN_MEMBER_ID / ILLEGAL_GENERATION / FENCED_INSTANCE_ID as Kafka;
 * PreparingRebalance answers REBALANCE_IN_PROGRESS (the member must rejoin); every accepted
 * heartbeat, join and sync restarts the member's session timer. When a session timer fires, a member
 * that waits in a JoinGroup or SyncGroup is kept (the rebalance and pending-sync timeouts cover it),
 * except a new member (one that joined during this rebalance), whose JoinGroup is answered
 * UNKNOWN_MEMBER_ID after the new-member join timeout (5 minutes, Kafka's constant); any other
 * expired member is removed as if it had left. Timers that fired while an operation that restarts them
 * was queued ahead do not run (coordinator-partition.ts).
 */
import { randomUUID } from "node:crypto";
import { ErrorCode } from "@odradek/codec";
import type { CoordinatorResult, CoordinatorRecord } from "../coordinator/coordinator-partition.js";
import { ClassicGroup, EMPTY_BYTES } from "./classic-group.js";
import type { ClassicMember, JoinResponse, SyncResponse } from "./classic-group.js";
import type { GroupShard } from "./group-shard.js";
import { groupMetadataRecord } from "./records.js";

export interface JoinRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string;
  protocols: { name: string; metadata: Buffer }[];
  reason: string | null;
  clientId: string;
  clientHost: string;
  apiVersion: number;
}

export interface SyncRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

/** A response that may come later (joins and syncs wait for the rest of the group). */
export interface Deferred<T> {
  wait: Promise<T>;
}

const UNKNOWN_MEMBER = "";
const none = <T>(response: T, records: CoordinatorRecord[] = []): CoordinatorResult<T> => ({ records, response, replay: false });
const now = (s: GroupShard) => s.clock.now();

export function joinError(errorCode: number, memberId: string, protocolType: string | null = null): JoinResponse {
  return { errorCode, generationId: -1, protocolType, protocolName: null, leader: "", skipAssignment: false, memberId, members: [] };
}
export const syncError = (errorCode: number): SyncResponse => ({ errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES });

function joinResult(g: ClassicGroup, m: ClassicMember, errorCode = ErrorCode.NONE): JoinResponse {
  const isLeader = g.leaderId === m.memberId;
  return {
    errorCode,
    generationId: g.generationId,
    protocolType: g.protocolType,
    protocolName: g.protocolName,
    leader: g.leaderId ?? "",
    skipAssignment: false,
    memberId: m.memberId,
    members: isLeader ? [...g.members.values()].map((x) => ({ memberId: x.memberId, groupInstanceId: x.groupInstanceId, metadata: g.metadataOf(x, g.protocolName ?? "") })) : [],
  };
}

const heartbeatKey = (groupId: string, memberId: string) => `heartbeat:${groupId}:${memberId}`;
const joinKey = (groupId: string) => `join:${groupId}`;
const syncKey = (groupId: string) => `sync:${groupId}`;
/** Kafka's CLASSIC_GROUP_NEW_MEMBER_JOIN_TIMEOUT_MS: a new member's parked JoinGroup is given up after this. */
export const NEW_MEMBER_JOIN_TIMEOUT_MS = 5 * 60 * 1000;

export function join(s: GroupShard, req: JoinRequest): CoordinatorResult<Deferred<JoinResponse>> {
  const done = (r: JoinResponse) => none({ wait: Promise.resolve(r) });
  if (req.groupId === "") return done(joinError(ErrorCode.INVALID_GROUP_ID, req.memberId));
  if (req.sessionTimeoutMs < s.config.minSessionTimeoutMs || req.sessionTimeoutMs > s.config.maxSessionTimeoutMs) {
    return done(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId));
  }
  let g = s.classicGroup(req.groupId);
  if (g === "other-type") return done(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
  if (!g) {
    if (req.memberId !== UNKNOWN_MEMBER) return done(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
    g = s.createClassicGroup(req.groupId);
  }
  if (g.is("Dead")) return done(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, req.memberId));
  if (!g.supportsProtocols(req.protocolType, req.protocols)) return done(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
  const known = g.members.get(req.memberId);
  if (!known && !g.pendingMembers.has(req.memberId) && g.members.size >= s.config.maxSize && (req.memberId === UNKNOWN_MEMBER || req.groupInstanceId === null)) {
    return done(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED, req.memberId));
  }
  let result: Promise<JoinResponse>;
  if (req.memberId === UNKNOWN_MEMBER) {
    const memberId = `${req.clientId}-${randomUUID()}`;
    if (req.groupInstanceId !== null) result = joinStatic(s, g, req, memberId);
    else if (req.apiVersion >= 4) {
      // KIP-394: the member must come back with this id; until then it counts as a pending member.
      g.pendingMembers.add(memberId);
      s.partition.schedule(heartbeatKey(g.groupId, memberId), req.sessionTimeoutMs, (sh) => expirePending(sh, req.groupId, memberId));
      result = Promise.resolve(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId));
    } else result = addMemberAndRebalance(s, g, req, memberId);
  } else if (g.pendingMembers.has(req.memberId)) {
    result = addMemberAndRebalance(s, g, req, req.memberId);
  } else {
    if (!known) return done(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
    if (req.groupInstanceId !== null && known.groupInstanceId !== req.groupInstanceId) return done(joinError(ErrorCode.FENCED_INSTANCE_ID, req.memberId));
    result = joinKnown(s, g, known, req);
  }
  s.log.debug({ group: req.groupId, member: req.memberId, state: g.state, generation: g.generationId, members: g.members.size, pending: g.pendingMembers.size }, "join received");
  return none({ wait: result });
}

function newMember(req: JoinRequest, memberId: string): ClassicMember {
  return {
    memberId, groupInstanceId: req.groupInstanceId, clientId: req.clientId, clientHost: req.clientHost,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs, sessionTimeoutMs: req.sessionTimeoutMs,
    protocolType: req.protocolType, protocols: req.protocols, assignment: EMPTY_BYTES,
    awaitingJoin: null, awaitingSync: null, isNew: true,
  };
}

function awaitJoin(m: ClassicMember): Promise<JoinResponse> {
  return new Promise((resolve) => {
    // A member that sends a second JoinGroup while the first still waits: the first is answered
    // with the same result when the join completes (Kafka answers the newest; clients send one).
    const earlier = m.awaitingJoin;
    m.awaitingJoin = (r) => {
      earlier?.(r);
      resolve(r);
    };
  });
}

function addMemberAndRebalance(s: GroupShard, g: ClassicGroup, req: JoinRequest, memberId: string): Promise<JoinResponse> {
  const m = newMember(req, memberId);
  g.add(m);
  const wait = awaitJoin(m);
  // A new member cannot heartbeat while its JoinGroup is parked: it is timed out on the new-member
  // join timeout instead of its session (a client that gave up and rejoined leaves no ghost forever).
  s.partition.schedule(heartbeatKey(g.groupId, memberId), s.config.newMemberJoinTimeoutMs ?? NEW_MEMBER_JOIN_TIMEOUT_MS, (sh) => expireMember(sh, g.groupId, memberId));
  maybePrepareRebalance(s, g, `${memberId} joined`);
  maybeCompleteJoin(s, g);
  return wait;
}

function joinStatic(s: GroupShard, g: ClassicGroup, req: JoinRequest, memberId: string): Promise<JoinResponse> {
  const oldId = g.staticMembers.get(req.groupInstanceId!);
  const old = oldId === undefined ? undefined : g.members.get(oldId);
  if (!old) return addMemberAndRebalance(s, g, req, memberId);
  // Replace the old member id: its pending join or sync is fenced.
  g.remove(old.memberId);
  s.partition.cancel(heartbeatKey(g.groupId, old.memberId));
  old.awaitingJoin?.(joinError(ErrorCode.FENCED_INSTANCE_ID, old.memberId));
  old.awaitingSync?.(syncError(ErrorCode.FENCED_INSTANCE_ID));
  const wasLeader = g.leaderId === null || g.leaderId === old.memberId;
  const m: ClassicMember = { ...newMember(req, memberId), assignment: old.assignment, isNew: false };
  g.add(m);
  if (wasLeader) g.leaderId = m.memberId;
  const sameProtocols = old.protocolType === req.protocolType && sameMetadata(old.protocols, req.protocols);
  if (g.is("Stable") && sameProtocols) {
    // KIP-345: a static member that restarts gets its assignment back without a rebalance.
    resetSession(s, g, m);
    return Promise.resolve({ ...joinResult(g, m), members: [], skipAssignment: false, leader: g.leaderId ?? "" });
  }
  const wait = awaitJoin(m);
  maybePrepareRebalance(s, g, `static member ${req.groupInstanceId} rejoined`);
  maybeCompleteJoin(s, g);
  return wait;
}

function sameMetadata(a: readonly { name: string; metadata: Buffer }[], b: readonly { name: string; metadata: Buffer }[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]!.name && p.metadata.equals(b[i]!.metadata));
}

function joinKnown(s: GroupShard, g: ClassicGroup, m: ClassicMember, req: JoinRequest): Promise<JoinResponse> {
  const same = m.protocolType === req.protocolType && sameMetadata(m.protocols, req.protocols);
  m.protocols = req.protocols;
  m.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
  m.sessionTimeoutMs = req.sessionTimeoutMs;
  m.clientId = req.clientId;
  m.clientHost = req.clientHost;
  if (g.is("PreparingRebalance")) {
    const wait = awaitJoin(m);
    maybeCompleteJoin(s, g);
    return wait;
  }
  if (g.is("CompletingRebalance") && same) return Promise.resolve(joinResult(g, m));
  if (g.is("Stable") && same && g.leaderId !== m.memberId) {
    resetSession(s, g, m);
    return Promise.resolve(joinResult(g, m));
  }
  const wait = awaitJoin(m);
  maybePrepareRebalance(s, g, `${m.memberId} rejoined with new metadata or as the leader`);
  maybeCompleteJoin(s, g);
  return wait;
}

export function maybePrepareRebalance(s: GroupShard, g: ClassicGroup, why: string): void {
  if (!g.is("Stable", "CompletingRebalance", "Empty")) return;
  g.pendingSyncMembers.clear();
  s.partition.cancel(syncKey(g.groupId));
  if (g.is("CompletingRebalance")) {
    // The assignment in progress is abandoned: waiting syncs must rejoin.
    for (const m of g.members.values()) {
      m.assignment = EMPTY_BYTES;
      m.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
      m.awaitingSync = null;
    }
  }
  const initial = g.is("Empty");
  g.transition("PreparingRebalance", now(s));
  s.log.debug({ group: g.groupId, generation: g.generationId, why }, "preparing rebalance");
  if (initial && s.config.initialRebalanceDelayMs > 0) {
    // The first rebalance of an empty group waits for more members first (Kafka's InitialDelayedJoin).
    s.initialDelayGroups.add(g.groupId);
    s.partition.schedule(joinKey(g.groupId), s.config.initialRebalanceDelayMs, (sh) => {
      sh.initialDelayGroups.delete(g.groupId);
      const grp = sh.classicGroup(g.groupId);
      if (!(grp instanceof ClassicGroup) || !grp.is("PreparingRebalance")) return none(undefined);
      if (grp.allJoined()) completeJoin(sh, grp);
      else sh.partition.schedule(joinKey(grp.groupId), grp.rebalanceTimeoutMs(), (sh2) => completeJoinOnTimeout(sh2, grp.groupId));
      return none(undefined);
    });
  } else {
    s.partition.schedule(joinKey(g.groupId), g.rebalanceTimeoutMs(), (sh) => completeJoinOnTimeout(sh, g.groupId));
  }
}

function completeJoinOnTimeout(s: GroupShard, groupId: string): CoordinatorResult<undefined> {
  const g = s.classicGroup(groupId);
  if (g instanceof ClassicGroup && g.is("PreparingRebalance")) completeJoin(s, g);
  return none(undefined);
}

/** Completes the join now if everyone is in (and no initial delay is running). */
function maybeCompleteJoin(s: GroupShard, g: ClassicGroup): void {
  if (g.is("PreparingRebalance") && g.allJoined() && !s.initialDelayGroups.has(g.groupId)) completeJoin(s, g);
}

/** Ends the PreparingRebalance phase; a snapshot record it makes is written by the step it runs in (GroupShard.drainRecords). */
function completeJoin(s: GroupShard, g: ClassicGroup): void {
  s.partition.cancel(joinKey(g.groupId));
  // Dynamic members that did not rejoin in time are removed; static ones stay (Kafka's rule).
  const removed: string[] = [];
  for (const m of [...g.members.values()]) {
    if (!m.awaitingJoin && m.groupInstanceId === null) {
      g.remove(m.memberId);
      s.partition.cancel(heartbeatKey(g.groupId, m.memberId));
      removed.push(m.memberId);
    }
  }
  if (removed.length) s.log.debug({ group: g.groupId, generation: g.generationId, removed }, "members that did not rejoin removed");
  const joined = [...g.members.values()].filter((m) => m.awaitingJoin);
  if (g.members.size > 0 && joined.length === 0) {
    // Only static members that did not rejoin are left: wait another rebalance timeout (their
    // sessions remove them meanwhile), as Kafka does when it cannot elect a joined leader.
    s.log.debug({ group: g.groupId, generation: g.generationId, members: g.members.size }, "no member rejoined; the join phase is extended");
    s.partition.schedule(joinKey(g.groupId), g.rebalanceTimeoutMs(), (sh) => completeJoinOnTimeout(sh, g.groupId));
    return;
  }
  if (g.leaderId === null || !g.members.get(g.leaderId)?.awaitingJoin) g.leaderId = joined[0]?.memberId ?? null;
  g.generationId++;
  if (g.members.size === 0) {
    g.transition("Empty", now(s));
    g.protocolName = null;
    g.leaderId = null;
    s.pendingRecords.push(snapshot(s, g));
    return;
  }
  g.protocolName = g.selectProtocol();
  g.transition("CompletingRebalance", now(s));
  s.log.debug({ group: g.groupId, generation: g.generationId, members: g.members.size, leader: g.leaderId, protocol: g.protocolName }, "join complete");
  for (const m of g.members.values()) {
    const reply = m.awaitingJoin;
    m.awaitingJoin = null;
    m.isNew = false;
    reply?.(joinResult(g, m));
    resetSession(s, g, m);
    g.pendingSyncMembers.add(m.memberId);
  }
  const generation = g.generationId;
  s.partition.schedule(syncKey(g.groupId), g.rebalanceTimeoutMs(), (sh) => expirePendingSync(sh, g.groupId, generation));
}

/** The rebalance timeout passed after a join completed: members that have not sent SyncGroup are removed. */
function expirePendingSync(s: GroupShard, groupId: string, generation: number): CoordinatorResult<undefined> {
  const g = s.classicGroup(groupId);
  if (!(g instanceof ClassicGroup) || g.generationId !== generation || !g.is("CompletingRebalance", "Stable") || g.pendingSyncMembers.size === 0) return none(undefined);
  const missing = [...g.pendingSyncMembers];
  g.pendingSyncMembers.clear();
  for (const id of missing) {
    const m = g.remove(id);
    s.partition.cancel(heartbeatKey(groupId, id));
    m?.awaitingSync?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
  }
  s.log.debug({ group: groupId, generation, removed: missing }, "members that did not sync within the rebalance timeout removed");
  maybePrepareRebalance(s, g, `${missing.join(", ")} did not send SyncGroup within the rebalance timeout`);
  maybeCompleteJoin(s, g);
  return none(undefined);
}

function syncReceived(s: GroupShard, g: ClassicGroup, memberId: string): void {
  if (g.pendingSyncMembers.delete(memberId) && g.pendingSyncMembers.size === 0) s.partition.cancel(syncKey(g.groupId));
}

export function sync(s: GroupShard, req: SyncRequest): CoordinatorResult<Deferred<SyncResponse>> {
  const done = (r: SyncResponse, records: CoordinatorRecord[] = []) => none({ wait: Promise.resolve(r) }, records);
  const g = s.classicGroup(req.groupId);
  if (!(g instanceof ClassicGroup) || g.is("Dead")) return done(syncError(g === "other-type" ? ErrorCode.INCONSISTENT_GROUP_PROTOCOL : ErrorCode.UNKNOWN_MEMBER_ID));
  const m = g.members.get(req.memberId);
  if (!m) return done(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
  if (req.groupInstanceId !== null && m.groupInstanceId !== req.groupInstanceId) return done(syncError(ErrorCode.FENCED_INSTANCE_ID));
  s.log.debug({ group: req.groupId, member: req.memberId, generation: req.generationId, state: g.state, leader: g.leaderId === m.memberId }, "sync received");
  if (req.generationId !== g.generationId) return done(syncError(ErrorCode.ILLEGAL_GENERATION));
  if ((req.protocolType !== null && req.protocolType !== g.protocolType) || (req.protocolName !== null && req.protocolName !== g.protocolName)) {
    return done(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  }
  if (g.is("Empty")) return done(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
  if (g.is("PreparingRebalance")) return done(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
  resetSession(s, g, m);
  syncReceived(s, g, m.memberId);
  if (g.is("Stable")) return done(syncResult(g, m));
  // CompletingRebalance: wait for the leader's assignment.
  const wait = new Promise<SyncResponse>((resolve) => {
    const earlier = m.awaitingSync;
    m.awaitingSync = (r) => {
      earlier?.(r);
      resolve(r);
    };
  });
  if (g.leaderId !== m.memberId) return none({ wait });
  const byMember = new Map(req.assignments.map((a) => [a.memberId, a.assignment]));
  for (const x of g.members.values()) x.assignment = byMember.get(x.memberId) ?? EMPTY_BYTES;
  g.transition("Stable", now(s));
  for (const x of g.members.values()) {
    const reply = x.awaitingSync;
    x.awaitingSync = null;
    if (!reply) continue;
    reply(syncResult(g, x));
    // Its session runs from the answer (Kafka's propagateAssignment), not from a sync that waited.
    resetSession(s, g, x);
  }
  return none({ wait }, [snapshot(s, g)]);
}

function syncResult(g: ClassicGroup, m: ClassicMember): SyncResponse {
  return { errorCode: ErrorCode.NONE, protocolType: g.protocolType, protocolName: g.protocolName, assignment: m.assignment };
}

export function heartbeat(s: GroupShard, req: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): CoordinatorResult<number> {
  const g = s.classicGroup(req.groupId);
  if (!(g instanceof ClassicGroup) || g.is("Dead")) return none(g === "other-type" ? ErrorCode.INCONSISTENT_GROUP_PROTOCOL : ErrorCode.UNKNOWN_MEMBER_ID);
  const m = g.members.get(req.memberId);
  if (!m) return none(ErrorCode.UNKNOWN_MEMBER_ID);
  if (req.groupInstanceId !== null && m.groupInstanceId !== req.groupInstanceId) return none(ErrorCode.FENCED_INSTANCE_ID);
  if (req.generationId !== g.generationId) {
    s.log.debug({ group: req.groupId, member: req.memberId, generation: req.generationId, current: g.generationId }, "heartbeat with an old generation");
    return none(ErrorCode.ILLEGAL_GENERATION);
  }
  if (g.is("Empty")) return none(ErrorCode.UNKNOWN_MEMBER_ID);
  resetSession(s, g, m);
  return none(g.is("PreparingRebalance") ? ErrorCode.REBALANCE_IN_PROGRESS : ErrorCode.NONE);
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string | null;
}

/** LeaveGroup: one error per member (v3+ batches them); the top-level error for an unknown group. */
export function leave(s: GroupShard, groupId: string, members: LeavingMember[]): CoordinatorResult<{ errorCode: number; members: (LeavingMember & { errorCode: number })[] }> {
  const g = s.classicGroup(groupId);
  if (!(g instanceof ClassicGroup) || g.is("Dead")) return none({ errorCode: g === "other-type" ? ErrorCode.INCONSISTENT_GROUP_PROTOCOL : ErrorCode.UNKNOWN_MEMBER_ID, members: [] });
  const out: (LeavingMember & { errorCode: number })[] = [];
  for (const lm of members) {
    let id = lm.memberId;
    if (lm.groupInstanceId !== null) {
      const current = g.staticMembers.get(lm.groupInstanceId);
      if (current === undefined) {
        out.push({ ...lm, errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
        continue;
      }
      if (id !== UNKNOWN_MEMBER && id !== current) {
        out.push({ ...lm, errorCode: ErrorCode.FENCED_INSTANCE_ID });
        continue;
      }
      id = current;
    }
    if (g.pendingMembers.delete(id)) {
      s.partition.cancel(heartbeatKey(g.groupId, id));
      out.push({ ...lm, errorCode: ErrorCode.NONE });
      continue;
    }
    if (!g.members.has(id)) {
      out.push({ ...lm, errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
      continue;
    }
    removeMember(s, g, id, `left (${lm.groupInstanceId ?? id})`);
    out.push({ ...lm, errorCode: ErrorCode.NONE });
  }
  return none({ errorCode: ErrorCode.NONE, members: out });
}

function removeMember(s: GroupShard, g: ClassicGroup, memberId: string, why: string): void {
  const m = g.remove(memberId);
  if (!m) return;
  s.partition.cancel(heartbeatKey(g.groupId, memberId));
  m.awaitingJoin?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, memberId));
  m.awaitingSync?.(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
  s.log.debug({ group: g.groupId, member: memberId, why }, "member removed");
  if (g.is("Stable", "CompletingRebalance")) maybePrepareRebalance(s, g, `${memberId} ${why}`);
  if (g.is("PreparingRebalance")) maybeCompleteJoin(s, g);
}

function resetSession(s: GroupShard, g: ClassicGroup, m: ClassicMember): void {
  s.partition.schedule(heartbeatKey(g.groupId, m.memberId), m.sessionTimeoutMs, (sh) => expireMember(sh, g.groupId, m.memberId));
}

function expireMember(s: GroupShard, groupId: string, memberId: string): CoordinatorResult<undefined> {
  const g = s.classicGroup(groupId);
  const m = g instanceof ClassicGroup ? g.members.get(memberId) : undefined;
  if (!(g instanceof ClassicGroup) || !m) return none(undefined);
  // Kafka's hasSatisfiedHeartbeat: a member parked in a JoinGroup or SyncGroup is covered by the
  // rebalance or pending-sync timeout; a new member is not (its timer was the new-member join timeout).
  if (!m.isNew && (m.awaitingJoin || m.awaitingSync)) return none(undefined);
  removeMember(s, g, memberId, m.isNew ? "new member's JoinGroup timed out" : "session timed out");
  return none(undefined);
}

function expirePending(s: GroupShard, groupId: string, memberId: string): CoordinatorResult<undefined> {
  const g = s.classicGroup(groupId);
  if (g instanceof ClassicGroup && g.pendingMembers.delete(memberId)) {
    if (g.is("PreparingRebalance")) maybeCompleteJoin(s, g);
  }
  return none(undefined);
}

/** The group's GroupMetadataValue: the last generation with its members and their assignments. */
export function snapshot(s: GroupShard, g: ClassicGroup): CoordinatorRecord {
  return groupMetadataRecord(g.groupId, {
    protocolType: g.protocolType ?? "",
    generation: g.generationId,
    protocol: g.protocolName,
    leader: g.leaderId,
    currentStateTimestamp: BigInt(g.stateTimestamp),
    members: [...g.members.values()].map((m) => ({
      memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
      rebalanceTimeout: m.rebalanceTimeoutMs, sessionTimeout: m.sessionTimeoutMs,
      subscription: g.metadataOf(m, g.protocolName ?? ""), assignment: m.assignment,
    })),
  });
}

/** The group becomes a consumer group (KIP-848 upgrade): waiting joins and syncs must rejoin; its timers stop. */
export function abandonClassicGroup(s: GroupShard, g: ClassicGroup): void {
  for (const m of g.members.values()) {
    m.awaitingJoin?.(joinError(ErrorCode.REBALANCE_IN_PROGRESS, m.memberId));
    m.awaitingSync?.(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
  }
  for (const id of [...g.members.keys(), ...g.pendingMembers]) s.partition.cancel(heartbeatKey(g.groupId, id));
  for (const key of [joinKey(g.groupId), syncKey(g.groupId)]) s.partition.cancel(key);
  s.initialDelayGroups.delete(g.groupId);
}

/** After a restart (or a downgrade): members of a Stable group get a session timer, as Kafka schedules them on load. */
export function startSessions(s: GroupShard, g: ClassicGroup): void {
  for (const m of g.members.values()) resetSession(s, g, m);
}
