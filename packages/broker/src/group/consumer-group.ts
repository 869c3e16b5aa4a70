/**
 * A KIP-848 consumer group: its state, changed only by replaying its records (records.ts types 3, 5,
 * 6, 7, 8), live and at load, so a restart cannot differ from the live group.
 *
 *   groupEpoch        bumped when a member joins, leaves or changes its subscription, or the
 *                     subscribed topics' partitions change (ConsumerGroupMetadata, with the hash of
 *                     those topics' metadata it was bumped for: `metadataHash`)
 *   assignmentEpoch   the group epoch the target assignment was computed for, and when
 *                     (`assignmentTimestamp`, ms; TargetAssignmentMetadata)
 * A new group starts at group epoch 1 and assignment epoch 1 (timestamp 0), as Kafka 4.4's ModernGroup
 * does, so its first member gets epoch 2.
 *   target            per member, the partitions the server-side assignor gave it (TargetAssignmentMember)
 *   member            subscription (MemberMetadata) and its current assignment: member epoch, state,
 *                     assigned partitions, partitions pending revocation, and the epoch each of
 *                     them was assigned at (KIP-1251; CurrentMemberAssignment)
 * Group states (Kafka's): Empty (no members), Assigning (assignmentEpoch < groupEpoch), Reconciling
 * (some member is not yet at the assignment epoch with its whole target), Stable, Dead (deleted).
 * Member states: STABLE 0, UNREVOKED_PARTITIONS 1 (must give partitions up first), UNRELEASED_PARTITIONS
 * 2 (waits for partitions another member still holds), as Kafka numbers them.
 * Invariant: a partition is in at most one member's `assigned` or `pendingRevocation` at a time
 * (revocation before reassignment).
 * Members may use the classic protocol (`classic` set; KIP-848 migration, group-migration.ts and
 * classic-in-consumer-group.ts): they reconcile only when they send JoinGroup.
 */
import { fromRecordPartitions } from "./assignment-epochs.js";
import type { AssignmentEpochs } from "./assignment-epochs.js";
import type { DecodedRecord } from "./records.js";

export type Assignment = Map<string, Set<number>>;

export const MemberState = { STABLE: 0, UNREVOKED_PARTITIONS: 1, UNRELEASED_PARTITIONS: 2 } as const;

/**
 * A member that joined with the classic protocol (JoinGroup/SyncGroup) inside a consumer group
 * (KIP-848's migration): its session timeout and the protocols of its JoinGroup, kept in its
 * MemberMetadata record (ClassicMemberMetadata) so a restart and a downgrade know them.
 */
export interface ClassicMemberMetadata {
  sessionTimeoutMs: number;
  supportedProtocols: { name: string; metadata: Buffer }[];
}

export interface ConsumerMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: number;
  assigned: Assignment;
  pendingRevocation: Assignment;
  /** Set when the member uses the classic protocol (null: ConsumerGroupHeartbeat). */
  classic: ClassicMemberMetadata | null;
  /** KIP-1251: the epoch at which each held partition was assigned (assignment-epochs.ts). */
  assignmentEpochs?: AssignmentEpochs;
}

/** The epochs of a group that has no records yet (Kafka 4.4's ModernGroup and TargetAssignmentMetadata.INITIAL). */
export const INITIAL_GROUP_EPOCH = 1;

export class ConsumerGroup {
  groupEpoch = INITIAL_GROUP_EPOCH;
  assignmentEpoch = INITIAL_GROUP_EPOCH;
  /** When the target was last computed (0: never, or the next computation need not wait). */
  assignmentTimestamp = 0;
  metadataHash = 0n;
  readonly members = new Map<string, ConsumerMember>();
  readonly target = new Map<string, Assignment>();

  constructor(readonly groupId: string) {}

  get state(): string {
    if (this.members.size === 0) return "Empty";
    if (this.assignmentEpoch < this.groupEpoch) return "Assigning";
    for (const m of this.members.values()) if (m.memberEpoch !== this.assignmentEpoch || m.state !== MemberState.STABLE) return "Reconciling";
    return "Stable";
  }

  /** The epoch of the member holding a partition (assigned or pending revocation), or -1 when free. */
  partitionEpoch(topicId: string, partition: number, except?: string): number {
    for (const m of this.members.values()) {
      if (m.memberId === except) continue;
      if (m.assigned.get(topicId)?.has(partition) || m.pendingRevocation.get(topicId)?.has(partition)) return m.memberEpoch;
    }
    return -1;
  }

  /** Every member but `memberId` uses the classic protocol (Kafka's allMembersUseClassicProtocolExcept). */
  allClassicExcept(memberId: string): boolean {
    for (const m of this.members.values()) if (m.memberId !== memberId && m.classic === null) return false;
    return this.members.get(memberId)?.classic === null;
  }

