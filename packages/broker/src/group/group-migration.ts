/**
 * Online conversion between a classic group and a KIP-848 consumer group (Kafka's migration rules,
 * `group.consumer.migration.policy`: bidirectional (default), upgrade, downgrade, disabled).
 *
 * Upgrade (a ConsumerGroupHeartbeat with epoch 0 for a group that is classic):
 *  - an empty classic group is deleted (GroupMetadata tombstone) and the consumer group starts anew;
 *    its committed offsets stay (they are keyed by group id);
 *  - a classic group with members is converted when the policy allows upgrades and the group uses the
 *    `consumer` embedded protocol: every member becomes a consumer-group member that keeps the
 *    classic protocol (ClassicMemberMetadata: session timeout, JoinGroup protocols), at member epoch =
 *    group epoch = assignment epoch = the classic generation, with its current and target assignment =
 *    its last SyncGroup assignment. Records, in Kafka's order: the GroupMetadata tombstone, then per
 *    member its MemberMetadata, the group epoch, per member its target, the target epoch, per member
 *    its current assignment. Waiting JoinGroup/SyncGroup requests are answered REBALANCE_IN_PROGRESS.
 *    The heartbeat that triggered it then joins that group as usual (which bumps the epoch);
 *  - otherwise GROUP_ID_NOT_FOUND with Kafka's message, checked in its order: the policy, the
 *    protocol type, `group.consumer.max.size` (more classic members than that), the embedded protocol
 *    (malformed, or an assignment with user data of a custom assignor); also for a heartbeat with
 *    another epoch on a classic group ("Group g is not a consumer group."). A group of exactly
 *    `group.consumer.max.size` members converts only for a member already in it: another one is
 *    GROUP_MAX_SIZE_REACHED (Kafka converts, then refuses the joiner and reverts).
 *    The upgraded group's target has timestamp 0: the heartbeat's new target is computed at once.
 * Downgrade (a consumer-protocol member leaves, expires or is fenced, and every member left uses the
 * classic protocol, at least one is left, and the policy allows downgrades): the group's consumer
 * records are tombstoned and a classic GroupMetadata record is written: a Stable classic group of
 * generation = the group epoch whose members carry their JoinGroup protocols and, as assignment, their
 * target partitions serialized in their subscription's version; it then prepares a rebalance (its
 * members rejoin). Not when more than `group.max.size` members would be left: the member is removed
 * and the group stays a consumer group (Kafka 4.4). That step changes the state in place (`replay:
 * false`; undone by GroupShard.rollback when its records fail to append).
 * The same happens when a static classic member replaces (JoinGroup without member id) the last
 * consumer-protocol member and the group has at most `group.max.size` members: it takes that member's
 * place and target, and the classic group stays Stable, unless the target was older than the group
 * epoch (a stale assignment, `consumer.assignment.interval.ms`): then the joiner is answered
 * generation 0 and the classic group prepares a rebalance.
 * Embedded protocol formats (Kafka's ConsumerProtocol): int16 version, then the
 * ConsumerProtocolSubscription / ConsumerProtocolAssignment body of that version (read at ≤ v3).
 */
import { Reader, Writer, readConsumerProtocolAssignment, readConsumerProtocolSubscription, writeConsumerProtocolAssignment } from "@odradek/codec";
import type { ConsumerProtocolSubscription } from "@odradek/codec";
import type { CoordinatorRecord } from "../coordinator/coordinator-partition.js";
import { ClassicGroup, EMPTY_BYTES } from "./classic-group.js";
import { abandonClassicGroup, maybePrepareRebalance, snapshot, startSessions } from "./classic-protocol.js";
import { ErrorCode } from "@odradek/codec";
import { ConsumerGroup, MemberState } from "./consumer-group.js";
import type { Assignment, ConsumerMember } from "./consumer-group.js";
import { cancelMemberTimers, consumerGroupFull, currentValue, groupMetadataHash, memberMetadataValue, scheduleSession, startConsumerSessions } from "./consumer-protocol.js";
import type { GroupShard } from "./group-shard.js";
import { consumerGroupRecords as R, groupMetadataRecord } from "./records.js";

