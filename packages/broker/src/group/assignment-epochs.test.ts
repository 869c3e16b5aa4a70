import { describe, expect, it } from "vitest";
import { ErrorCode } from "@odradek/codec";
import { assignmentEpoch, fromRecordPartitions, nextAssignmentEpochs, toRecordPartitions, validateCommitEpoch, zeroAssignmentEpochs } from "./assignment-epochs.js";
import type { Assignment } from "./consumer-group.js";

const T = "topic-a";
const U = "topic-b";
const holder = (memberEpoch: number, assigned: Assignment, pendingRevocation: Assignment = new Map(), epochs?: [string, number, number][]) => ({
  memberEpoch, assigned, pendingRevocation,
  assignmentEpochs: epochs ? byTopic(epochs) : undefined,
});
function byTopic(epochs: [string, number, number][]): Map<string, Map<number, number>> {
  const out = new Map<string, Map<number, number>>();
  for (const [t, p, e] of epochs) out.set(t, (out.get(t) ?? new Map()).set(p, e));
  return out;
}

describe("assignment epochs (KIP-1251)", () => {
  it("kept and revoked partitions keep their epoch, added ones get the member's new epoch", () => {
    const prev = holder(3, new Map([[T, new Set([0, 1, 2])]]), new Map(), [[T, 0, 1], [T, 1, 3], [T, 2, 3]]);
    // 2 moves to pending revocation, 0 and 1 stay, 5 and U-0 are new at epoch 7.
    const next = holder(7, new Map([[T, new Set([0, 1, 5])], [U, new Set([0])]]), new Map([[T, new Set([2])]]));
    const e = nextAssignmentEpochs(prev, next);
    expect([...e.get(T)!].sort(([a], [b]) => a - b)).toEqual([[0, 1], [1, 3], [2, 3], [5, 7]]);
    expect([...e.get(U)!]).toEqual([[0, 7]]);
    expect(nextAssignmentEpochs(undefined, next).get(T)!.get(0)).toBe(7);
  });

  it("a static member's temporary leave puts every partition at epoch 0", () => {
    const m = holder(-2, new Map([[T, new Set([0, 4])]]), new Map(), [[T, 0, 5], [T, 4, 6]]);
    expect([...zeroAssignmentEpochs(m).get(T)!]).toEqual([[0, 0], [4, 0]]);
  });

  it("records carry AssignmentEpochs parallel to Partitions; missing or mis-sized lists fall back to max(memberEpoch, 0)", () => {
    const m = holder(9, new Map([[T, new Set([3, 1])]]), new Map(), [[T, 1, 2], [T, 3, 9]]);
    expect(toRecordPartitions(m.assigned, m)).toEqual([{ topicId: T, partitions: [1, 3], assignmentEpochs: [2, 9] }]);
    const e = fromRecordPartitions(9, [[{ topicId: T, partitions: [1, 3], assignmentEpochs: [2, 9] }, { topicId: U, partitions: [0, 1], assignmentEpochs: null }], [{ topicId: "v", partitions: [0, 1], assignmentEpochs: [4] }]]);
    expect(e.get(T)).toEqual(new Map([[1, 2], [3, 9]]));
    expect(e.get(U)).toEqual(new Map([[0, 9], [1, 9]]));
    expect(e.get("v")).toEqual(new Map([[0, 9], [1, 9]]));
    expect(fromRecordPartitions(-2, [[{ topicId: T, partitions: [0], assignmentEpochs: null }]]).get(T)!.get(0)).toBe(0);
    // A member replayed without epochs: every held partition at its member epoch, others not held.
    const old = holder(4, new Map([[T, new Set([0])]]));
    expect(assignmentEpoch(old, T, 0)).toBe(4);
    expect(assignmentEpoch(old, T, 1)).toBeUndefined();
  });

  it("a commit needs assignmentEpoch <= clientEpoch <= memberEpoch for every partition", () => {
    const m = holder(10, new Map([[T, new Set([0, 1])]]), new Map([[U, new Set([2])]]), [[T, 0, 7], [T, 1, 10], [U, 2, 4]]);
    const at = (...ps: [string | undefined, number][]) => ps.map(([topicId, partition]) => ({ topicId, partition }));
    expect(validateCommitEpoch(m, 10, at([T, 0], [T, 1], ["other", 0]))).toBe(ErrorCode.NONE); // the current epoch: no per-partition check
    expect(validateCommitEpoch(m, 7, at([T, 0], [U, 2]))).toBe(ErrorCode.NONE); // pending revocation counts
    expect(validateCommitEpoch(m, 6, at([T, 0]))).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(validateCommitEpoch(m, 7, at([T, 0], [T, 1]))).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(validateCommitEpoch(m, 7, at([T, 2]))).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(validateCommitEpoch(m, 7, at([undefined, 0]))).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(validateCommitEpoch(m, 11, at([T, 0]))).toBe(ErrorCode.STALE_MEMBER_EPOCH);
    expect(validateCommitEpoch(m, 6, at([T, 0]), true)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(validateCommitEpoch(m, 11, at(), true)).toBe(ErrorCode.ILLEGAL_GENERATION);
  });
});
