/**
 * CleanedTransactionMetadata: the transactions a compaction pass walks through (Kafka's class of that
 * name in LogCleaner), batch by batch in offset order from the first segment of the pass.
 *
 * - A transactional data batch of an aborted transaction (known from the `.txnindex` files: an aborted
 *   transaction is "ongoing" from its first offset until its ABORT marker) is discarded whole,
 *   whatever its keys; it never enters the offset map.
 * - An ABORT marker is kept while this pass saw data of its transaction (that data is removed now; the
 *   marker goes into the rewritten segment's `.txnindex`); otherwise no data is left and it may go.
 * - A COMMIT marker may go when this pass saw no data of its transaction.
 * A marker that may go is removed as a tombstone is (KIP-534): first stamped with a delete horizon of
 * now + delete.retention.ms, removed by a pass after that (so a consumer that read the data before the
 * marker still sees it). Empty control batches (cleaned to a header) may always go.
 */
import type { RecordBatchHeader } from "../record/batch.js";
import { isTransactional } from "../record/batch.js";
import type { EndTxnMarker } from "./producer-state-manager.js";
import type { AbortedTxn } from "./transaction-index.js";
import type { LogSegment } from "./log-segment.js";

export class CleanedTransactionMetadata {
  private readonly committed = new Set<number>();
  private readonly abortedOngoing = new Map<number, { txn: AbortedTxn; lastObserved: number | null }>();
  /** Aborted transactions not reached yet, by first offset. */
  private readonly pending: AbortedTxn[];
  private next = 0;

  /** From the `.txnindex` of every segment of the log (entries are few: one per aborted transaction). */
  constructor(segments: readonly LogSegment[]) {
    this.pending = segments.flatMap((s) => s.txnIndex.allAbortedTxns()).sort((a, b) => a.firstOffset - b.firstOffset);
  }

  private consumeUpTo(offset: number): void {
    while (this.next < this.pending.length && this.pending[this.next]!.firstOffset <= offset) {
      const t = this.pending[this.next++]!;
      if (!this.abortedOngoing.has(t.producerId)) this.abortedOngoing.set(t.producerId, { txn: t, lastObserved: null });
    }
  }

  /** A data batch: whether it belongs to an aborted transaction (discard it). */
  onBatchRead(h: RecordBatchHeader): boolean {
    const lastOffset = h.baseOffset + h.lastOffsetDelta;
    this.consumeUpTo(lastOffset);
    if (!isTransactional(h.attributes)) return false;
    const aborted = this.abortedOngoing.get(h.producerId);
    if (aborted) {
      aborted.lastObserved = lastOffset;
      return true;
    }
    this.committed.add(h.producerId);
    return false;
  }

  /**
   * A control batch (`marker` null when it holds none): whether it may be discarded, and the aborted
   * transaction to index in the rewritten segment when it is kept.
   */
  onControlBatchRead(h: RecordBatchHeader, marker: EndTxnMarker | null): { canDiscard: boolean; indexEntry?: AbortedTxn } {
    this.consumeUpTo(h.baseOffset + h.lastOffsetDelta);
    if (!marker) return { canDiscard: true };
    if (marker.commit) return { canDiscard: !this.committed.delete(h.producerId) };
    const aborted = this.abortedOngoing.get(h.producerId);
    this.abortedOngoing.delete(h.producerId);
    if (aborted && aborted.lastObserved !== null) return { canDiscard: false, indexEntry: aborted.txn };
    return { canDiscard: true };
  }
}