export const MIGRATION_POLICIES = ["bidirectional", "upgrade", "downgrade", "disabled"] as const;
export type MigrationPolicy = (typeof MIGRATION_POLICIES)[number];

const CONSUMER_PROTOCOL_TYPE = "consumer";
/** The highest ConsumerProtocol subscription/assignment version this broker reads (Kafka 4.4 writes up to 3). */
const MAX_EMBEDDED_VERSION = 3;

const policy = (s: GroupShard): MigrationPolicy => s.config.migrationPolicy ?? "bidirectional";
const upgradeEnabled = (s: GroupShard) => policy(s) === "bidirectional" || policy(s) === "upgrade";
const downgradeEnabled = (s: GroupShard) => policy(s) === "bidirectional" || policy(s) === "downgrade";

/** A classic member's subscription (JoinGroup protocol metadata); throws on malformed bytes. */
export function readSubscription(metadata: Buffer): ConsumerProtocolSubscription & { version: number } {
  const r = new Reader(metadata);
  const version = r.int16();
  return { ...readConsumerProtocolSubscription(r, Math.min(version, MAX_EMBEDDED_VERSION)), version };
}

/** The version a member's protocol metadata is written in (its SyncGroup assignment uses the same). */
export function embeddedVersion(metadata: Buffer): number {
  return metadata.length >= 2 ? Math.max(0, Math.min(metadata.readInt16BE(0), MAX_EMBEDDED_VERSION)) : 0;
}

/** Topic names → ids (unknown topics are left out, as Kafka's toTopicPartitionMap does). */
export function toIds(s: GroupShard, list: readonly { topic: string; partitions: readonly number[] }[]): Assignment {
  const out: Assignment = new Map();
  for (const t of list) {
    const id = s.topics.byName(t.topic)?.id;
    if (id === undefined || t.partitions.length === 0) continue;
    const set = out.get(id) ?? new Set<number>();
    for (const p of t.partitions) set.add(p);
    out.set(id, set);
  }
  return out;
}

/** A ConsumerProtocolAssignment for a classic member: topic ids → names, in `version`. */
export function writeAssignment(s: GroupShard, a: Assignment, version: number): Buffer {
  const names = new Map(s.topics.all().map((t) => [t.id, t.name]));
  const assignedPartitions = [...a].filter(([id, ps]) => ps.size > 0 && names.has(id))
    .map(([id, ps]) => ({ topic: names.get(id)!, partitions: [...ps].sort((x, y) => x - y) }))
    .sort((x, y) => x.topic.localeCompare(y.topic));
  const w = new Writer(64);
  w.int16(version);
  writeConsumerProtocolAssignment(w, version, { assignedPartitions, userData: null });
  return w.toBuffer();
}

/** A classic member's assignment as topic ids; "custom" when it carries a custom assignor's user data. */
function readAssignment(s: GroupShard, bytes: Buffer): Assignment | "custom" {
  if (bytes.length === 0) return new Map(); // a member of a generation that was not synced yet
  const r = new Reader(bytes);
  const version = r.int16();
  const a = readConsumerProtocolAssignment(r, Math.min(version, MAX_EMBEDDED_VERSION));
  if (a.userData !== null && a.userData.length > 0) return "custom";
  return toIds(s, a.assignedPartitions);
}

/**
 * The consumer group a ConsumerGroupHeartbeat finds when the id is a classic group: null when the
 * classic group was empty (deleted; a new consumer group starts), the converted group (not yet in the
 * shard: replaying `records` puts it there), or why it cannot be.
 */