  /** The member's target partitions not yet assigned to it are still held by another member (Kafka's waitingOnUnreleasedPartition). */
  waitingOnUnreleased(m: ConsumerMember): boolean {
    if (m.state !== MemberState.UNRELEASED_PARTITIONS) return false;
    for (const [t, ps] of this.target.get(m.memberId) ?? new Map<string, Set<number>>()) {
      for (const p of ps) if (!m.assigned.get(t)?.has(p) && this.partitionEpoch(t, p, m.memberId) !== -1) return true;
    }
    return false;
  }

  member(memberId: string): ConsumerMember {
    let m = this.members.get(memberId);
    if (!m) {
      m = {
        memberId, instanceId: null, rackId: null, clientId: "", clientHost: "", subscribedTopicNames: [], subscribedTopicRegex: null,
        rebalanceTimeoutMs: -1, serverAssignor: null, memberEpoch: 0, previousMemberEpoch: 0, state: MemberState.STABLE,
        assigned: new Map(), pendingRevocation: new Map(), classic: null,
      };
      this.members.set(memberId, m);
    }
    return m;
  }
}

export const toAssignment = (list: readonly { topicId: string; partitions: readonly number[] }[]): Assignment =>
  new Map(list.filter((t) => t.partitions.length > 0).map((t) => [t.topicId, new Set(t.partitions)]));

export const fromAssignment = (a: Assignment): { topicId: string; partitions: number[] }[] =>
  [...a].filter(([, ps]) => ps.size > 0).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([topicId, ps]) => ({ topicId, partitions: [...ps].sort((x, y) => x - y) }));

export function sameAssignment(a: Assignment, b: Assignment): boolean {
  const x = fromAssignment(a);
  const y = fromAssignment(b);
  return JSON.stringify(x) === JSON.stringify(y);
}

/**
 * Applies one consumer-group record (types 3, 5, 6, 7, 8) to the shard, live and at load: the only way
 * a consumer group changes.
 */
export function replayConsumerGroup(s: { consumerGroups: Map<string, ConsumerGroup>; groups: Map<string, { members: Map<string, unknown> }> }, r: DecodedRecord): void {
  const consumerGroup = (groupId: string): ConsumerGroup => {
    let g = s.consumerGroups.get(groupId);
    if (!g) s.consumerGroups.set(groupId, (g = new ConsumerGroup(groupId)));
    return g;
  };
  if (r.type === "cg-metadata") {
    if (r.epoch === null) {
      s.consumerGroups.delete(r.group);
      return;
    }
    const g = consumerGroup(r.group);
    g.groupEpoch = r.epoch;
    g.metadataHash = r.metadataHash;
    // A simple (offsets-only) classic group of the same id becomes this consumer group.
    const classic = s.groups.get(r.group);
    if (classic && classic.members.size === 0) s.groups.delete(r.group);
    return;
  }
  if (r.type === "cg-target-metadata") {
    if (r.assignmentEpoch === null) return;
    const g = consumerGroup(r.group);
    g.assignmentEpoch = r.assignmentEpoch;
    g.assignmentTimestamp = r.assignmentTimestamp;
    return;
  }
  if (r.type !== "cg-member" && r.type !== "cg-target" && r.type !== "cg-current") return;
  const g = consumerGroup(r.group);
  if (r.type === "cg-member") {
    if (r.value === null) {
      g.members.delete(r.memberId);
      return;
    }
    const m = g.member(r.memberId);
    Object.assign(m, {
      instanceId: r.value.instanceId, rackId: r.value.rackId, clientId: r.value.clientId, clientHost: r.value.clientHost,
      subscribedTopicNames: r.value.subscribedTopicNames, subscribedTopicRegex: r.value.subscribedTopicRegex,
      rebalanceTimeoutMs: r.value.rebalanceTimeoutMs, serverAssignor: r.value.serverAssignor,
      classic: r.value.classicMemberMetadata === null ? null : {
        sessionTimeoutMs: r.value.classicMemberMetadata.sessionTimeoutMs,
        supportedProtocols: r.value.classicMemberMetadata.supportedProtocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      },
    });
  } else if (r.type === "cg-target") {
    if (r.value === null) g.target.delete(r.memberId);
    else g.target.set(r.memberId, toAssignment(r.value.topicPartitions));
  } else if (r.type === "cg-current") {
    if (r.value === null) {
      const m = g.members.get(r.memberId);
      if (m) Object.assign(m, { memberEpoch: 0, previousMemberEpoch: 0, state: MemberState.STABLE, assigned: new Map(), pendingRevocation: new Map(), assignmentEpochs: new Map() });
      return;
    }
    const m = g.member(r.memberId);
    Object.assign(m, {
      memberEpoch: r.value.memberEpoch, previousMemberEpoch: r.value.previousMemberEpoch, state: r.value.state,
      assigned: toAssignment(r.value.assignedPartitions), pendingRevocation: toAssignment(r.value.partitionsPendingRevocation),
      assignmentEpochs: fromRecordPartitions(r.value.memberEpoch, [r.value.assignedPartitions, r.value.partitionsPendingRevocation]),
    });
  }
}
