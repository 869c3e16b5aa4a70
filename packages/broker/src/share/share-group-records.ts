/**
 * Share-group membership as records of `__consumer_offsets` (Kafka 4.4's record types 10–14, laid
 * out in group/records.ts), so a share group's members, epochs and assignment survive a restart.
 *
 * A membership step (share-group.ts) changes the in-memory group itself and returns these records
 * with `replay: false`: they are the group's snapshot for a restart, applied by `replayShareGroup`
 * only when the partition is loaded (Kafka writes the same records and replays them live; the
 * outcome is the same state).
 *   epoch change   ShareGroupMetadata (11) { epoch, metadataHash }, then per member its target
 *                  (13) and current assignment (14) (every member moves to the new epoch at once:
 *                  share groups have no revocation), then ShareGroupTargetAssignmentMetadata (12)
 *   join/update    ShareGroupMemberMetadata (10) of the member first
 *   member gone    tombstones of its 14, 13 and 10, then the epoch change of those who stay
 *   group deleted  tombstones of 12 and 11
 * metadataHash is this broker's hash of the subscribed topics and their partition counts (64-bit
 * FNV-1a of "topic:partitions,..."): after a restart the first heartbeat bumps the epoch only when the
 * topics changed meanwhile. Kafka computes its own hash; a data directory moved between the two at
 * worst costs one epoch bump.
 * Member session timers are not records: after a load each member gets a fresh
 * `group.share.session.timeout.ms` on the broker clock (startShareSessions in share-group.ts).
 */
import type { CoordinatorRecord } from "../coordinator/coordinator-partition.js";
import type { GroupShard } from "../group/group-shard.js";
import { shareGroupRecords } from "../group/records.js";
import type { DecodedRecord } from "../group/records.js";
import { ShareGroup } from "./share-group.js";
import type { ShareMember } from "./share-group.js";

/** ShareGroupCurrentMemberAssignment's State: share members are always stable (Kafka's MemberState.STABLE). */
const STABLE = 0;

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = (1n << 64n) - 1n;

/** 64-bit FNV-1a of `key`, as a signed int64 (the record's field type). */
export function metadataHash(key: string): bigint {
  let h = FNV_OFFSET;
  for (const byte of Buffer.from(key, "utf8")) h = ((h ^ BigInt(byte)) * FNV_PRIME) & MASK64;
  return BigInt.asIntN(64, h);
}

const topicPartitions = (m: ShareMember) => [...m.assignment].map(([topicId, partitions]) => ({ topicId, partitions: [...partitions].sort((a, b) => a - b) }));

/** ShareGroupMemberMetadata of a member that joined or changed its subscription. */
export function memberRecord(groupId: string, m: ShareMember): CoordinatorRecord {
  return shareGroupRecords.member(groupId, m.memberId, { rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, subscribedTopicNames: m.subscribedTopicNames });
}

/** The records of a new group epoch and the assignment every member now has (see the header). */
export function epochRecords(g: ShareGroup, hash: bigint): CoordinatorRecord[] {
  const out = [shareGroupRecords.metadata(g.groupId, { epoch: g.groupEpoch, metadataHash: hash })];
  for (const m of g.members.values()) {
    out.push(shareGroupRecords.target(g.groupId, m.memberId, { topicPartitions: topicPartitions(m) }));
    out.push(shareGroupRecords.current(g.groupId, m.memberId, { memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, state: STABLE, assignedPartitions: topicPartitions(m) }));
  }
  out.push(shareGroupRecords.targetMetadata(g.groupId, g.assignmentEpoch));
  return out;
}

export function removedMemberRecords(groupId: string, memberId: string): CoordinatorRecord[] {
  return [shareGroupRecords.current(groupId, memberId, null), shareGroupRecords.target(groupId, memberId, null), shareGroupRecords.member(groupId, memberId, null)];
}

export function deletedGroupRecords(groupId: string): CoordinatorRecord[] {
  return [shareGroupRecords.targetMetadata(groupId, null), shareGroupRecords.metadata(groupId, null)];
}

function group(s: GroupShard, groupId: string): ShareGroup {
  let g = s.shareGroups.get(groupId);
  if (!g) s.shareGroups.set(groupId, (g = new ShareGroup(groupId)));
  return g;
}

function member(g: ShareGroup, memberId: string): ShareMember {
  let m = g.members.get(memberId);
  if (!m) g.members.set(memberId, (m = { memberId, memberEpoch: 0, previousMemberEpoch: 0, rackId: null, clientId: "", clientHost: "", subscribedTopicNames: [], assignment: new Map() }));
  return m;
}

/** Applies one share-group record at load (types 10–14; anything else is not for this function). */
export function replayShareGroup(s: GroupShard, r: DecodedRecord): void {
  switch (r.type) {
    case "sg-metadata":
      if (r.value === null) {
        s.shareGroups.delete(r.group);
        s.shareMetadataKeys.delete(r.group);
        return;
      }
      group(s, r.group).groupEpoch = r.value.epoch;
      s.shareMetadataKeys.set(r.group, String(r.value.metadataHash));
      return;
    case "sg-target-metadata":
      if (r.assignmentEpoch !== null) group(s, r.group).assignmentEpoch = r.assignmentEpoch;
      return;
    case "sg-member": {
      const g = group(s, r.group);
      if (r.value === null) {
        g.members.delete(r.memberId);
        return;
      }
      Object.assign(member(g, r.memberId), { rackId: r.value.rackId, clientId: r.value.clientId, clientHost: r.value.clientHost, subscribedTopicNames: r.value.subscribedTopicNames });
      return;
    }
    case "sg-current": {
      // A tombstone comes before the member's own tombstone, which removes it.
      if (r.value === null) return;
      const m = member(group(s, r.group), r.memberId);
      m.memberEpoch = r.value.memberEpoch;
      m.previousMemberEpoch = r.value.previousMemberEpoch;
      m.assignment = new Map(r.value.assignedPartitions.map((tp) => [tp.topicId, [...tp.partitions]]));
      return;
    }
    // The target assignment equals the current one (no revocation): the current record carries it.
    case "sg-target":
      return;
    default:
      return;
  }
}
