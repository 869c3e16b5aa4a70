/**
 * ProducerStateManager: per partition, for each idempotent or transactional producer, Kafka's
 * ProducerStateEntry: its epoch, its last 5 batches' sequence and offset ranges (so an append can be
 * checked for duplicates, answered with the original offsets, and sequence gaps), the coordinator
 * epoch of its last transaction marker and the first offset of its open transaction on this partition
 * (`currentTxnFirstOffset`). Rebuilt on load from the newest snapshot at or below the point replay
 * starts from (see LogLoader), then by replaying the batches after it (markers included).
 *
 * Transactions (Kafka's ProducerAppendInfo rules): a transactional data batch opens a transaction at
 * its base offset when the producer has none open; a non-transactional batch from a producer with an
 * open transaction is refused (INVALID_TXN_STATE); a marker (control batch: COMMIT or ABORT) whose
 * epoch is older than the producer's is refused (INVALID_PRODUCER_EPOCH), as is one whose coordinator
 * epoch is older than the last marker's (TRANSACTION_COORDINATOR_FENCED); an accepted marker takes the
 * marker's epoch (a newer epoch clears the batch metadata), its coordinator epoch and timestamp, and
 * completes the open transaction, if any (a marker of an empty transaction completes nothing).
 * The first unstable offset is the smallest first offset of the open transactions (null when none):
 * on this single-replica broker a completed transaction's marker is at once below the high watermark,
 * so there is no "unreplicated" state.
 *
 * Snapshots (`<20-digit offset>.snapshot`, Kafka's layout, see producer-snapshot.ts) are written on
 * segment roll and close, in place and fsynced, as Kafka's: the CRC catches a torn one, and a file
 * lost in a crash only means replaying from an older snapshot; not rewritten when one at that offset
 * was already written. Only each producer's last batch is kept in one (see producer-snapshot.ts).
 */
import type { FileSystem } from "../fs/file-system.js";
import { joinPath, writeFileSynced } from "../fs/file-system.js";
import type { RecordBatchHeader } from "../record/batch.js";
import { isControl, isTransactional } from "../record/batch.js";
import { filenamePrefixFromOffset, offsetFromFileName, SNAPSHOT_SUFFIX } from "./log-files.js";
import { decodeProducerSnapshot, encodeProducerSnapshot } from "./producer-snapshot.js";

export const NUM_BATCHES_TO_RETAIN = 5;
const INT32_MAX = 0x7fffffff;

export interface BatchMetadata {
  firstSeq: number;
  lastSeq: number;
  firstOffset: number;
  lastOffset: number;
}

export interface ProducerStateEntry {
  producerId: number;
  producerEpoch: number;
  /** Oldest first, at most NUM_BATCHES_TO_RETAIN. */
  batches: BatchMetadata[];
  lastTimestamp: number;
  /** The coordinator epoch of the last marker written for this producer (-1: none yet). */
  coordinatorEpoch: number;
  /** The first offset of its open transaction on this partition, or null. */
  currentTxnFirstOffset: number | null;
}

/** The content of a marker's record (Kafka's EndTransactionMarker, with the record's timestamp). */
export interface EndTxnMarker {
  commit: boolean;
  coordinatorEpoch: number;
  timestamp: number;
}

/** A transaction a marker completed (Kafka's CompletedTxn), with the LSO to index it with. */
export interface CompletedTxn {
  producerId: number;
  firstOffset: number;
  /** The marker's offset. */
  lastOffset: number;
  isAborted: boolean;
  /** Kafka's lastStableOffset(completedTxn): the next open transaction of another producer, else lastOffset + 1. */
  lastStableOffset: number;
}

/** Kafka error names an append can fail with because of producer state. */
export type ProducerError = "OUT_OF_ORDER_SEQUENCE_NUMBER" | "INVALID_PRODUCER_EPOCH" | "INVALID_TXN_STATE" | "TRANSACTION_COORDINATOR_FENCED";

export type ProducerCheck =
  | { kind: "ok" }
  | { kind: "duplicate"; firstOffset: number; lastOffset: number }
  | { kind: "error"; error: ProducerError; message: string };

