/**
 * The share-partition state machine (share/share-partition.ts): acquisition batch by batch,
 * acknowledgement types, lock expiry, the delivery-count limit, the in-flight window and the
 * persisted snapshot (what a restart rebuilds), the record_limit acquire mode and the read_committed
 * filter of aborted transactions.
 */
import { describe, expect, it } from "vitest";
import { AckType, RecordState, SharePartition } from "../src/share/share-partition.js";
import type { LogBatchView } from "../src/share/share-partition.js";
import { AbortedBatches, CONTROL_TYPE_ABORT, controlRecordType } from "../src/share/aborted-batches.js";

const limits = { deliveryCountLimit: 3, maxInFlight: 10, lockDurationMs: 1000 };
const batch = (base: number, count: number, control = false): LogBatchView => ({
  baseOffset: base, lastOffset: base + count - 1, control, offsets: control ? [] : Array.from({ length: count }, (_, i) => base + i),
});
const state = (sp: SharePartition, o: number) => sp.offsets.get(o)?.state;

describe("share-partition", () => {
  it("acquires whole new batches for one member; the other member gets none of them", () => {
    const sp = new SharePartition("g", "t", 0, 0, 0, limits);
    expect(sp.acquireFromBatch("a", batch(0, 3), 2, 0)).toEqual([0, 1, 2]); // the batch is taken whole
    expect(sp.endOffset).toBe(3);
    expect(sp.acquireFromBatch("b", batch(0, 3), 10, 0)).toEqual([]);
    expect(sp.nextFetchOffset()).toBe(3);
  });

  it("accept / reject / release / gap; the start offset moves past done offsets", () => {
    const sp = new SharePartition("g", "t", 0, 0, 0, limits);
    sp.acquireFromBatch("a", batch(0, 4), 10, 0);
    expect(sp.acknowledge("b", 0, 0, [AckType.ACCEPT], 0)).toMatch(/not acquired by member b/);
    expect(sp.acknowledge("a", 0, 3, [AckType.ACCEPT, AckType.REJECT, AckType.RELEASE, AckType.ACCEPT], 0)).toBeNull();
    expect(sp.startOffset).toBe(2);
    expect([state(sp, 2), state(sp, 3)]).toEqual([RecordState.AVAILABLE, RecordState.ACKNOWLEDGED]);
    // Released offset 2 goes to the next acquirer, delivery count 2.
    expect(sp.acquireFromBatch("b", batch(0, 4), 10, 0)).toEqual([2]);
    expect(sp.offsets.get(2)!.deliveryCount).toBe(2);
    // A batch that is not acquired is refused whole: nothing changes.
    expect(sp.acknowledge("b", 2, 4, [AckType.ACCEPT], 0)).toMatch(/offset 3 is not acquired/);
    expect(state(sp, 2)).toBe(RecordState.ACQUIRED);
    expect(sp.acknowledge("b", 2, 2, [AckType.ACCEPT], 0)).toBeNull();
    expect([sp.startOffset, sp.endOffset, sp.offsets.size]).toEqual([4, 4, 0]);
  });

  it("expired locks make records available again; at the delivery-count limit they are archived", () => {
    const sp = new SharePartition("g", "t", 0, 0, 0, limits);
    sp.acquireFromBatch("a", batch(0, 1), 10, 0);
    expect(sp.nextLockDeadline()).toBe(1000);
    expect(sp.expireLocks(999)).toBe(0);
    expect(sp.expireLocks(1000)).toBe(1);
    expect(state(sp, 0)).toBe(RecordState.AVAILABLE);
    sp.acquireFromBatch("b", batch(0, 1), 10, 2000); // delivery 2
    sp.acknowledge("b", 0, 0, [AckType.RELEASE], 2000);
    sp.acquireFromBatch("c", batch(0, 1), 10, 3000); // delivery 3 = the limit
    expect(sp.offsets.get(0)!.deliveryCount).toBe(3);
    sp.acknowledge("c", 0, 0, [AckType.RELEASE], 3000);
    // Archived, not delivered a fourth time; the start offset moves past it.
    expect(sp.startOffset).toBe(1);
    expect(sp.acquireFromBatch("d", batch(0, 1), 10, 4000)).toEqual([]);
  });

  it("renew (v2) restarts a lock; releasing a member frees only its own records", () => {
    const sp = new SharePartition("g", "t", 0, 0, 0, limits);
    sp.acquireFromBatch("a", batch(0, 2), 10, 0);
    sp.acquireFromBatch("b", batch(2, 2), 10, 0);
    expect(sp.acknowledge("a", 0, 0, [AckType.RENEW], 500)).toBeNull();
    expect(sp.offsets.get(0)!.lockUntil).toBe(1500);
    expect(sp.releaseMember("b")).toBe(2);
    expect([state(sp, 0), state(sp, 2), state(sp, 3)]).toEqual([RecordState.ACQUIRED, RecordState.AVAILABLE, RecordState.AVAILABLE]);
  });

  it("control batches and offsets the log no longer has are never delivered", () => {
    const sp = new SharePartition("g", "t", 0, 0, 0, limits);
    expect(sp.acquireFromBatch("a", batch(0, 1, true), 10, 0)).toEqual([]);
    expect(sp.startOffset).toBe(1);
    const holes: LogBatchView = { baseOffset: 1, lastOffset: 4, control: false, offsets: [1, 4] }; // compacted
    expect(sp.acquireFromBatch("a", holes, 10, 0)).toEqual([1, 4]);
    expect([state(sp, 2), state(sp, 3)]).toEqual([RecordState.ARCHIVED, RecordState.ARCHIVED]);
  });

  it("the in-flight window stops new acquisition at share.partition.max.record.locks", () => {
    const sp = new SharePartition("g", "t", 0, 0, 0, limits);
    expect(sp.acquireFromBatch("a", batch(0, 8), 100, 0)).toHaveLength(8);
    expect(sp.acquireFromBatch("a", batch(8, 5), 100, 0)).toHaveLength(5); // started below the limit: whole batch
    expect(sp.canAcquire(100)).toBe(false);
    expect(sp.acquireFromBatch("a", batch(13, 1), 100, 0)).toEqual([]);
    sp.acknowledge("a", 0, 12, [AckType.ACCEPT], 0);
    expect(sp.canAcquire(100)).toBe(true);
  });

  it("the snapshot keeps done and delivered state; acquired records come back available", () => {
    const sp = new SharePartition("g", "t", 0, 5, 5, limits);
    sp.acquireFromBatch("a", batch(5, 5), 100, 0);
    sp.acknowledge("a", 5, 5, [AckType.ACCEPT], 0);
    sp.acknowledge("a", 7, 7, [AckType.REJECT], 0);
    sp.acknowledge("a", 8, 8, [AckType.RELEASE], 0);
    const snap = sp.snapshot();
    expect(sp.startOffset).toBe(6);
    expect(snap).toEqual([
      { firstOffset: 6, lastOffset: 6, deliveryState: RecordState.AVAILABLE, deliveryCount: 1 },
      { firstOffset: 7, lastOffset: 7, deliveryState: RecordState.ARCHIVED, deliveryCount: 1 },
      { firstOffset: 8, lastOffset: 9, deliveryState: RecordState.AVAILABLE, deliveryCount: 1 },
    ]);
    const back = SharePartition.fromSnapshot("g", "t", 0, sp.startOffset, snap, limits);
    expect([back.startOffset, back.endOffset]).toEqual([6, 10]);
    // After a restart the unacknowledged records are delivered again (delivery count 2); 7 never is.
    expect(back.acquireFromBatch("z", batch(5, 5), 100, 0)).toEqual([6, 8, 9]);
    expect(back.offsets.get(6)!.deliveryCount).toBe(2);
  });

  it("record_limit stops at the room exactly, splitting a batch; the rest is acquired next time", () => {
    const sp = new SharePartition("g", "t", 0, 0, 0, limits);
    expect(sp.acquireFromBatch("a", batch(0, 5), 2, 0, true)).toEqual([0, 1]);
    expect([sp.endOffset, sp.nextFetchOffset()]).toEqual([2, 2]);
    expect(sp.acquireFromBatch("b", batch(0, 5), 0, 0, true)).toEqual([]);
    expect(sp.acquireFromBatch("b", batch(0, 5), 10, 0, true)).toEqual([2, 3, 4]);
    sp.acknowledge("a", 0, 1, [AckType.RELEASE], 0);
    expect(sp.acquireFromBatch("c", batch(0, 5), 1, 0, true)).toEqual([0]);
  });

  it("a batch of an aborted transaction is archived, never acquired", () => {
    const sp = new SharePartition("g", "t", 0, 0, 0, limits);
    expect(sp.acquireFromBatch("a", { ...batch(0, 3), aborted: true }, 10, 0)).toEqual([]);
    expect([sp.startOffset, sp.endOffset]).toEqual([3, 3]);
  });
});

