/**
 * Which batches of a read_committed share-partition read belong to aborted transactions
 * (`share.isolation.level=read_committed`, KIP-932): the rule a read_committed consumer applies to a
 * fetch, which Kafka 4.4's SharePartition applies to the batches it acquires, archiving those of
 * aborted transactions instead of delivering them.
 *
 * Input: the read's aborted-transactions list (producer id, first offset; storage's
 * collectAbortedTransactions), then the read's batches in offset order. A producer's aborted
 * transaction counts as open from its first offset until a control batch of that producer carrying an
 * ABORT marker; a transactional data batch of a producer with an open aborted transaction is aborted.
 * Batches of committed transactions and non-transactional batches never are. The read itself stops at
 * the last stable offset, so no batch of a still-open transaction is seen.
 */
import type { AbortedTransaction } from "@odradek/storage";

/** Control record key: int16 version, int16 type; type 0 is ABORT, 1 COMMIT (Kafka's ControlRecordType). */
export const CONTROL_TYPE_ABORT = 0;

/** The type of a control record from its key (-1 when the key is too short to say). */
export function controlRecordType(key: Buffer | null): number {
  return key && key.length >= 4 ? key.readInt16BE(2) : -1;
}

export interface BatchFacts {
  producerId: number;
  lastOffset: number;
  transactional: boolean;
  control: boolean;
  /** For a control batch: it holds an ABORT marker. */
  abortMarker: boolean;
}

export class AbortedBatches {
  private readonly pending: AbortedTransaction[];
  private next = 0;
  private readonly open = new Set<number>();

  constructor(aborted: readonly AbortedTransaction[]) {
    this.pending = [...aborted].sort((a, b) => a.firstOffset - b.firstOffset);
  }

  /** Whether this batch (offered in offset order) is one of an aborted transaction. */
  isAborted(b: BatchFacts): boolean {
    while (this.next < this.pending.length && this.pending[this.next]!.firstOffset <= b.lastOffset) this.open.add(this.pending[this.next++]!.producerId);
    if (b.control) {
      if (b.abortMarker) this.open.delete(b.producerId);
      return false;
    }
    return b.transactional && this.open.has(b.producerId);
  }
}
