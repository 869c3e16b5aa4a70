/**
 * Share groups' membership (KIP-932's ShareGroupHeartbeat), run on the group's `__consumer_offsets`
 * partition queue like the other group types (a group id is of one type only).
 *
 * Rules (Kafka's): the client chooses its member id (empty → INVALID_REQUEST); epoch 0 joins (with a
 * non-empty subscription), -1 leaves, anything else must be the member's current epoch
 * (FENCED_MEMBER_EPOCH; an unknown member → UNKNOWN_MEMBER_ID). A join, a leave, an expiry or a
 * subscription change bumps the group epoch and recomputes the assignment at once (share groups have
 * no revocation: partitions may be shared, a member's epoch jumps to the new assignment epoch).
 * Assignment (the `simple` assignor's intent): every partition of the subscribed topics goes to one
 * subscribed member, round-robin over members in member-id order; with more members than partitions
 * each member gets the partition of its index modulo the count, so partitions are shared.
 * States: Empty (no members), Stable, Dead (deleted). Members expire after
 * `group.share.session.timeout.ms` without a heartbeat.
 * Persisted as Kafka 4.4 does, in `__consumer_offsets` (share-group-records.ts: each step returns the
 * records of what it changed, `replay: false`): after a restart the members, their epochs and
 * assignments and the group epoch are back, each member with a fresh session timeout on the clock,
 * and a member's next heartbeat with its epoch continues. The share-partition state (what was
 * delivered and acknowledged) is persisted apart (share-state.ts).
 */
import { ErrorCode } from "@odradek/codec";
import type { CoordinatorRecord, CoordinatorResult } from "../coordinator/coordinator-partition.js";
import type { GroupShard } from "../group/group-shard.js";
import { shareHeartbeatIntervalMs, shareSessionTimeoutMs } from "../group/group-configs.js";
import { deletedGroupRecords, epochRecords, memberRecord, metadataHash, removedMemberRecords } from "./share-group-records.js";

export interface ShareMember {
  memberId: string;
  memberEpoch: number;
  /** The epoch before the last assignment (ShareGroupCurrentMemberAssignment's PreviousMemberEpoch). */
  previousMemberEpoch: number;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  /** topic id → partitions. */
  assignment: Map<string, number[]>;
}

/** A share group is a ModernGroup in Kafka 4.4: it starts at group and assignment epoch 1, its first member gets 2. */
export class ShareGroup {
  groupEpoch = 1;
  assignmentEpoch = 1;
  readonly members = new Map<string, ShareMember>();
  constructor(readonly groupId: string) {}
  get state(): "Empty" | "Stable" {
    return this.members.size === 0 ? "Empty" : "Stable";
  }
}

export interface ShareHeartbeatRequest {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  rackId: string | null;
  subscribedTopicNames: string[] | null;
  clientId: string;
  clientHost: string;
}

export interface ShareHeartbeatResponse {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: { topicId: string; partitions: number[] }[] } | null;
  /** Share-partitions to initialize before answering (newly assigned). */
  assigned: { topicId: string; partition: number }[];
  /** The member that left (its share session ends separately: share-sessions.ts). */
  left?: string;
}

const sessionKey = (g: string, m: string) => `sg-session:${g}:${m}`;

function error(errorCode: number, errorMessage: string): CoordinatorResult<ShareHeartbeatResponse> {
  return { records: [], response: { errorCode, errorMessage, memberId: null, memberEpoch: -1, heartbeatIntervalMs: 0, assignment: null, assigned: [] } };
}

/** Recomputes every member's assignment (see the header); returns the group's partitions. */
export function assign(s: GroupShard, g: ShareGroup): void {
  const members = [...g.members.values()].sort((a, b) => a.memberId.localeCompare(b.memberId));
  for (const m of members) m.assignment = new Map();
  const topics = new Set(members.flatMap((m) => m.subscribedTopicNames));
  for (const name of [...topics].sort()) {
    const t = s.topics.byName(name);
    if (!t) continue;
    const subscribers = members.filter((m) => m.subscribedTopicNames.includes(name));
    if (subscribers.length === 0) continue;
    const give = (m: ShareMember, p: number) => {
      const list = m.assignment.get(t.id) ?? [];
      if (!list.includes(p)) list.push(p);
      m.assignment.set(t.id, list);
    };
    for (let p = 0; p < t.partitions; p++) give(subscribers[p % subscribers.length]!, p);
    if (subscribers.length > t.partitions && t.partitions > 0) subscribers.forEach((m, i) => give(m, i % t.partitions));
  }
  g.assignmentEpoch = g.groupEpoch;
  for (const m of members) {
    m.previousMemberEpoch = m.memberEpoch;
    m.memberEpoch = g.groupEpoch;
  }
}

