/**
 * The aborted transactions a read_committed fetch reports (Kafka's LocalLog.collectAbortedTransactions
 * over the segments' TransactionIndex files).
 *
 * For a read of [fetchOffset, upperBoundOffset): every aborted transaction with lastOffset (its ABORT
 * marker) >= fetchOffset and firstOffset < upperBoundOffset, from the transaction index of the segment
 * the read started in and of each later one, until an index reports the search complete (an entry whose
 * lastStableOffset reaches upperBoundOffset: every transaction that could overlap had completed by
 * then). Entries come in marker order, which the consumer relies on as Kafka's order. Transactions still
 * open are never reported: a read_committed read stops at the LSO, below their first offset.
 * upperBoundOffset is the end of the batches returned (exact; Kafka takes the next offset-index entry
 * after them, which can only add transactions that the consumer then ignores).
 */
import { LOG_OVERHEAD, RECORD_BATCH_OVERHEAD, readInt64 } from "../record/batch.js";
import type { AbortedTransaction } from "./partition-log.js";
import type { LogSegments } from "./log-segments.js";

export function collectAbortedTransactions(segments: LogSegments, startingSegmentBase: number, fetchOffset: number, upperBoundOffset: number): AbortedTransaction[] {
  const out: AbortedTransaction[] = [];
  for (const seg of segments.values()) {
    if (seg.baseOffset < startingSegmentBase) continue;
    const r = seg.txnIndex.collectAbortedTxns(fetchOffset, upperBoundOffset);
    for (const t of r.abortedTransactions) out.push({ producerId: t.producerId, firstOffset: t.firstOffset });
    if (r.isComplete) break;
  }
  return out;
}

/** The offset after the last of the whole batches in `bytes` (they start at a batch boundary). */
export function endOffsetOf(bytes: Buffer): number {
  let pos = 0;
  let end = -1;
  // v2 header: baseOffset at 0, batchLength at 8, lastOffsetDelta at 23.
  while (pos + RECORD_BATCH_OVERHEAD <= bytes.length) {
    end = readInt64(bytes, pos) + bytes.readInt32BE(pos + 23) + 1;
    pos += bytes.readInt32BE(pos + 8) + LOG_OVERHEAD;
  }
  return end;
}