const lastSeqOf = (h: RecordBatchHeader): number => (h.baseSequence + h.lastOffsetDelta) % (INT32_MAX + 1);
const NO_TRANSACTIONS: ReadonlyMap<number, number> = new Map();
const emptyEntry = (producerId: number): ProducerStateEntry => ({ producerId, producerEpoch: -1, batches: [], lastTimestamp: -1, coordinatorEpoch: -1, currentTxnFirstOffset: null });

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerStateEntry>();
  /**
   * Open transactions: producer id → first offset (few: one per producer with a transaction here);
   * null until this partition sees its first transaction (most never do: no Map for them).
   */
  private ongoing: Map<number, number> | null = null;
  /** min(ongoing), or undefined when it must be computed again. */
  private firstUnstable: number | null | undefined = null;
  /** The offset of the snapshot this process last wrote or loaded (its file holds this state then). */
  private lastSnapshotOffset = -1;

  constructor(private readonly fs: FileSystem, private readonly dir: string) {}

  get activeProducers(): ReadonlyMap<number, ProducerStateEntry> {
    return this.producers;
  }

  /**
   * Checks a batch against the producer's state (Kafka's ProducerAppendInfo + findDuplicateBatch);
   * `marker` is the content of a control batch. `pending` holds state updates of earlier batches of
   * the same append, not yet applied; `where` names the partition in messages.
   */
  check(h: RecordBatchHeader, pending?: ReadonlyMap<number, ProducerStateEntry>, marker?: EndTxnMarker | null, where = "", origin: "client" | "coordinator" = "client"): ProducerCheck {
    if (h.producerId < 0) return { kind: "ok" };
    const e = pending?.get(h.producerId) ?? this.producers.get(h.producerId);
    if (!e) return { kind: "ok" };
    if (h.producerEpoch < e.producerEpoch) {
      return { kind: "error", error: "INVALID_PRODUCER_EPOCH", message: `Epoch of producer ${h.producerId} at offset ${h.baseOffset} in ${where} is ${h.producerEpoch}, which is smaller than the last seen epoch ${e.producerEpoch}` };
    }
    if (isControl(h.attributes)) {
      if (marker && e.coordinatorEpoch > marker.coordinatorEpoch) {
        return { kind: "error", error: "TRANSACTION_COORDINATOR_FENCED", message: `Invalid coordinator epoch for producerId ${h.producerId} at offset ${h.baseOffset} in partition ${where}: ${marker.coordinatorEpoch} (zombie), ${e.coordinatorEpoch} (current)` };
      }
      return { kind: "ok" };
    }
    // A coordinator's own transactional writes (TxnOffsetCommit in __consumer_offsets) carry no
    // sequence: Kafka checks sequences for client appends only.
    if (origin === "coordinator") return this.checkTxnState(e, h, where);
    const firstSeq = h.baseSequence;
    const lastSeq = lastSeqOf(h);
    if (h.producerEpoch > e.producerEpoch) {
      if (firstSeq !== 0 && e.producerEpoch !== -1) return { kind: "error", error: "OUT_OF_ORDER_SEQUENCE_NUMBER", message: `new epoch ${h.producerEpoch} of producer ${h.producerId} starts at sequence ${firstSeq}, not 0` };
      return this.checkTxnState(e, h, where);
    }
    const dup = e.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    if (dup) return { kind: "duplicate", firstOffset: dup.firstOffset, lastOffset: dup.lastOffset };
    // No batch of this epoch (a marker bumped it, or none since a snapshot): Kafka's last sequence -1.
    const currentLastSeq = e.batches[e.batches.length - 1]?.lastSeq ?? -1;
    const inSequence = firstSeq === currentLastSeq + 1 || (firstSeq === 0 && currentLastSeq === INT32_MAX);
    if (!inSequence && e.producerEpoch !== -1) {
      return { kind: "error", error: "OUT_OF_ORDER_SEQUENCE_NUMBER", message: `producer ${h.producerId} sent sequence ${firstSeq} after ${currentLastSeq}` };
    }
    return this.checkTxnState(e, h, where);
  }

  private checkTxnState(e: ProducerStateEntry, h: RecordBatchHeader, where: string): ProducerCheck {
    if (e.currentTxnFirstOffset !== null && !isTransactional(h.attributes)) {
      return { kind: "error", error: "INVALID_TXN_STATE", message: `Expected transactional write from producer ${h.producerId} at offset ${h.baseOffset} in partition ${where}` };
    }
    return { kind: "ok" };
  }

  /**
   * The entry after applying the batch (offset-assigned header; `marker` for a control batch) to
   * `base` (not stored); undefined for a control batch without a marker (emptied by the cleaner).
   */
  static apply(base: ProducerStateEntry | undefined, h: RecordBatchHeader, marker?: EndTxnMarker | null): ProducerStateEntry | undefined {
    const e: ProducerStateEntry = base ? { ...base, batches: base.producerEpoch === h.producerEpoch ? base.batches.slice() : [] } : emptyEntry(h.producerId);
    e.producerEpoch = h.producerEpoch;
    if (isControl(h.attributes)) {
      if (!marker) return base;
      e.coordinatorEpoch = marker.coordinatorEpoch;
      e.currentTxnFirstOffset = null;
      e.lastTimestamp = marker.timestamp;
      return e;
    }
    if (h.baseSequence >= 0) {
      e.batches.push({ firstSeq: h.baseSequence, lastSeq: lastSeqOf(h), firstOffset: h.baseOffset, lastOffset: h.baseOffset + h.lastOffsetDelta });
      if (e.batches.length > NUM_BATCHES_TO_RETAIN) e.batches.shift();
    }
    e.lastTimestamp = Math.max(e.lastTimestamp, h.maxTimestamp);
    if (isTransactional(h.attributes) && e.currentTxnFirstOffset === null) e.currentTxnFirstOffset = h.baseOffset;
    return e;
  }

  /** Applies an appended (or replayed) batch; returns the transaction a marker completed, if any. */
  update(h: RecordBatchHeader, marker?: EndTxnMarker | null): CompletedTxn | null {
    if (h.producerId < 0) return null;
    const before = this.producers.get(h.producerId);
    const after = ProducerStateManager.apply(before, h, marker);
    if (!after) return null;
    this.producers.set(h.producerId, after);
    const open = before?.currentTxnFirstOffset ?? null;
    if (open === null && after.currentTxnFirstOffset !== null) this.setOngoing(h.producerId, after.currentTxnFirstOffset);
    if (open === null || after.currentTxnFirstOffset !== null || !marker) return null;
    const completed: CompletedTxn = { producerId: h.producerId, firstOffset: open, lastOffset: h.baseOffset, isAborted: !marker.commit, lastStableOffset: h.baseOffset + 1 };
    for (const [pid, first] of this.ongoing ?? NO_TRANSACTIONS) {
      if (pid !== h.producerId && first < completed.lastStableOffset) completed.lastStableOffset = first;
    }
    this.setOngoing(h.producerId, null);
    return completed;
  }

  private setOngoing(producerId: number, firstOffset: number | null): void {
    if (firstOffset === null) this.ongoing?.delete(producerId);
    else (this.ongoing ??= new Map()).set(producerId, firstOffset);
    this.firstUnstable = undefined;
  }

  /** The first offset of the oldest open transaction, or null (Kafka's firstUndecidedOffset). */
  firstUnstableOffset(): number | null {
    if (this.firstUnstable === undefined) {
      let min: number | null = null;
      for (const first of (this.ongoing ?? NO_TRANSACTIONS).values()) if (min === null || first < min) min = first;
      this.firstUnstable = min;
    }
    return this.firstUnstable;
  }

  /**
   * `producer.id.expiration.ms` (Kafka's removeExpiredProducers): forgets producers whose last batch
   * or marker is older than `expirationMs` and that have no open transaction here. A later batch of a
   * forgotten producer is taken as a new one (no duplicate detection against what it sent before).
   */
  removeExpired(now: number, expirationMs: number): number {
    let n = 0;
    for (const [id, e] of this.producers) {
      if (e.currentTxnFirstOffset === null && now - e.lastTimestamp >= expirationMs) {
        this.producers.delete(id);
        n++;
      }
    }
    return n;
  }

  clear(): void {
    this.producers.clear();
    this.ongoing?.clear();
    this.firstUnstable = null;
  }

  private load(entries: Iterable<ProducerStateEntry>): void {
    this.clear();
    for (const e of entries) {
      this.producers.set(e.producerId, e);
      if (e.currentTxnFirstOffset !== null) this.setOngoing(e.producerId, e.currentTxnFirstOffset);
    }
  }

  private snapshotPath(offset: number): string {
    return joinPath(this.dir, filenamePrefixFromOffset(offset) + SNAPSHOT_SUFFIX);
  }

  async listSnapshots(): Promise<number[]> {
    const names = await this.fs.readdir(this.dir);
    return names.filter((n) => n.endsWith(SNAPSHOT_SUFFIX)).map((n) => offsetFromFileName(n)).filter((o): o is number => o !== null).sort((a, b) => a - b);
  }

  /** Writes `<offset>.snapshot` with the current state (which must be the state at `offset`). */
  async takeSnapshot(offset: number): Promise<void> {
    if (offset === this.lastSnapshotOffset) return;
    await writeFileSynced(this.fs, this.snapshotPath(offset), encodeProducerSnapshot(this.producers.values()));
    this.lastSnapshotOffset = offset;
  }

  /**
   * Loads the newest valid snapshot at or below `maxOffset`, deleting newer and invalid ones.
   * @returns the offset replay must start from (the snapshot's), or null when there is none
   */
  async loadLatestSnapshot(maxOffset: number): Promise<number | null> {
    this.clear();
    this.lastSnapshotOffset = -1;
    const offsets = await this.listSnapshots();
    for (const o of offsets.slice().reverse()) {
      const entries = o > maxOffset ? null : decodeProducerSnapshot(await this.fs.readFile(this.snapshotPath(o)));
      if (!entries) {
        await this.fs.unlink(this.snapshotPath(o)).catch(() => {});
        continue;
      }
      this.load(entries);
      this.lastSnapshotOffset = o;
      return o;
    }
    return null;
  }

  /** Deletes snapshots beyond the newest `keep` and those below `minOffset`; the newest is always kept. */
  async cleanSnapshots(keep: number, minOffset: number): Promise<void> {
    const offsets = await this.listSnapshots();
    const newest = offsets[offsets.length - 1];
    for (let i = 0; i < offsets.length; i++) {
      const o = offsets[i]!;
      if (o === newest) continue;
      if (i < offsets.length - keep || o < minOffset) await this.fs.unlink(this.snapshotPath(o)).catch(() => {});
    }
  }

  async deleteSnapshotsFrom(offset: number): Promise<void> {
    if (this.lastSnapshotOffset > offset) this.lastSnapshotOffset = -1;
    for (const o of await this.listSnapshots()) if (o > offset) await this.fs.unlink(this.snapshotPath(o)).catch(() => {});
  }
}
