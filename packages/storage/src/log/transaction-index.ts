/**
 * TransactionIndex: the `.txnindex` file of a segment, Kafka's layout byte for byte (AbortedTxn).
 *
 *   entry (34 bytes, big-endian):
 *     version          int16  0
 *     producerId       int64
 *     firstOffset      int64  the aborted transaction's first offset on this partition
 *     lastOffset       int64  the offset of its ABORT marker (which lies in this segment)
 *     lastStableOffset int64  the partition's LSO once the marker was written: the first offset of
 *                             the oldest transaction of another producer still open, else lastOffset + 1
 *
 * One entry per aborted transaction that had data on the partition (an abort of an empty transaction
 * adds none), appended when its marker is written, in the segment holding the marker; entries increase
 * strictly in lastOffset. Committed transactions are not indexed. A read_committed fetch of
 * [fetchOffset, upperBound) reports every entry with lastOffset >= fetchOffset and firstOffset <
 * upperBound, walking this segment and the later ones until an entry's lastStableOffset reaches
 * upperBound (no later segment can then hold an overlapping entry: see collectAbortedTxns).
 *
 * Kept in memory like the other indexes (AbstractIndex: written on flush, trim and close; after a crash
 * the segments past the recovery point are rebuilt from the log with the producer state, see
 * LogLoader). As Kafka's, the file is created only when the segment gets its first entry: a segment
 * without an aborted transaction has no `.txnindex`, no buffer and nothing to open, and a missing or
 * empty file reads as an empty index (a rebuild is triggered by the offset or time index, whose
 * files every segment has). An entry of an unknown version fails the sanity check (rebuilt).
 * Migration: a new layout takes a new version; older readers then rebuild from the log.
 */
import type { FileSystem } from "../fs/file-system.js";
import { CorruptLogError } from "../errors.js";
import { readInt64, writeInt64 } from "../record/batch.js";
import { AbstractIndex } from "./abstract-index.js";

export const ABORTED_TXN_SIZE = 34;
const ABORTED_TXN_VERSION = 0;
/** No limit of its own in Kafka: bound only so AbstractIndex's buffer arithmetic stays finite. */
const MAX_TXN_INDEX_BYTES = ABORTED_TXN_SIZE * 2 ** 24;

export interface AbortedTxn {
  producerId: number;
  firstOffset: number;
  lastOffset: number;
  lastStableOffset: number;
}

export class TransactionIndex extends AbstractIndex {
  static async open(fs: FileSystem, path: string, baseOffset: number, load: boolean): Promise<TransactionIndex> {
    const idx = new TransactionIndex(fs, path, baseOffset, MAX_TXN_INDEX_BYTES, ABORTED_TXN_SIZE);
    await idx.init(load);
    return idx;
  }
  protected zeroEntryValid(): boolean {
    return false;
  }
  protected override createdOnFirstEntry(): boolean {
    return true;
  }
  protected keyOf(i: number): number {
    return readInt64(this.mem, i * ABORTED_TXN_SIZE + 18);
  }

  entry(i: number): AbortedTxn {
    const p = i * ABORTED_TXN_SIZE;
    return { producerId: readInt64(this.mem, p + 2), firstOffset: readInt64(this.mem, p + 10), lastOffset: readInt64(this.mem, p + 18), lastStableOffset: readInt64(this.mem, p + 26) };
  }

  allAbortedTxns(): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    for (let i = 0; i < this._entries; i++) out.push(this.entry(i));
    return out;
  }

  /** @throws CorruptLogError when `txn.lastOffset` does not exceed the last entry's (Kafka's rule) */
  append(txn: AbortedTxn): void {
    if (this._entries > 0 && this.keyOf(this._entries - 1) >= txn.lastOffset) {
      throw new CorruptLogError(`aborted transaction ending at ${txn.lastOffset} is not after the last one of ${this.path}`);
    }
    this.pushEntry((b, p) => {
      b.writeInt16BE(ABORTED_TXN_VERSION, p);
      writeInt64(b, txn.producerId, p + 2);
      writeInt64(b, txn.firstOffset, p + 10);
      writeInt64(b, txn.lastOffset, p + 18);
      writeInt64(b, txn.lastStableOffset, p + 26);
    });
  }

  /**
   * Kafka's collectAbortedTxns: the entries overlapping [fetchOffset, upperBoundOffset), and whether the
   * search is complete (an entry's lastStableOffset >= upperBoundOffset: every transaction that could
   * overlap the range had completed by then, so later segments cannot add one).
   */
  collectAbortedTxns(fetchOffset: number, upperBoundOffset: number): { abortedTransactions: AbortedTxn[]; isComplete: boolean } {
    const abortedTransactions: AbortedTxn[] = [];
    for (let i = 0; i < this._entries; i++) {
      const t = this.entry(i);
      if (t.lastOffset >= fetchOffset && t.firstOffset < upperBoundOffset) abortedTransactions.push(t);
      if (t.lastStableOffset >= upperBoundOffset) return { abortedTransactions, isComplete: true };
    }
    return { abortedTransactions, isComplete: false };
  }

  override sanityCheck(): void {
    super.sanityCheck();
    for (let i = 0; i < this._entries; i++) {
      const v = this.mem.readInt16BE(i * ABORTED_TXN_SIZE);
      if (v !== ABORTED_TXN_VERSION) throw new CorruptLogError(`aborted transaction ${i} of ${this.path} has version ${v}`);
    }
  }
}
