/**
 * KIP-848's ConsumerGroupHeartbeat (v0–1) as steps on the group's coordinator partition: each step
 * computes records (records.ts) and the response from the current state; the runtime appends them and
 * replays them into the state (consumer-group.ts), so the state changes only through records.
 *
 * One heartbeat (Kafka's order):
 *  1. memberEpoch 0 joins (a new member, or a rejoin that drops what it had; a static member whose
 *     instance left with -2 takes over that member's subscription, target and partitions, and one
 *     whose instance is still in use gets UNRELEASED_INSTANCE_ID); -1 leaves; -2 is a static member's
 *     temporary leave (it keeps its partitions until its session expires); >0 must match the member's epoch, or its
 *     previous epoch while what it owns is within its assignment (a lost response), else
 *     FENCED_MEMBER_EPOCH; an unknown member → UNKNOWN_MEMBER_ID.
 *  2. a new member, a changed subscription (names, regex, assignor) or changed partition counts of the
 *     subscribed topics (groupMetadataHash, kept in the epoch's record) bump the group epoch; a new
 *     group starts at epoch 1 (Kafka 4.4), so its first member gets 2; a member beyond
 *     `group.consumer.max.size` is refused GROUP_MAX_SIZE_REACHED (consumerGroupFull);
 *  3. when the target assignment is older than the group epoch, the assignor computes a new one for
 *     every member, unless the last one is younger than `consumer.assignment.interval.ms`
 *     (canComputeTarget): then members reconcile toward the last target meanwhile;
 *  4. the member is reconciled toward its target: partitions it must give up are revoked first (it
 *     keeps its epoch, state UNREVOKED_PARTITIONS) and only when its heartbeat no longer reports them
 *     does it move to the new epoch; partitions still held by another member are withheld
 *     (UNRELEASED_PARTITIONS) until released. Kafka's CurrentAssignmentBuilder.
 *  5. the response carries the assignment when it changed, or when the member reported owning
 *     something else (a full heartbeat).
 * Timers: a member silent for `group.consumer.session.timeout.ms` is removed; a member that does not
 * revoke within its rebalance timeout is fenced (removed), as Kafka does.
 */
import { randomUUID } from "node:crypto";
import { ErrorCode } from "@odradek/codec";
import type { CoordinatorRecord, CoordinatorResult } from "../coordinator/coordinator-partition.js";
import { nextAssignmentEpochs, toRecordPartitions, zeroAssignmentEpochs } from "./assignment-epochs.js";
import { ASSIGNORS, assign } from "./assignors.js";
import { ConsumerGroup, INITIAL_GROUP_EPOCH, MemberState, fromAssignment, sameAssignment, toAssignment } from "./consumer-group.js";
import type { Assignment, ConsumerMember } from "./consumer-group.js";
import type { GroupShard } from "./group-shard.js";
import { consumerAssignmentIntervalMs, consumerHeartbeatIntervalMs, consumerSessionTimeoutMs } from "./group-configs.js";
import { metadataHash } from "../share/share-group-records.js";
import { consumerGroupFromClassic, maybeDowngrade } from "./group-migration.js";
import { consumerGroupRecords as R } from "./records.js";

export interface HeartbeatRequest {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: { topicId: string; partitions: number[] }[] | null;
  clientId: string;
  clientHost: string;
  apiVersion: number;
}

export interface HeartbeatResponse {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: { topicId: string; partitions: number[] }[] } | null;
}

const LEAVE = -1;
const STATIC_LEAVE = -2;

const fail = (errorCode: number, errorMessage: string, memberId: string | null = null): CoordinatorResult<HeartbeatResponse> =>
  ({ records: [], response: { errorCode, errorMessage, memberId, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null } });

const sessionKey = (g: string, m: string) => `cg-session:${g}:${m}`;
const revokeKey = (g: string, m: string) => `cg-revoke:${g}:${m}`;
/** A classic member's JoinGroup and SyncGroup deadlines (classic-in-consumer-group.ts). */
export const joinKey = (g: string, m: string) => `cg-join:${g}:${m}`;
export const syncKey = (g: string, m: string) => `cg-sync:${g}:${m}`;

