/**
 * KIP-1251 (Kafka 4.4): assignment epochs for consumer groups.
 *
 * Every partition a member holds (assigned or pending revocation) carries the member epoch at which it
 * was assigned to that member. Invariants:
 *   - a partition newly given to a member gets the epoch the member moves to (the target assignment
 *     epoch, Kafka's CurrentAssignmentBuilder); a partition the member keeps, or that moves to pending
 *     revocation, keeps its epoch;
 *   - a static member's temporary leave (epoch -2) resets its partitions to epoch 0, so the member that
 *     takes its instance over may commit for them with any epoch up to its own;
 *   - `ConsumerMember.assignmentEpochs` covers exactly `assigned` ∪ `pendingRevocation`; a partition
 *     without an entry (e.g. a member replayed from a record written before the field existed) is at
 *     max(memberEpoch, 0), as Kafka 4.4 reads such records (Utils.assignmentFromTopicPartitions).
 * Record format: ConsumerGroupCurrentMemberAssignmentValue's TopicPartitions have the tagged field
 * AssignmentEpochs (tag 0), parallel to Partitions; a list missing or of another length than
 * Partitions means "every partition at max(memberEpoch, 0)".
 *
 * OffsetCommit / TxnOffsetCommit from a member whose epoch is older than the broker's (Kafka's
 * ConsumerGroup.createAssignmentEpochValidator): accepted when, for every committed partition, the
 * member holds it and assignmentEpoch <= clientEpoch; otherwise the whole request fails with
 * STALE_MEMBER_EPOCH (ILLEGAL_GENERATION for a classic-protocol member). A client epoch above the
 * broker's is refused before (STALE_MEMBER_EPOCH / ILLEGAL_GENERATION); an equal one needs no check.
 */
import { ErrorCode } from "@odradek/codec";
import { fromAssignment } from "./consumer-group.js";
import type { Assignment, ConsumerMember } from "./consumer-group.js";

/** topicId → partition → the member epoch at which the partition was assigned to the member. */
export type AssignmentEpochs = Map<string, Map<number, number>>;

type Holder = Pick<ConsumerMember, "memberEpoch" | "assigned" | "pendingRevocation" | "assignmentEpochs">;

const holds = (m: Holder, topicId: string, p: number): boolean => m.assigned.get(topicId)?.has(p) === true || m.pendingRevocation.get(topicId)?.has(p) === true;

/** The assignment epoch of a partition the member holds, or undefined when it holds it not. */
export function assignmentEpoch(m: Holder, topicId: string, p: number): number | undefined {
  if (!holds(m, topicId, p)) return undefined;
  return m.assignmentEpochs?.get(topicId)?.get(p) ?? Math.max(m.memberEpoch, 0);
}

/**
 * The epochs of `next` (a member after reconciliation) given `prev` (the member before, or undefined
 * for a member that starts from nothing): kept partitions keep their epoch, new ones get next's epoch.
 */
export function nextAssignmentEpochs(prev: Holder | undefined, next: Holder): AssignmentEpochs {
  const out: AssignmentEpochs = new Map();
  for (const a of [next.assigned, next.pendingRevocation]) {
    for (const [t, ps] of a) {
      let e = out.get(t);
      if (!e) out.set(t, (e = new Map()));
      for (const p of ps) e.set(p, (prev && assignmentEpoch(prev, t, p)) ?? Math.max(next.memberEpoch, 0));
    }
  }
  return out;
}

/** Every partition the member holds at epoch 0 (a static member's temporary leave). */
export function zeroAssignmentEpochs(m: Holder): AssignmentEpochs {
  return nextAssignmentEpochs(undefined, { ...m, memberEpoch: 0 });
}

/** The record's TopicPartitions of an assignment, with AssignmentEpochs parallel to Partitions. */
export function toRecordPartitions(a: Assignment, m: Holder): { topicId: string; partitions: number[]; assignmentEpochs: number[] }[] {
  return fromAssignment(a).map((t) => ({ ...t, assignmentEpochs: t.partitions.map((p) => m.assignmentEpochs?.get(t.topicId)?.get(p) ?? Math.max(m.memberEpoch, 0)) }));
}

/** The epochs of a replayed record's partitions (assigned and pending revocation). */
export function fromRecordPartitions(memberEpoch: number, lists: readonly (readonly { topicId: string; partitions: readonly number[]; assignmentEpochs: readonly number[] | null }[])[]): AssignmentEpochs {
  const fallback = Math.max(memberEpoch, 0);
  const out: AssignmentEpochs = new Map();
  for (const list of lists) {
    for (const t of list) {
      let e = out.get(t.topicId);
      if (!e) out.set(t.topicId, (e = new Map()));
      const epochs = t.assignmentEpochs !== null && t.assignmentEpochs.length === t.partitions.length ? t.assignmentEpochs : null;
      t.partitions.forEach((p, i) => e.set(p, epochs?.[i] ?? fallback));
    }
  }
  return out;
}

/**
 * Kafka 4.4's ConsumerGroup.validateOffsetCommit for a known member with a positive request epoch:
 * NONE, or the error for the whole request. `partitions` are the committed ones by topic id (a topic
 * id of undefined: a topic the broker does not know, treated as not held).
 */
export function validateCommitEpoch(m: Holder, clientEpoch: number, partitions: Iterable<{ topicId: string | undefined; partition: number }>, classic = false): number {
  const stale = classic ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
  if (clientEpoch === m.memberEpoch) return ErrorCode.NONE;
  if (clientEpoch > m.memberEpoch) return stale;
  for (const { topicId, partition } of partitions) {
    const epoch = topicId === undefined ? undefined : assignmentEpoch(m, topicId, partition);
    if (epoch === undefined || clientEpoch < epoch) return stale;
  }
  return ErrorCode.NONE;
}
