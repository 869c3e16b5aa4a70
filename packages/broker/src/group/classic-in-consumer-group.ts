/**
 * The classic protocol's requests (JoinGroup, SyncGroup, Heartbeat, LeaveGroup) routed by group type,
 * and served by a consumer group for its classic members (KIP-848's migration; Kafka's
 * classicGroupJoinToConsumerGroup and siblings). The handlers call these; a classic group goes on to
 * classic-protocol.ts.
 *
 * Routing: a non-empty consumer group takes the request; an empty consumer group is deleted
 * (tombstones) by a JoinGroup, which then creates a classic group (Kafka's maybeDeleteEmptyConsumerGroup).
 *
 * A classic member inside a consumer group (rules as Kafka's):
 *  - JoinGroup: the `consumer` protocol type with a protocol every classic member supports, else
 *    INCONSISTENT_GROUP_PROTOCOL; v4+ without a member id → MEMBER_ID_REQUIRED with a new id (nothing
 *    kept pending). The subscription (topics, rack) comes from the first protocol's metadata and the
 *    owned partitions from its ownedPartitions; the member is then updated like a heartbeat (epoch bump
 *    on a new subscription, target assignment, reconciliation: partitions it still owns and must give
 *    up are revoked first). The response (after the records are written) carries generation = the
 *    member epoch, protocol = its first protocol, no leader and no member list: every member is a
 *    follower and the broker assigns. Its session timeout is the JoinGroup's; it must send SyncGroup
 *    within its rebalance timeout or it is removed.
 *  - SyncGroup: generation = member epoch (ILLEGAL_GENERATION), protocol type/name as joined
 *    (INCONSISTENT_GROUP_PROTOCOL); when the group epoch moved past the member (and it is not revoking)
 *    → REBALANCE_IN_PROGRESS; else its assigned partitions, serialized in its subscription's version.
 *  - Heartbeat: REBALANCE_IN_PROGRESS when the group epoch moved past its epoch, when it must revoke,
 *    or when partitions it waited for are free; it must then rejoin within its rebalance timeout or
 *    it is removed.
 *  - LeaveGroup: the member is removed and the group epoch bumped; when only classic members stay (a
 *    group that was not downgraded before, e.g. over `group.max.size`), one leaving member downgrades
 *    it as a consumer member's leave does (several in one request: not checked).
 * A member of the other protocol named in these requests → UNKNOWN_MEMBER_ID.
 * Static members (KIP-345): a JoinGroup without member id for an instance id in use replaces that
 * member at once (its partitions and target move to the new member id); with a member id, it must be
 * the instance's (FENCED_INSTANCE_ID) and known (UNKNOWN_MEMBER_ID).
 * When the replaced member was the last consumer-protocol member, the group is downgraded at once
 * (group-migration.ts) and stays Stable: the new member's SyncGroup gets the replaced member's target.
 */
import { randomUUID } from "node:crypto";
import { ErrorCode } from "@odradek/codec";
import type { CoordinatorRecord, CoordinatorResult } from "../coordinator/coordinator-partition.js";
import type { JoinResponse, SyncResponse } from "./classic-group.js";
import { heartbeat, join, joinError, leave, sync, syncError } from "./classic-protocol.js";
import type { Deferred, JoinRequest, LeavingMember, SyncRequest } from "./classic-protocol.js";
import { MemberState } from "./consumer-group.js";
import type { ConsumerGroup, ConsumerMember } from "./consumer-group.js";
import { consumerGroupFull, expire, joinKey, removeMembersRecords, removeRecords, scheduleSession, syncKey, updateMember } from "./consumer-protocol.js";
import { canDowngrade, embeddedVersion, maybeDowngrade, readSubscription, toIds, writeAssignment } from "./group-migration.js";
import type { GroupShard } from "./group-shard.js";
import { consumerGroupRecords as R } from "./records.js";

const CONSUMER_PROTOCOL_TYPE = "consumer";
const later = <T>(response: T): CoordinatorResult<Deferred<T>> => ({ records: [], response: { wait: Promise.resolve(response) } });

export function joinGroup(s: GroupShard, req: JoinRequest): CoordinatorResult<Deferred<JoinResponse>> {
  const cg = s.consumerGroups.get(req.groupId);
  const validSession = req.sessionTimeoutMs >= s.config.minSessionTimeoutMs && req.sessionTimeoutMs <= s.config.maxSessionTimeoutMs;
  if (cg && validSession) {
    if (cg.members.size > 0) return joinConsumerGroup(s, cg, req);
    // An empty consumer group gives way to the classic group this join creates (its offsets stay).
    s.pendingRecords.push(R.targetMetadata(cg.groupId, null), R.metadata(cg.groupId, null));
    s.consumerGroups.delete(cg.groupId);
    s.onRollback(() => s.consumerGroups.set(cg.groupId, cg));
  }
  return join(s, req);
}