export function consumerGroupFromClassic(
  s: GroupShard, classic: ClassicGroup, req: { memberEpoch: number; memberId: string; instanceId: string | null }, records: CoordinatorRecord[],
): ConsumerGroup | null | { errorCode: number; message: string } {
  const notFound = (why: string) => ({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, message: why });
  if (req.memberEpoch !== 0) return notFound(`Group ${classic.groupId} is not a consumer group.`);
  if (classic.members.size === 0) {
    records.push(groupMetadataRecord(classic.groupId, null));
    return null;
  }
  const cannot = `Cannot upgrade classic group ${classic.groupId} to consumer group because`;
  if (!upgradeEnabled(s)) return notFound(`${cannot} online upgrade is disabled.`);
  if (classic.protocolType !== CONSUMER_PROTOCOL_TYPE) return notFound(`${cannot} the group does not use the consumer embedded protocol.`);
  if (classic.members.size > (s.config.consumerMaxSize ?? Number.POSITIVE_INFINITY)) return notFound(`${cannot} the group size exceeds the consumer group maximum size.`);
  const g = new ConsumerGroup(classic.groupId);
  g.groupEpoch = classic.generationId;
  g.assignmentEpoch = classic.generationId;
  g.assignmentTimestamp = 0;
  try {
    for (const m of classic.members.values()) {
      const sub = readSubscription(classic.metadataOf(m, classic.protocolName ?? m.protocols[0]?.name ?? ""));
      const assigned = readAssignment(s, m.assignment);
      if (assigned === "custom") {
        return notFound(`${cannot} an unsupported custom assignor is in use. Please refer to the documentation or switch to a default assignor before re-attempting the upgrade.`);
      }
      g.members.set(m.memberId, {
        memberId: m.memberId, instanceId: m.groupInstanceId, rackId: sub.rackId, clientId: m.clientId, clientHost: m.clientHost,
        subscribedTopicNames: [...sub.topics].sort(), subscribedTopicRegex: null, rebalanceTimeoutMs: m.rebalanceTimeoutMs, serverAssignor: null,
        memberEpoch: classic.generationId, previousMemberEpoch: classic.generationId, state: MemberState.STABLE,
        assigned, pendingRevocation: new Map(), classic: { sessionTimeoutMs: m.sessionTimeoutMs, supportedProtocols: m.protocols },
      });
      g.target.set(m.memberId, assigned);
    }
  } catch {
    return notFound(`${cannot} the embedded consumer protocol is malformed.`);
  }
  const full = consumerGroupFull(s, g, req.memberId, req.instanceId);
  if (full) return { errorCode: ErrorCode.GROUP_MAX_SIZE_REACHED, message: full };
  g.metadataHash = groupMetadataHash(s, g.members.values());
  abandonClassicGroup(s, classic);
  // The classic group stays in the shard until its tombstone is replayed; only its timers went.
  s.onRollback(() => {
    if (s.groups.get(classic.groupId) === classic && classic.is("Stable")) startSessions(s, classic);
  });
  records.push(groupMetadataRecord(classic.groupId, null));
  for (const m of g.members.values()) records.push(R.member(g.groupId, m.memberId, memberMetadataValue(m)));
  records.push(R.metadata(g.groupId, g.groupEpoch, g.metadataHash));
  for (const [id, t] of g.target) records.push(R.target(g.groupId, id, { topicPartitions: [...t].map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) })) }));
  records.push(R.targetMetadata(g.groupId, g.assignmentEpoch, 0));
  for (const m of g.members.values()) records.push(R.current(g.groupId, m.memberId, currentValue(m)));
  for (const m of g.members.values()) scheduleSession(s, g.groupId, m);
  s.log.info({ group: g.groupId, generation: classic.generationId, members: g.members.size }, "classic group upgraded to a consumer group");
  return g;
}

/**
 * Kafka's validateOnlineDowngradeWith{Fenced,Replaced}Member: every member but `leaving` uses the classic
 * protocol (`replaced`: and `leaving` does not), the policy allows downgrades, and `size` (the members
 * the classic group would have) is at least 1 and at most `group.max.size`.
 */
