/**
 * ProducerStateManager: per partition, for each idempotent producer, its epoch and its last 5 batches'
 * sequence and offset ranges (Kafka's ProducerStateEntry), so an append can be checked for duplicates
 * (answered with the original offsets) and sequence gaps. Rebuilt on load from the newest snapshot at
 * or below the log end offset, then by replaying the batches after it.
 *
 * Snapshot file `<20-digit offset>.snapshot` (the state after every batch below that offset; written
 * on segment roll and close, in place and fsynced, as Kafka's: the CRC catches a torn one, and a file
 * lost in a crash only means replaying from an older snapshot; not rewritten when one at that offset
 * was already written), big-endian, odradek's own format (Kafka's is different; not shared):
 *
 *   version        int8    1
 *   crc            uint32  CRC-32C of every byte after this field
 *   offset         int64   the snapshot offset (= file name)
 *   count          int32   producers
 *   producer × count:
 *     producerId   int64
 *     epoch        int16
 *     lastTimestamp int64
 *     batchCount   int8    <= 5, oldest first
 *     batch × batchCount: firstSeq int32 | lastSeq int32 | firstOffset int64 | lastOffset int64
 *
 * A snapshot whose version is unknown or whose CRC fails is deleted and the state rebuilt from an
 * older one (or from the log start). Migration: bump the version; a reader that does not know it
 * falls back to rebuilding by replay, which is always correct.
 * Transactions (seam): `firstUnstableOffset` is null until transactional batches and markers are
 * tracked; the log's last stable offset is then the high watermark.
 */
import type { FileSystem } from "../fs/file-system.js";
import { joinPath, writeFileSynced } from "../fs/file-system.js";
import type { RecordBatchHeader } from "../record/batch.js";
import { crc32c, readInt64, writeInt64 } from "../record/batch.js";
import { filenamePrefixFromOffset, offsetFromFileName, SNAPSHOT_SUFFIX } from "./log-files.js";

export const NUM_BATCHES_TO_RETAIN = 5;
const SNAPSHOT_VERSION = 1;
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
}

/** Kafka error names an append can fail with because of producer state. */
export type ProducerError = "OUT_OF_ORDER_SEQUENCE_NUMBER" | "INVALID_PRODUCER_EPOCH";

export type ProducerCheck =
  | { kind: "ok" }
  | { kind: "duplicate"; firstOffset: number; lastOffset: number }
  | { kind: "error"; error: ProducerError; message: string };

const lastSeqOf = (h: RecordBatchHeader): number => (h.baseSequence + h.lastOffsetDelta) % (INT32_MAX + 1);

export class ProducerStateManager {
  private readonly producers = new Map<number, ProducerStateEntry>();
  /** The offset of the snapshot this process last wrote or loaded (its file holds this state then). */
  private lastSnapshotOffset = -1;

  constructor(private readonly fs: FileSystem, private readonly dir: string) {}

  get activeProducers(): ReadonlyMap<number, ProducerStateEntry> {
    return this.producers;
  }

  /**
   * Checks a batch against the producer's state (Kafka's ProducerAppendInfo + findDuplicateBatch).
   * `pending` holds state updates of earlier batches of the same append, not yet applied.
   */
  check(h: RecordBatchHeader, pending?: ReadonlyMap<number, ProducerStateEntry>): ProducerCheck {
    if (h.producerId < 0) return { kind: "ok" };
    const e = pending?.get(h.producerId) ?? this.producers.get(h.producerId);
    if (!e) return { kind: "ok" };
    if (h.producerEpoch < e.producerEpoch) {
      return { kind: "error", error: "INVALID_PRODUCER_EPOCH", message: `epoch ${h.producerEpoch} is older than the current ${e.producerEpoch} of producer ${h.producerId}` };
    }
    const firstSeq = h.baseSequence;
    const lastSeq = lastSeqOf(h);
    if (h.producerEpoch > e.producerEpoch) {
      if (firstSeq !== 0) return { kind: "error", error: "OUT_OF_ORDER_SEQUENCE_NUMBER", message: `new epoch ${h.producerEpoch} of producer ${h.producerId} starts at sequence ${firstSeq}, not 0` };
      return { kind: "ok" };
    }
    const dup = e.batches.find((b) => b.firstSeq === firstSeq && b.lastSeq === lastSeq);
    if (dup) return { kind: "duplicate", firstOffset: dup.firstOffset, lastOffset: dup.lastOffset };
    const last = e.batches[e.batches.length - 1];
    if (!last) return { kind: "ok" };
    const inSequence = firstSeq === last.lastSeq + 1 || (firstSeq === 0 && last.lastSeq === INT32_MAX);
    if (!inSequence) {
      return { kind: "error", error: "OUT_OF_ORDER_SEQUENCE_NUMBER", message: `producer ${h.producerId} sent sequence ${firstSeq} after ${last.lastSeq}` };
    }
    return { kind: "ok" };
  }