describe("aborted batches (read_committed)", () => {
  const data = (producerId: number, lastOffset: number, transactional = true) => ({ producerId, lastOffset, transactional, control: false, abortMarker: false });
  const marker = (producerId: number, lastOffset: number, abort: boolean) => ({ producerId, lastOffset, transactional: true, control: true, abortMarker: abort });

  it("a producer's batches are aborted from its aborted transaction's first offset to its ABORT marker", () => {
    const f = new AbortedBatches([{ producerId: 7, firstOffset: 2 }]);
    expect(f.isAborted(data(7, 0))).toBe(false); // an earlier, committed transaction of the same producer
    expect(f.isAborted(marker(7, 1, false))).toBe(false);
    expect(f.isAborted(data(7, 3))).toBe(true);
    expect(f.isAborted(data(8, 4))).toBe(false); // another producer
    expect(f.isAborted(data(7, 5, false))).toBe(false); // not transactional
    expect(f.isAborted(marker(7, 6, true))).toBe(false);
    expect(f.isAborted(data(7, 7))).toBe(false); // its next transaction
  });

  it("reads the control type from a control record's key", () => {
    const key = Buffer.alloc(4);
    key.writeInt16BE(0, 0);
    key.writeInt16BE(CONTROL_TYPE_ABORT, 2);
    expect(controlRecordType(key)).toBe(CONTROL_TYPE_ABORT);
    key.writeInt16BE(1, 2);
    expect(controlRecordType(key)).toBe(1);
    expect(controlRecordType(null)).toBe(-1);
  });
});