const toWire = (m: ShareMember) => ({ topicPartitions: [...m.assignment].map(([topicId, partitions]) => ({ topicId, partitions: [...partitions].sort((a, b) => a - b) })) });

export function shareHeartbeat(s: GroupShard, req: ShareHeartbeatRequest): CoordinatorResult<ShareHeartbeatResponse> {
  if (req.groupId === "") return error(ErrorCode.INVALID_GROUP_ID, "the group id is empty");
  if (req.memberId === "") return error(ErrorCode.INVALID_REQUEST, "MemberId can't be empty.");
  if (s.groups.get(req.groupId)?.members.size || s.consumerGroups.has(req.groupId)) {
    return error(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} is not a share group.`);
  }
  // The undo journal is taken before the first change only: a heartbeat that changes nothing copies nothing.
  let journaled = false;
  const changing = () => {
    if (!journaled) journal(s, req.groupId);
    journaled = true;
  };
  let g = s.shareGroups.get(req.groupId);
  const interval = shareHeartbeatIntervalMs(s.config, req.groupId);
  if (req.memberEpoch === -1) {
    const m = g?.members.get(req.memberId);
    if (!g || !m) return error(ErrorCode.UNKNOWN_MEMBER_ID, `member ${req.memberId} is not in share group ${req.groupId}`);
    changing();
    const records = removeShareMember(s, g, req.memberId);
    return { records, replay: false, response: { errorCode: 0, errorMessage: null, memberId: req.memberId, memberEpoch: -1, heartbeatIntervalMs: interval, assignment: null, assigned: [], left: req.memberId } };
  }
  let m = g?.members.get(req.memberId);
  if (req.memberEpoch === 0) {
    if (!req.subscribedTopicNames || req.subscribedTopicNames.length === 0) return error(ErrorCode.INVALID_REQUEST, "SubscribedTopicNames must be set and not empty when joining.");
    if (!g) {
      changing();
      g = new ShareGroup(req.groupId);
      s.shareGroups.set(req.groupId, g);
    }
    if (!m && g.members.size >= s.config.shareMaxSize) return error(ErrorCode.GROUP_MAX_SIZE_REACHED, `share group ${req.groupId} has its maximum of ${s.config.shareMaxSize} members`);
  } else {
    if (!g || !m) return error(ErrorCode.UNKNOWN_MEMBER_ID, `member ${req.memberId} is not in share group ${req.groupId}`);
    if (req.memberEpoch !== m.memberEpoch) return error(ErrorCode.FENCED_MEMBER_EPOCH, `member ${req.memberId} sent epoch ${req.memberEpoch}; its epoch is ${m.memberEpoch}`);
  }
  const before = m ? JSON.stringify([...m.assignment]) : null;
  let changed = false;
  if (!m) {
    changing();
    m = { memberId: req.memberId, memberEpoch: 0, previousMemberEpoch: 0, rackId: req.rackId, clientId: req.clientId, clientHost: req.clientHost, subscribedTopicNames: [...req.subscribedTopicNames!], assignment: new Map() };
    g!.members.set(req.memberId, m);
    changed = true;
  } else if (req.subscribedTopicNames && JSON.stringify([...req.subscribedTopicNames].sort()) !== JSON.stringify([...m.subscribedTopicNames].sort())) {
    changing();
    m.subscribedTopicNames = [...req.subscribedTopicNames];
    changed = true;
  }
  const records: CoordinatorRecord[] = changed ? [memberRecord(g!.groupId, m)] : [];
  // Topics created since the last assignment are picked up too (their partition count changes the hash).
  const hash = metadataHash(metadataKey(s, g!));
  if (changed || s.shareMetadataKeys.get(g!.groupId) !== String(hash)) {
    changing();
    g!.groupEpoch++;
    s.shareMetadataKeys.set(g!.groupId, String(hash));
    assign(s, g!);
    records.push(...epochRecords(g!, hash));
  }
  s.partition.schedule(sessionKey(g!.groupId, m.memberId), shareSessionTimeoutMs(s.config, req.groupId), (sh) => expire(sh, req.groupId, req.memberId));
  const sendAssignment = req.memberEpoch === 0 || before !== JSON.stringify([...m.assignment]);
  const assigned = [...m.assignment].flatMap(([topicId, ps]) => ps.map((partition) => ({ topicId, partition })));
  return { records, replay: false, response: { errorCode: 0, errorMessage: null, memberId: m.memberId, memberEpoch: m.memberEpoch, heartbeatIntervalMs: interval, assignment: sendAssignment ? toWire(m) : null, assigned } };
}

/**
 * DeleteGroups of a share group (Kafka: only when it has no members): null when `groupId` is not a
 * share group held here, else the error code and the group's tombstones (the group is forgotten on
 * NONE; its share-partition state is deleted by the caller: Shares.deleteGroup).
 */
export function deleteShareGroup(s: GroupShard, groupId: string): { errorCode: number; records: CoordinatorRecord[] } | null {
  const g = s.shareGroups.get(groupId);
  if (!g) return null;
  if (g.members.size > 0) return { errorCode: ErrorCode.NON_EMPTY_GROUP, records: [] };
  journal(s, groupId);
  s.shareGroups.delete(groupId);
  s.shareMetadataKeys.delete(groupId);
  return { errorCode: ErrorCode.NONE, records: deletedGroupRecords(groupId) };
}

/**
 * Registers with the shard's undo journal (GroupShard.rollback) how to put the share group back as it
 * is now: a membership step changes it in place before its records are appended. Not undone: a member's
 * sessions and locks released by an expiry (onShareMemberGone) and its session timer.
 */
function journal(s: GroupShard, groupId: string): void {
  const g = s.shareGroups.get(groupId);
  const key = s.shareMetadataKeys.get(groupId);
  const saved = g && {
    groupEpoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch,
    members: [...g.members.values()].map((m) => ({ ...m, subscribedTopicNames: [...m.subscribedTopicNames], assignment: new Map([...m.assignment].map(([t, ps]) => [t, [...ps]])) })),
  };
  s.onRollback(() => {
    if (g && saved) {
      g.groupEpoch = saved.groupEpoch;
      g.assignmentEpoch = saved.assignmentEpoch;
      g.members.clear();
      for (const m of saved.members) g.members.set(m.memberId, m);
      s.shareGroups.set(groupId, g);
    } else s.shareGroups.delete(groupId);
    if (key === undefined) s.shareMetadataKeys.delete(groupId);
    else s.shareMetadataKeys.set(groupId, key);
  });
}

function metadataKey(s: GroupShard, g: ShareGroup): string {
  const topics = new Set([...g.members.values()].flatMap((m) => m.subscribedTopicNames));
  return [...topics].sort().map((t) => `${t}:${s.topics.byName(t)?.partitions ?? -1}`).join(",");
}

/** Removes a member, bumps the group epoch and reassigns; returns the records of all that. */
export function removeShareMember(s: GroupShard, g: ShareGroup, memberId: string): CoordinatorRecord[] {
  if (!g.members.delete(memberId)) return [];
  s.partition.cancel(sessionKey(g.groupId, memberId));
  g.groupEpoch++;
  assign(s, g);
  const hash = metadataHash(metadataKey(s, g));
  s.shareMetadataKeys.set(g.groupId, String(hash));
  return [...removedMemberRecords(g.groupId, memberId), ...epochRecords(g, hash)];
}

/** After a load: every member of the group gets a fresh session timeout on the clock. */
export function startShareSessions(s: GroupShard, g: ShareGroup): void {
  for (const m of g.members.values()) s.partition.schedule(sessionKey(g.groupId, m.memberId), shareSessionTimeoutMs(s.config, g.groupId), (sh) => expire(sh, g.groupId, m.memberId));
}

function expire(s: GroupShard, groupId: string, memberId: string): CoordinatorResult<undefined> {
  const g = s.shareGroups.get(groupId);
  if (!g?.members.has(memberId)) return { records: [], response: undefined };
  s.log.debug({ group: groupId, member: memberId }, "share group member session timed out");
  journal(s, groupId);
  const records = removeShareMember(s, g, memberId);
  s.onShareMemberGone?.(groupId, memberId);
  return { records, replay: false, response: undefined };
}