export function syncGroup(s: GroupShard, req: SyncRequest): CoordinatorResult<Deferred<SyncResponse>> {
  const g = s.consumerGroups.get(req.groupId);
  if (!g) return sync(s, req);
  if (g.members.size === 0) return later(syncError(ErrorCode.UNKNOWN_MEMBER_ID));
  const m = classicMember(g, req.memberId, req.groupInstanceId);
  if (typeof m === "number") return later(syncError(m));
  if (req.generationId !== m.memberEpoch) return later(syncError(ErrorCode.ILLEGAL_GENERATION));
  const protocol = m.classic!.supportedProtocols[0];
  if ((req.protocolType !== null && req.protocolType !== CONSUMER_PROTOCOL_TYPE) || (req.protocolName !== null && req.protocolName !== protocol?.name)) {
    return later(syncError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
  }
  if (g.groupEpoch > m.memberEpoch && m.state !== MemberState.UNREVOKED_PARTITIONS) {
    scheduleJoinTimeout(s, g.groupId, m);
    return later(syncError(ErrorCode.REBALANCE_IN_PROGRESS));
  }
  s.partition.cancel(syncKey(g.groupId, m.memberId));
  scheduleSession(s, g.groupId, m);
  const assignment = writeAssignment(s, m.assigned, embeddedVersion(protocol?.metadata ?? Buffer.alloc(0)));
  return later({ errorCode: ErrorCode.NONE, protocolType: req.protocolType, protocolName: req.protocolName, assignment });
}

export function heartbeatGroup(s: GroupShard, req: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): CoordinatorResult<number> {
  const g = s.consumerGroups.get(req.groupId);
  if (!g) return heartbeat(s, req);
  const m = classicMember(g, req.memberId, req.groupInstanceId);
  if (typeof m === "number") return { records: [], response: m };
  if (req.generationId !== m.memberEpoch) return { records: [], response: ErrorCode.ILLEGAL_GENERATION };
  scheduleSession(s, g.groupId, m);
  // The member must rejoin: the group moved on, it must revoke, or what it waited for is free.
  const rejoin = m.memberEpoch < g.groupEpoch || m.state === MemberState.UNREVOKED_PARTITIONS || (m.state === MemberState.UNRELEASED_PARTITIONS && !g.waitingOnUnreleased(m));
  if (!rejoin) return { records: [], response: ErrorCode.NONE };
  scheduleJoinTimeout(s, g.groupId, m);
  return { records: [], response: ErrorCode.REBALANCE_IN_PROGRESS };
}

export function leaveGroup(s: GroupShard, groupId: string, members: LeavingMember[]): ReturnType<typeof leave> {
  const g = s.consumerGroups.get(groupId);
  if (!g) return leave(s, groupId, members);
  const leaving: string[] = [];
  const out = members.map((lm) => {
    const m = classicMember(g, lm.memberId, lm.groupInstanceId, true);
    if (typeof m === "number") return { ...lm, errorCode: m };
    s.log.info({ group: groupId, member: m.memberId, instance: lm.groupInstanceId }, "classic member left the consumer group");
    if (!leaving.includes(m.memberId)) leaving.push(m.memberId);
    return { ...lm, memberId: m.memberId, errorCode: ErrorCode.NONE };
  });
  const response = { errorCode: ErrorCode.NONE, members: out };
  // Kafka's consumerGroupFenceMembers: when only classic members stay, the group is downgraded.
  const down = leaving.length === 1 ? maybeDowngrade(s, g, leaving[0]!, "left the group (LeaveGroup)") : null;
  if (down) return { records: down, response, replay: false };
  return { records: leaving.length > 0 ? removeMembersRecords(s, g, leaving) : [], response };
}

/** Kafka's validateConsumerGroupMember + throwIfMemberDoesNotUseClassicProtocol: the member, or an error code. */
function classicMember(g: ConsumerGroup, memberId: string, instanceId: string | null, anyMemberIdWithInstance = false): ConsumerMember | number {
  let m: ConsumerMember | undefined;
  if (instanceId === null) m = g.members.get(memberId);
  else {
    m = [...g.members.values()].find((x) => x.instanceId === instanceId);
    // LeaveGroup may name a static member by instance id alone (an admin removal).
    if (m && m.memberId !== memberId && !(anyMemberIdWithInstance && memberId === "")) return ErrorCode.FENCED_INSTANCE_ID;
  }
  if (!m || m.classic === null) return ErrorCode.UNKNOWN_MEMBER_ID;
  return m;
}

function scheduleJoinTimeout(s: GroupShard, groupId: string, m: ConsumerMember): void {
  if (s.partition.hasTimer(joinKey(groupId, m.memberId))) return;
  s.partition.schedule(joinKey(groupId, m.memberId), Math.max(0, m.rebalanceTimeoutMs), (sh) => expire(sh, groupId, m.memberId, "did not rejoin within its rebalance timeout"));
}

/** Every classic member supports one of `protocols` (Kafka's ConsumerGroup.supportsClassicProtocols). */
function supportsClassicProtocols(g: ConsumerGroup, protocolType: string, protocols: readonly { name: string }[]): boolean {
  if (protocolType !== CONSUMER_PROTOCOL_TYPE || protocols.length === 0) return false;
  const classic = [...g.members.values()].filter((m) => m.classic !== null);
  return protocols.some((p) => classic.every((m) => m.classic!.supportedProtocols.some((x) => x.name === p.name)));
}

function joinConsumerGroup(s: GroupShard, g: ConsumerGroup, req: JoinRequest): CoordinatorResult<Deferred<JoinResponse>> {
  const unknown = req.memberId === "";
  const memberId = unknown ? randomUUID() : req.memberId;
  const full = consumerGroupFull(s, g, memberId, req.groupInstanceId);
  if (full) return later(joinError(ErrorCode.GROUP_MAX_SIZE_REACHED, memberId));
  if (!supportsClassicProtocols(g, req.protocolType, req.protocols)) return later(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId));
  // KIP-394: a dynamic member without an id gets one and must come back with it.
  if (unknown && req.groupInstanceId === null && req.apiVersion >= 4) return later(joinError(ErrorCode.MEMBER_ID_REQUIRED, memberId));
  let sub: ReturnType<typeof readSubscription>;
  try {
    sub = readSubscription(req.protocols[0]!.metadata);
  } catch {
    return later(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, memberId));
  }
  const records: CoordinatorRecord[] = [];
  // A member id the group does not know (the one MEMBER_ID_REQUIRED handed out) joins as a new member.
  let old = g.members.get(memberId);
  let base = old;
  let replaced: string | null = null;
  /** Kafka's validateOnlineDowngradeWithReplacedMember: replacing the last consumer-protocol member downgrades the group. */
  let downgrade = false;
  if (req.groupInstanceId !== null) {
    const holder = [...g.members.values()].find((m) => m.instanceId === req.groupInstanceId);
    if (!unknown && holder?.memberId !== memberId) return later(joinError(holder ? ErrorCode.FENCED_INSTANCE_ID : ErrorCode.UNKNOWN_MEMBER_ID, memberId));
    if (unknown && holder) {
      // KIP-345: the instance's previous member (of either protocol) is replaced at once; the new member
      // id takes over its subscription, target and partitions (Kafka's replaceMember).
      records.push(...removeRecords(s, g, holder.memberId));
      replaced = holder.memberId;
      downgrade = canDowngrade(s, g, holder.memberId, g.members.size, true);
      old = holder;
      base = { ...holder, memberId, memberEpoch: 0, previousMemberEpoch: 0, pendingRevocation: new Map() };
    }
  }
  const member: ConsumerMember = {
    ...(base ?? {
      memberId, instanceId: null, rackId: null, serverAssignor: null, subscribedTopicRegex: null,
      memberEpoch: 0, previousMemberEpoch: 0, state: MemberState.STABLE, assigned: new Map(), pendingRevocation: new Map(),
    }),
    instanceId: req.groupInstanceId ?? base?.instanceId ?? null, rackId: sub.rackId ?? base?.rackId ?? null,
    rebalanceTimeoutMs: req.rebalanceTimeoutMs, clientId: req.clientId, clientHost: req.clientHost, subscribedTopicNames: [...sub.topics].sort(),
    classic: { sessionTimeoutMs: req.sessionTimeoutMs, supportedProtocols: req.protocols },
  };
  const owned = toIds(s, sub.ownedPartitions);
  const inheritedTarget = replaced === null ? undefined : g.target.get(replaced);
  const change = { g, groupId: g.groupId, old, member, replaced, inheritedTarget, joining: !g.members.has(memberId), owned };
  // A downgrade computes no new target; with the target older than the group epoch (a stale
  // assignment) the member is not reconciled: it is answered generation 0 and the classic group rebalances.
  const up = updateMember(s, downgrade ? { ...change, keepTarget: true, reconcile: "unless-stale" } : change, records);
  const rebalance = downgrade && up.assignmentEpoch < up.groupEpoch;
  const next = up.member;
  const response: JoinResponse = {
    errorCode: ErrorCode.NONE, generationId: next.memberEpoch, protocolType: CONSUMER_PROTOCOL_TYPE, protocolName: req.protocols[0]!.name,
    leader: "", skipAssignment: false, memberId, members: [],
  };
  // The replaced member was the last one of the consumer protocol: the group becomes classic (state changed in place).
  const down = downgrade && replaced !== null ? maybeDowngrade(s, g, replaced, `replaced by classic static member ${memberId}`, next, rebalance) : null;
  if (down) return { records: [...records, ...down], response: { wait: Promise.resolve(response) }, replay: false };
  s.partition.cancel(joinKey(g.groupId, memberId));
  scheduleSession(s, g.groupId, next);
  s.partition.schedule(syncKey(g.groupId, memberId), Math.max(0, req.rebalanceTimeoutMs), (sh) => expire(sh, g.groupId, memberId, "did not send SyncGroup within its rebalance timeout"));
  return { records, response: { wait: Promise.resolve(response) } };
}