  /** The entry after applying the batch (offset-assigned header) to `base` (not stored). */
  static apply(base: ProducerStateEntry | undefined, h: RecordBatchHeader): ProducerStateEntry {
    const e: ProducerStateEntry =
      base && base.producerEpoch === h.producerEpoch
        ? { ...base, batches: base.batches.slice() }
        : { producerId: h.producerId, producerEpoch: h.producerEpoch, batches: [], lastTimestamp: -1 };
    if (h.baseSequence >= 0) {
      e.batches.push({ firstSeq: h.baseSequence, lastSeq: lastSeqOf(h), firstOffset: h.baseOffset, lastOffset: h.baseOffset + h.lastOffsetDelta });
      if (e.batches.length > NUM_BATCHES_TO_RETAIN) e.batches.shift();
    }
    e.lastTimestamp = Math.max(e.lastTimestamp, h.maxTimestamp);
    return e;
  }

  /** Applies an appended (or replayed) batch. */
  update(h: RecordBatchHeader): void {
    if (h.producerId < 0) return;
    this.producers.set(h.producerId, ProducerStateManager.apply(this.producers.get(h.producerId), h));
  }

  /** Seam for transactions: the first offset of the oldest open transaction, or null. */
  firstUnstableOffset(): number | null {
    return null;
  }

  clear(): void {
    this.producers.clear();
  }

  /** Drops batch metadata at or above `offset` (after a log truncation; replay then restores exactness). */
  truncateFrom(offset: number): void {
    for (const [pid, e] of this.producers) {
      e.batches = e.batches.filter((b) => b.lastOffset < offset);
      if (e.batches.length === 0) this.producers.delete(pid);
    }
  }

  private snapshotPath(offset: number): string {
    return joinPath(this.dir, filenamePrefixFromOffset(offset) + SNAPSHOT_SUFFIX);
  }

  async listSnapshots(): Promise<number[]> {
    const names = await this.fs.readdir(this.dir);
    return names.filter((n) => n.endsWith(SNAPSHOT_SUFFIX)).map((n) => offsetFromFileName(n)).filter((o): o is number => o !== null).sort((a, b) => a - b);
  }

  static encodeSnapshot(offset: number, producers: Iterable<ProducerStateEntry>): Buffer {
    const list = [...producers];
    const size = 1 + 4 + 8 + 4 + list.reduce((n, e) => n + 8 + 2 + 8 + 1 + e.batches.length * 24, 0);
    const b = Buffer.alloc(size);
    b.writeInt8(SNAPSHOT_VERSION, 0);
    writeInt64(b, offset, 5);
    b.writeInt32BE(list.length, 13);
    let p = 17;
    for (const e of list) {
      writeInt64(b, e.producerId, p);
      b.writeInt16BE(e.producerEpoch, p + 8);
      writeInt64(b, e.lastTimestamp, p + 10);
      b.writeInt8(e.batches.length, p + 18);
      p += 19;
      for (const m of e.batches) {
        b.writeInt32BE(m.firstSeq, p);
        b.writeInt32BE(m.lastSeq, p + 4);
        writeInt64(b, m.firstOffset, p + 8);
        writeInt64(b, m.lastOffset, p + 16);
        p += 24;
      }
    }
    b.writeUInt32BE(crc32c(b, 5, size), 1);
    return b;
  }

  /** @returns the entries, or null when the bytes are not a valid version-1 snapshot */
  static decodeSnapshot(b: Buffer): { offset: number; producers: ProducerStateEntry[] } | null {
    try {
      if (b.length < 17 || b.readInt8(0) !== SNAPSHOT_VERSION || b.readUInt32BE(1) !== crc32c(b, 5, b.length)) return null;
      const offset = readInt64(b, 5);
      const count = b.readInt32BE(13);
      const producers: ProducerStateEntry[] = [];
      let p = 17;
      for (let i = 0; i < count; i++) {
        const e: ProducerStateEntry = { producerId: readInt64(b, p), producerEpoch: b.readInt16BE(p + 8), lastTimestamp: readInt64(b, p + 10), batches: [] };
        const n = b.readInt8(p + 18);
        p += 19;
        for (let j = 0; j < n; j++) {
          e.batches.push({ firstSeq: b.readInt32BE(p), lastSeq: b.readInt32BE(p + 4), firstOffset: readInt64(b, p + 8), lastOffset: readInt64(b, p + 16) });
          p += 24;
        }
        producers.push(e);
      }
      return p === b.length ? { offset, producers } : null;
    } catch {
      return null;
    }
  }

  /** Writes `<offset>.snapshot` with the current state (which must be the state at `offset`). */
  async takeSnapshot(offset: number): Promise<void> {
    if (offset === this.lastSnapshotOffset) return;
    await writeFileSynced(this.fs, this.snapshotPath(offset), ProducerStateManager.encodeSnapshot(offset, this.producers.values()));
    this.lastSnapshotOffset = offset;
  }

  /**
   * Loads the newest valid snapshot at or below `maxOffset`, deleting newer and invalid ones.
   * @returns the offset replay must start from (the snapshot's), or null when there is none
   */
  async loadLatestSnapshot(maxOffset: number): Promise<number | null> {
    this.producers.clear();
    this.lastSnapshotOffset = -1;
    const offsets = await this.listSnapshots();
    for (const o of offsets.slice().reverse()) {
      if (o > maxOffset) {
        await this.fs.unlink(this.snapshotPath(o)).catch(() => {});
        continue;
      }
      const decoded = ProducerStateManager.decodeSnapshot(await this.fs.readFile(this.snapshotPath(o)));
      if (!decoded || decoded.offset !== o) {
        await this.fs.unlink(this.snapshotPath(o)).catch(() => {});
        continue;
      }
      for (const e of decoded.producers) this.producers.set(e.producerId, e);
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