function validate(s: GroupShard, req: HeartbeatRequest): string | null {
  if (req.groupId === "") return "GroupId can't be empty.";
  if (req.apiVersion >= 1 && req.memberId === "") return "MemberId can't be empty.";
  if (req.memberEpoch === 0) {
    if (req.rebalanceTimeoutMs === -1) return "RebalanceTimeoutMs must be provided in first request.";
    if (req.topicPartitions === null || req.topicPartitions.length > 0) return "TopicPartitions must be empty when (re-)joining.";
    if (req.subscribedTopicNames === null && req.subscribedTopicRegex === null) return "SubscribedTopicNames or SubscribedTopicRegex must be set in first request.";
  } else if (req.memberEpoch < STATIC_LEAVE) return `MemberEpoch is invalid: ${req.memberEpoch}`;
  if (req.serverAssignor !== null && !(ASSIGNORS as readonly string[]).includes(req.serverAssignor)) return `ServerAssignor ${req.serverAssignor} is not supported. Supported assignors: ${ASSIGNORS.join(", ")}.`;
  if (req.subscribedTopicRegex !== null) {
    try {
      new RegExp(req.subscribedTopicRegex);
    } catch {
      return `SubscribedTopicRegex ${req.subscribedTopicRegex} is not a valid regular expression.`;
    }
  }
  void s;
  return null;
}

/**
 * The names of the topics a member subscribes to: its names (existing or not) and the topics its regex
 * matches (like Kafka, an internal topic the pattern matches is included; clients filter it if they wish).
 */
export function subscribedTopicNames(s: GroupShard, m: Pick<ConsumerMember, "subscribedTopicNames" | "subscribedTopicRegex">): string[] {
  const out = [...m.subscribedTopicNames];
  if (m.subscribedTopicRegex !== null) {
    const re = new RegExp(`^(?:${m.subscribedTopicRegex})$`);
    for (const t of s.topics.all()) if (re.test(t.name)) out.push(t.name);
  }
  return out;
}

/** The member's subscription as topic ids with their partition counts. */
function subscribedTopics(s: GroupShard, m: Pick<ConsumerMember, "subscribedTopicNames" | "subscribedTopicRegex">): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of subscribedTopicNames(s, m)) {
    const t = s.topics.byName(name);
    if (t) out.set(t.id, t.partitions);
  }
  return out;
}

/**
 * The hash of the subscribed topics' metadata (ids and partition counts) over `members`, kept in the
 * group's ConsumerGroupMetadata record so a restart does not bump the epoch: 64-bit FNV-1a of
 * "id:partitions,..." (share-group-records.ts), 0 when nothing subscribed exists (as Kafka's hash).
 * Kafka hashes with XXH3 over more fields; a data directory moved between the two costs one bump.
 */
export function groupMetadataHash(s: GroupShard, members: Iterable<ConsumerMember>): bigint {
  const all = new Map<string, number>();
  for (const m of members) for (const [id, n] of subscribedTopics(s, m)) all.set(id, n);
  const key = [...all].sort(([a], [b]) => (a < b ? -1 : 1)).map(([id, n]) => `${id}:${n}`).join(",");
  return key === "" ? 0n : metadataHash(key);
}

/**
 * Kafka's canComputeNextTargetAssignment: a new target is computed at once when the last one has no
 * timestamp (a new, upgraded or emptied group) or the interval is 0, else only once
 * `consumer.assignment.interval.ms` has passed since the last one. Meanwhile the group epoch runs
 * ahead (state Assigning) and members reconcile toward the last target at its epoch: a new member
 * gets the assignment epoch and nothing. No timer: the next heartbeat or JoinGroup after the interval
 * computes it.
 */
function canComputeTarget(s: GroupShard, g: ConsumerGroup | undefined, groupId: string): boolean {
  if (!g || g.assignmentTimestamp === 0) return true;
  const interval = consumerAssignmentIntervalMs(s.config, groupId);
  return interval === 0 || s.clock.now() >= g.assignmentTimestamp + interval;
}