export function canDowngrade(s: GroupShard, g: ConsumerGroup, leaving: string, size: number, replaced = false): boolean {
  const othersClassic = [...g.members.values()].every((m) => m.memberId === leaving || m.classic !== null);
  return othersClassic && (!replaced || g.allClassicExcept(leaving)) && size > 0 && downgradeEnabled(s) && size <= s.config.maxSize;
}

/**
 * When `leaving` goes and the group may be downgraded (canDowngrade): converts the group to a classic
 * group in place and returns the records (consumer tombstones, GroupMetadata); else null.
 * With `joining` (a classic static member that replaced `leaving`, Kafka's downgrade on replacement;
 * the caller checked canDowngrade): it takes `leaving`'s place and target, and the group stays Stable
 * unless `rebalance` (the target was stale).
 */
export function maybeDowngrade(s: GroupShard, g: ConsumerGroup, leaving: string, why: string, joining?: ConsumerMember, rebalance = false): CoordinatorRecord[] | null {
  if (!joining && !canDowngrade(s, g, leaving, g.members.size - 1)) return null;
  const classic = new ClassicGroup(g.groupId, s.clock.now());
  classic.state = "Stable";
  classic.generationId = g.groupEpoch;
  classic.protocolType = CONSUMER_PROTOCOL_TYPE;
  const members = [...g.members.values()].filter((m) => m.memberId !== leaving);
  if (joining) members.push(joining);
  /** Whose target a member gets: the replaced member's for the one that replaced it. */
  const targetOf = (id: string) => g.target.get(id === joining?.memberId ? leaving : id) ?? new Map();
  for (const m of members) {
    classic.add({
      memberId: m.memberId, groupInstanceId: m.instanceId, clientId: m.clientId, clientHost: m.clientHost, rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      sessionTimeoutMs: m.classic!.sessionTimeoutMs, protocolType: CONSUMER_PROTOCOL_TYPE, protocols: m.classic!.supportedProtocols,
      assignment: EMPTY_BYTES, awaitingJoin: null, awaitingSync: null, isNew: false,
    });
  }
  classic.protocolName = classic.selectProtocol();
  for (const m of classic.members.values()) {
    m.assignment = writeAssignment(s, targetOf(m.memberId), embeddedVersion(classic.metadataOf(m, classic.protocolName)));
  }
  // Kafka's ConsumerGroup.createGroupTombstoneRecords order: current, target, target epoch, members, group epoch
  // (the replacing member's id in place of the replaced one's: its records were written by this step).
  const ids = [...g.members.keys()].map((id) => (joining && id === leaving ? joining.memberId : id));
  const records: CoordinatorRecord[] = [
    ...ids.map((id) => R.current(g.groupId, id, null)), ...ids.map((id) => R.target(g.groupId, id, null)), R.targetMetadata(g.groupId, null),
    ...ids.map((id) => R.member(g.groupId, id, null)), R.metadata(g.groupId, null), snapshot(s, classic),
  ];
  for (const id of new Set([...ids, leaving])) cancelMemberTimers(s, g.groupId, id);
  const before = s.groups.get(g.groupId);
  s.consumerGroups.delete(g.groupId);
  s.groups.set(g.groupId, classic);
  startSessions(s, classic);
  s.onRollback(() => {
    // The records were not written: the consumer group is back, its members' sessions restarted, and
    // the classic group's timers find no classic group when they fire.
    abandonClassicGroup(s, classic);
    if (before) s.groups.set(g.groupId, before);
    else s.groups.delete(g.groupId);
    s.consumerGroups.set(g.groupId, g);
    startConsumerSessions(s, g);
  });
  s.log.info({ group: g.groupId, generation: classic.generationId, members: classic.members.size, why }, "consumer group downgraded to a classic group");
  if (!joining || rebalance) maybePrepareRebalance(s, classic, joining ? `Downgrade group ${g.groupId} from consumer to classic with stale assignment.` : `downgraded from a consumer group: ${leaving} ${why}`);
  return records;
}
