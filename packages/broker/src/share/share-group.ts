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
 * Not persisted (SKIPPED.md): membership and epochs live in memory; after a restart members get
 * UNKNOWN_MEMBER_ID and join again. The share-partition state (what was delivered and acknowledged)
 * is persisted (share-state.ts); a group that has share-partition state is listed after a restart.
 */
import { ErrorCode } from "@odradek/codec";
import type { CoordinatorResult } from "../coordinator/coordinator-partition.js";
import type { GroupShard } from "../group/group-shard.js";
import { shareHeartbeatIntervalMs, shareSessionTimeoutMs } from "../group/group-configs.js";

export interface ShareMember {
  memberId: string;
  memberEpoch: number;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  /** topic id → partitions. */
  assignment: Map<string, number[]>;
}

export class ShareGroup {
  groupEpoch = 0;
  assignmentEpoch = 0;
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
  for (const m of members) m.memberEpoch = g.groupEpoch;
}

const toWire = (m: ShareMember) => ({ topicPartitions: [...m.assignment].map(([topicId, partitions]) => ({ topicId, partitions: [...partitions].sort((a, b) => a - b) })) });

export function shareHeartbeat(s: GroupShard, req: ShareHeartbeatRequest): CoordinatorResult<ShareHeartbeatResponse> {
  if (req.groupId === "") return error(ErrorCode.INVALID_GROUP_ID, "the group id is empty");
  if (req.memberId === "") return error(ErrorCode.INVALID_REQUEST, "MemberId can't be empty.");
  if (s.groups.get(req.groupId)?.members.size || s.consumerGroups.has(req.groupId)) {
    return error(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${req.groupId} is not a share group.`);
  }
  let g = s.shareGroups.get(req.groupId);
  const interval = shareHeartbeatIntervalMs(s.config, req.groupId);
  if (req.memberEpoch === -1) {
    const m = g?.members.get(req.memberId);
    if (!g || !m) return error(ErrorCode.UNKNOWN_MEMBER_ID, `member ${req.memberId} is not in share group ${req.groupId}`);
    removeShareMember(s, g, req.memberId);
    return { records: [], response: { errorCode: 0, errorMessage: null, memberId: req.memberId, memberEpoch: -1, heartbeatIntervalMs: interval, assignment: null, assigned: [], left: req.memberId } };
  }
  let m = g?.members.get(req.memberId);
  if (req.memberEpoch === 0) {
    if (!req.subscribedTopicNames || req.subscribedTopicNames.length === 0) return error(ErrorCode.INVALID_REQUEST, "SubscribedTopicNames must be set and not empty when joining.");
    if (!g) {
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
    m = { memberId: req.memberId, memberEpoch: 0, rackId: req.rackId, clientId: req.clientId, clientHost: req.clientHost, subscribedTopicNames: [...req.subscribedTopicNames!], assignment: new Map() };
    g!.members.set(req.memberId, m);
    changed = true;
  } else if (req.subscribedTopicNames && JSON.stringify([...req.subscribedTopicNames].sort()) !== JSON.stringify([...m.subscribedTopicNames].sort())) {
    m.subscribedTopicNames = [...req.subscribedTopicNames];
    changed = true;
  }
  // Topics created since the last assignment are picked up too (their partition count changes the key).
  const key = metadataKey(s, g!);
  if (changed || s.shareMetadataKeys.get(g!.groupId) !== key) {
    g!.groupEpoch++;
    s.shareMetadataKeys.set(g!.groupId, key);
    assign(s, g!);
  }
  s.partition.schedule(sessionKey(g!.groupId, m.memberId), shareSessionTimeoutMs(s.config, req.groupId), (sh) => expire(sh, req.groupId, req.memberId));
  const sendAssignment = req.memberEpoch === 0 || before !== JSON.stringify([...m.assignment]);
  const assigned = [...m.assignment].flatMap(([topicId, ps]) => ps.map((partition) => ({ topicId, partition })));
  return { records: [], response: { errorCode: 0, errorMessage: null, memberId: m.memberId, memberEpoch: m.memberEpoch, heartbeatIntervalMs: interval, assignment: sendAssignment ? toWire(m) : null, assigned } };
}

/**
 * DeleteGroups of a share group (Kafka: only when it has no members): null when `groupId` is not a
 * share group held here, else the error code (the group is forgotten on NONE; its share-partition
 * state is deleted by the caller: Shares.deleteGroup).
 */
export function deleteShareGroup(s: GroupShard, groupId: string): number | null {
  const g = s.shareGroups.get(groupId);
  if (!g) return null;
  if (g.members.size > 0) return ErrorCode.NON_EMPTY_GROUP;
  s.shareGroups.delete(groupId);
  s.shareMetadataKeys.delete(groupId);
  return ErrorCode.NONE;
}

function metadataKey(s: GroupShard, g: ShareGroup): string {
  const topics = new Set([...g.members.values()].flatMap((m) => m.subscribedTopicNames));
  return [...topics].sort().map((t) => `${t}:${s.topics.byName(t)?.partitions ?? -1}`).join(",");
}

export function removeShareMember(s: GroupShard, g: ShareGroup, memberId: string): void {
  if (!g.members.delete(memberId)) return;
  s.partition.cancel(sessionKey(g.groupId, memberId));
  g.groupEpoch++;
  assign(s, g);
}

function expire(s: GroupShard, groupId: string, memberId: string): CoordinatorResult<undefined> {
  const g = s.shareGroups.get(groupId);
  if (g?.members.has(memberId)) {
    s.log.debug({ group: groupId, member: memberId }, "share group member session timed out");
    removeShareMember(s, g, memberId);
    s.onShareMemberGone?.(groupId, memberId);
  }
  return { records: [], response: undefined };
}