/**
 * Kafka's throwIfConsumerGroupIsFull (`group.consumer.max.size`): a member that is neither in the group
 * nor takes over a static member's instance is refused once the group is at its maximum.
 */
export function consumerGroupFull(s: GroupShard, g: ConsumerGroup | undefined, memberId: string, instanceId: string | null): string | null {
  const max = s.config.consumerMaxSize ?? Number.POSITIVE_INFINITY;
  if (!g || g.members.size < max) return null;
  if (instanceId !== null && [...g.members.values()].some((m) => m.instanceId === instanceId)) return null;
  if (memberId !== "" && g.members.has(memberId)) return null;
  return `The consumer group has reached its maximum capacity of ${max} members.`;
}

export function consumerHeartbeat(s: GroupShard, req: HeartbeatRequest): CoordinatorResult<HeartbeatResponse> {
  const invalid = validate(s, req);
  if (invalid) return fail(ErrorCode.INVALID_REQUEST, invalid, req.memberId || null);
  const records: CoordinatorRecord[] = [];
  let g = s.consumerGroups.get(req.groupId);
  const classic = s.groups.get(req.groupId);
  if (!g && classic) {
    // A classic group of this id: an empty one is replaced, one with members is upgraded (group-migration.ts).
    const converted = consumerGroupFromClassic(s, classic, req, records);
    if (converted !== null && !(converted instanceof ConsumerGroup)) return fail(converted.errorCode, converted.message, req.memberId || null);
    g = converted ?? undefined;
  }
  if (req.memberEpoch === LEAVE || req.memberEpoch === STATIC_LEAVE) return leaveStep(s, g, req);
  const full = consumerGroupFull(s, g, req.memberId, req.instanceId);
  if (full) return fail(ErrorCode.GROUP_MAX_SIZE_REACHED, full, req.memberId || null);
  if (!g && req.memberEpoch !== 0) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Group ${req.groupId} has no member ${req.memberId}.`, req.memberId);
  // A working copy of the group's state: records describe the changes, replay applies them after.
  const memberId = req.memberId === "" ? randomUUID() : req.memberId;
  let old = g?.members.get(memberId);
  let member: ConsumerMember;
  /** The target of a static member this join replaces (it moves to the new member id). */
  let inheritedTarget: Assignment | undefined;
  let replaced: string | null = null;
  if (req.memberEpoch === 0) {
    const staticOld = req.instanceId === null ? undefined : [...(g?.members.values() ?? [])].find((m) => m.instanceId === req.instanceId && m.memberId !== memberId);
    if (staticOld) {
      // KIP-345 with KIP-848: the instance's previous member must have left with -2 (a temporary
      // leave) unless it is a classic member; the new member id takes over its subscription, target and partitions.
      if (staticOld.memberEpoch !== STATIC_LEAVE && staticOld.classic === null) {
        return fail(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${staticOld.memberId} with instance id ${req.instanceId} is not released: it must leave with epoch -2 first.`, memberId);
      }
      records.push(...removeRecords(s, g!, staticOld.memberId));
      replaced = staticOld.memberId;
      inheritedTarget = g!.target.get(staticOld.memberId);
      old = staticOld;
      member = { ...staticOld, memberId, memberEpoch: 0, previousMemberEpoch: 0, pendingRevocation: new Map(), clientId: req.clientId, clientHost: req.clientHost, rebalanceTimeoutMs: req.rebalanceTimeoutMs, classic: null };
    } else {
      member = {
        memberId, instanceId: req.instanceId, rackId: req.rackId, clientId: req.clientId, clientHost: req.clientHost,
        subscribedTopicNames: old?.subscribedTopicNames ?? [], subscribedTopicRegex: old?.subscribedTopicRegex ?? null,
        rebalanceTimeoutMs: req.rebalanceTimeoutMs, serverAssignor: old?.serverAssignor ?? null,
        memberEpoch: 0, previousMemberEpoch: 0, state: MemberState.STABLE, assigned: new Map(), pendingRevocation: new Map(), classic: null,
      };
    }
  } else {
    if (!old) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Group ${req.groupId} has no member ${memberId}.`, memberId);
    const owned = req.topicPartitions === null ? null : toAssignment(req.topicPartitions);
    if (req.memberEpoch !== old.memberEpoch && !(req.memberEpoch === old.previousMemberEpoch && owned !== null && within(owned, old.assigned))) {
      return fail(ErrorCode.FENCED_MEMBER_EPOCH, `The member ${memberId} sent epoch ${req.memberEpoch}; its epoch is ${old.memberEpoch}.`, memberId);
    }
    member = { ...old, assigned: old.assigned, pendingRevocation: old.pendingRevocation, clientId: req.clientId, clientHost: req.clientHost, classic: null };
    if (req.rebalanceTimeoutMs !== -1) member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    if (req.rackId !== null) member.rackId = req.rackId;
  }
  if (req.subscribedTopicNames !== null) member.subscribedTopicNames = [...req.subscribedTopicNames].sort();
  if (req.subscribedTopicRegex !== null) member.subscribedTopicRegex = req.subscribedTopicRegex === "" ? null : req.subscribedTopicRegex;
  if (req.serverAssignor !== null) member.serverAssignor = req.serverAssignor;

  const owned = req.topicPartitions === null ? null : toAssignment(req.topicPartitions);
  const next = updateMember(s, { g, groupId: req.groupId, old, member, replaced, inheritedTarget, joining: req.memberEpoch === 0, owned }, records).member;
  // Timers.
  scheduleSession(s, req.groupId, next);
  if (next.state === MemberState.UNREVOKED_PARTITIONS) {
    if (!s.partition.hasTimer(revokeKey(req.groupId, memberId))) s.partition.schedule(revokeKey(req.groupId, memberId), Math.max(0, next.rebalanceTimeoutMs), (sh) => expire(sh, req.groupId, memberId, "did not revoke its partitions within its rebalance timeout"));
  } else s.partition.cancel(revokeKey(req.groupId, memberId));
  const sendAssignment = req.memberEpoch === 0 || !sameAssignment(next.assigned, member.assigned) || (owned !== null && !sameAssignment(owned, next.assigned));
  return {
    records,
    response: {
      errorCode: ErrorCode.NONE, errorMessage: null, memberId, memberEpoch: next.memberEpoch, heartbeatIntervalMs: consumerHeartbeatIntervalMs(s.config, req.groupId),
      assignment: sendAssignment ? { topicPartitions: fromAssignment(next.assigned) } : null,
    },
  };
}

/** One member's change, as a ConsumerGroupHeartbeat or a classic member's JoinGroup makes it. */
export interface MemberChange {
  g: ConsumerGroup | undefined;
  groupId: string;
  /** The member before the request (undefined: a new member). */
  old: ConsumerMember | undefined;
  /** The member with the request's subscription and metadata applied. */
  member: ConsumerMember;
  /** A static member this one replaces, and the target it inherits. */
  replaced: string | null;
  inheritedTarget: Assignment | undefined;
  /** The member (re)joins (epoch 0): it always gets a new member epoch record. */
  joining: boolean;
  /** What the member reports owning (null: not reported). */
  owned: Assignment | null;
  /** Leave the target as it is (a downgrade on replacement: Kafka computes none then). */
  keepTarget?: boolean;
  /**
   * "unless-stale": the member is not reconciled (no current-assignment record; returned as given)
   * when the target is older than the group epoch.
   */
  reconcile?: "unless-stale";
}

/**
 * Steps 2–4 of a heartbeat for one member: its subscription record (when changed), a group epoch bump,
 * a new target assignment when the target is older than the group epoch, and the member reconciled
 * toward its target. Returns the reconciled member and the group's epochs after the change; the
 * records are appended to `records`.
 */
export function updateMember(s: GroupShard, c: MemberChange, records: CoordinatorRecord[]): { member: ConsumerMember; groupEpoch: number; assignmentEpoch: number } {
  const { g, groupId, old, member, replaced, inheritedTarget } = c;
  const memberId = member.memberId;
  const subscriptionChanged = !old || (c.joining && replaced === null) || old.subscribedTopicRegex !== member.subscribedTopicRegex || old.serverAssignor !== member.serverAssignor
    || old.subscribedTopicNames.join("\0") !== member.subscribedTopicNames.join("\0") || old.instanceId !== member.instanceId || old.rackId !== member.rackId || old.rebalanceTimeoutMs !== member.rebalanceTimeoutMs;
  const members = new Map(g?.members ?? []);
  if (replaced !== null) members.delete(replaced);
  members.set(memberId, member);
  if (replaced !== null) {
    // The replacing member's records: its subscription, and the target it inherits.
    records.push(R.member(groupId, memberId, memberMetadataValue(member)));
    if (inheritedTarget) records.push(R.target(groupId, memberId, { topicPartitions: fromAssignment(inheritedTarget) }));
  }
  let groupEpoch = g?.groupEpoch ?? INITIAL_GROUP_EPOCH;
  const hash = groupMetadataHash(s, members.values());
  if (subscriptionChanged || hash !== (g?.metadataHash ?? 0n)) {
    if (subscriptionChanged) records.push(R.member(groupId, memberId, memberMetadataValue(member)));
    groupEpoch++;
    records.push(R.metadata(groupId, groupEpoch, hash));
  } else if (old && !sameClassicMetadata(old, member)) {
    // A classic member's new session timeout or protocols: kept without a rebalance.
    records.push(R.member(groupId, memberId, memberMetadataValue(member)));
  }
  // Target assignment.
  let assignmentEpoch = g?.assignmentEpoch ?? INITIAL_GROUP_EPOCH;
  let targets = new Map(g?.target ?? []);
  if (replaced !== null) {
    targets.delete(replaced);
    if (inheritedTarget) targets.set(memberId, inheritedTarget);
  }
  if (assignmentEpoch < groupEpoch && !c.keepTarget && canComputeTarget(s, g, groupId)) {
    const assignor = member.serverAssignor ?? [...members.values()].find((m) => m.serverAssignor !== null)?.serverAssignor ?? "uniform";
    targets = assign(assignor, {
      members: [...members.values()].map((m) => ({ memberId: m.memberId, topics: [...subscribedTopics(s, m).keys()] })),
      partitions: new Map([...members.values()].flatMap((m) => [...subscribedTopics(s, m)])),
      previous: g?.target ?? new Map(),
    });
    for (const [id, t] of targets) if (!g?.target.has(id) || !sameAssignment(g.target.get(id)!, t)) records.push(R.target(groupId, id, { topicPartitions: fromAssignment(t) }));
    assignmentEpoch = groupEpoch;
    records.push(R.targetMetadata(groupId, assignmentEpoch, s.clock.now()));
  }
  if (c.reconcile === "unless-stale" && assignmentEpoch < groupEpoch) return { member, groupEpoch, assignmentEpoch };
  // Reconcile this member.
  const next = reconcile(member, targets.get(memberId) ?? new Map(), assignmentEpoch, c.owned, (t, p) => partitionHeld(members, memberId, t, p));
  const changed = next.memberEpoch !== member.memberEpoch || next.state !== member.state || !sameAssignment(next.assigned, member.assigned) || !sameAssignment(next.pendingRevocation, member.pendingRevocation) || c.joining;
  if (changed) records.push(R.current(groupId, memberId, currentValue({ ...next, assignmentEpochs: nextAssignmentEpochs(member, next) })));
  return { member: next, groupEpoch, assignmentEpoch };
}

function sameClassicMetadata(a: ConsumerMember, b: ConsumerMember): boolean {
  if (a.classic === null || b.classic === null) return a.classic === b.classic;
  const x = a.classic.supportedProtocols;
  const y = b.classic.supportedProtocols;
  return a.classic.sessionTimeoutMs === b.classic.sessionTimeoutMs && x.length === y.length && x.every((p, i) => p.name === y[i]!.name && p.metadata.equals(y[i]!.metadata));
}

function within(a: Assignment, b: Assignment): boolean {
  for (const [t, ps] of a) for (const p of ps) if (!b.get(t)?.has(p)) return false;
  return true;
}

function partitionHeld(members: Map<string, ConsumerMember>, except: string, topicId: string, p: number): boolean {
  for (const m of members.values()) {
    if (m.memberId === except) continue;
    if (m.assigned.get(topicId)?.has(p) || m.pendingRevocation.get(topicId)?.has(p)) return true;
  }
  return false;
}

/** Kafka's CurrentAssignmentBuilder for one member. */
export function reconcile(m: ConsumerMember, target: Assignment, targetEpoch: number, owned: Assignment | null, held: (t: string, p: number) => boolean): ConsumerMember {
  const ownsAny = (revoked: Assignment) => {
    if (owned === null) return true;
    for (const [t, ps] of revoked) for (const p of ps) if (owned.get(t)?.has(p)) return true;
    return false;
  };
  const next = (epoch: number): ConsumerMember => {
    const assigned: Assignment = new Map();
    const revoke: Assignment = new Map();
    const pending: Assignment = new Map();
    let unreleased = false;
    for (const t of new Set([...target.keys(), ...m.assigned.keys()])) {
      const tg = target.get(t) ?? new Set<number>();
      const cur = m.assigned.get(t) ?? new Set<number>();
      const keep = new Set([...cur].filter((p) => tg.has(p)));
      const rv = new Set([...cur].filter((p) => !keep.has(p)));
      const add = new Set([...tg].filter((p) => !keep.has(p)));
      for (const p of [...add]) if (held(t, p)) {
        add.delete(p);
        unreleased = true;
      }
      if (keep.size) assigned.set(t, keep);
      if (rv.size) revoke.set(t, rv);
      if (add.size) pending.set(t, add);
    }
    const base = { ...m, previousMemberEpoch: m.memberEpoch };
    if (revoke.size > 0 && ownsAny(revoke)) return { ...base, state: MemberState.UNREVOKED_PARTITIONS, memberEpoch: epoch, assigned, pendingRevocation: revoke };
    for (const [t, ps] of pending) {
      const s = assigned.get(t) ?? new Set<number>();
      for (const p of ps) s.add(p);
      assigned.set(t, s);
    }
    return { ...base, state: unreleased ? MemberState.UNRELEASED_PARTITIONS : MemberState.STABLE, memberEpoch: targetEpoch, assigned, pendingRevocation: new Map() };
  };
  switch (m.state) {
    case MemberState.STABLE:
      return m.memberEpoch !== targetEpoch ? next(m.memberEpoch) : m;
    case MemberState.UNREVOKED_PARTITIONS:
      return ownsAny(m.pendingRevocation) ? m : next(m.memberEpoch + 1);
    default:
      return next(m.memberEpoch);
  }
}

export function memberMetadataValue(m: ConsumerMember) {
  return {
    instanceId: m.instanceId, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost,
    subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex,
    rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: m.serverAssignor, classicMemberMetadata: m.classic,
  };
}

export function currentValue(m: ConsumerMember) {
  return {
    memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, state: m.state,
    assignedPartitions: toRecordPartitions(m.assigned, m),
    partitionsPendingRevocation: toRecordPartitions(m.pendingRevocation, m),
  };
}

/** Stops a member's timers: session, revocation, and a classic member's join and sync deadlines. */
export function cancelMemberTimers(s: GroupShard, groupId: string, memberId: string): void {
  for (const key of [sessionKey, revokeKey, joinKey, syncKey]) s.partition.cancel(key(groupId, memberId));
}

/** Records that remove a member (its three records); its timers stop. */
export function removeRecords(s: GroupShard, g: ConsumerGroup, memberId: string): CoordinatorRecord[] {
  cancelMemberTimers(s, g.groupId, memberId);
  return [R.current(g.groupId, memberId, null), R.target(g.groupId, memberId, null), R.member(g.groupId, memberId, null)];
}

/**
 * Removes a member (leave, session expiry, a missed revocation, join or sync deadline): its records
 * and a group epoch bump, or, when the members left all use the classic protocol and the policy
 * allows it, the downgrade of the whole group to a classic group (group-migration.ts; state changed
 * in place, so `replay: false`). Kafka's consumerGroupFenceMember.
 */
export function fenceMember<T>(s: GroupShard, g: ConsumerGroup, memberId: string, why: string, response: T): CoordinatorResult<T> {
  const down = maybeDowngrade(s, g, memberId, why);
  if (down) return { records: down, response, replay: false };
  return { records: removeMembersRecords(s, g, [memberId]), response };
}

/**
 * Kafka's consumerGroupFenceMembers without a downgrade: each member's records, then the group epoch
 * bumped with the hash of what the others subscribe to; when no member is left, the target epoch
 * moves to it with timestamp 0 (the next member's target is computed at once).
 */
export function removeMembersRecords(s: GroupShard, g: ConsumerGroup, memberIds: string[]): CoordinatorRecord[] {
  const records = memberIds.flatMap((id) => removeRecords(s, g, id));
  const left = [...g.members.values()].filter((m) => !memberIds.includes(m.memberId));
  const epoch = g.groupEpoch + 1;
  records.push(R.metadata(g.groupId, epoch, groupMetadataHash(s, left)));
  if (left.length === 0) records.push(R.targetMetadata(g.groupId, epoch, 0));
  return records;
}

function leaveStep(s: GroupShard, g: ConsumerGroup | undefined, req: HeartbeatRequest): CoordinatorResult<HeartbeatResponse> {
  let memberId = req.memberId;
  if (g && req.instanceId !== null) memberId = [...g.members.values()].find((m) => m.instanceId === req.instanceId)?.memberId ?? memberId;
  if (!g || !g.members.has(memberId)) return fail(ErrorCode.UNKNOWN_MEMBER_ID, `Group ${req.groupId} has no member ${memberId}.`, memberId);
  const m = g.members.get(memberId)!;
  if (req.memberEpoch === STATIC_LEAVE && m.instanceId !== null) {
    // A static member's temporary leave: it keeps its partitions (epoch -2) until it comes back under
    // a new member id or its session times out; the group does not rebalance meanwhile.
    const leaving = { ...m, memberEpoch: STATIC_LEAVE, pendingRevocation: new Map() };
    leaving.assignmentEpochs = zeroAssignmentEpochs(leaving);
    return { records: [R.current(g.groupId, memberId, currentValue(leaving))], response: { errorCode: ErrorCode.NONE, errorMessage: null, memberId, memberEpoch: STATIC_LEAVE, heartbeatIntervalMs: 0, assignment: null } };
  }
  return fenceMember(s, g, memberId, "left the group", { errorCode: ErrorCode.NONE, errorMessage: null, memberId, memberEpoch: req.memberEpoch, heartbeatIntervalMs: 0, assignment: null });
}

/** A timer's removal of a member (it is gone already when an earlier step removed it). */
export function expire(s: GroupShard, groupId: string, memberId: string, why: string): CoordinatorResult<undefined> {
  const g = s.consumerGroups.get(groupId);
  if (!g || !g.members.has(memberId)) return { records: [], response: undefined };
  s.log.info({ group: groupId, member: memberId, why }, "consumer group member removed");
  return fenceMember(s, g, memberId, why, undefined);
}

/** (Re)starts a member's session: `group.consumer.session.timeout.ms`, or a classic member's own session timeout. */
export function scheduleSession(s: GroupShard, groupId: string, m: ConsumerMember): void {
  const ms = m.classic?.sessionTimeoutMs ?? consumerSessionTimeoutMs(s.config, groupId);
  s.partition.schedule(sessionKey(groupId, m.memberId), ms, (sh) => expire(sh, groupId, m.memberId, "session timed out"));
}

/** After load: session timers for every member, as Kafka schedules them when it loads a group. */
export function startConsumerSessions(s: GroupShard, g: ConsumerGroup): void {
  for (const m of g.members.values()) scheduleSession(s, g.groupId, m);
}
