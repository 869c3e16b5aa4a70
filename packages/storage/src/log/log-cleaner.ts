/**
 * LogCleaner: compaction for `cleanup.policy=compact` (and `compact,delete`) logs.
 *
 * A pass over a log, as Kafka's: (1) the cleanable range is the closed segments wholly below the
 * recovery point (never the active segment, never unsynced data); its first part up to `cleanedUpTo` is
 * the clean section (already compacted: each key at most once), the rest is dirty; (2) an offset map
 * key → newest offset is built over the dirty segments, as many whole segments as `maxMapEntries`
 * allows (at least one; Kafka bounds its map by log.cleaner.dedupe.buffer.size the same way), so a
 * pass cleans [first segment, end of the map) and the next pass goes on from there; (3) every segment
 * of that range with something to remove is streamed into `<base>.log.cleaned` (+ indexes; memory
 * bounded by a chunk, whatever segment.bytes is), synced, and swapped in through the log's queue
 * (`.cleaned` → `.swap`, old → `.deleted`, `.swap` → live; LogLoader completes or discards an
 * interrupted swap). Appends never wait for the rewrite, only for the renames.
 * A record is removed when the map holds a newer offset for its key; records of the clean section
 * whose key is not in the map stay. The LogManager checkpoints `cleanedOffset` in
 * cleaner-offset-checkpoint (as Kafka) and restores it on start. A wrong value only costs compaction,
 * never data: a record is removed only when a newer offset of its key was seen.
 *
 * Kept: every record that is the newest of its key in the range, and null-key records. Compressed
 * batches are decompressed (their keys enter the offset map like any other) and a rewritten batch is
 * compressed again with its own codec (records/rebuildBatch: offsets, producer fields, leader epoch and
 * record timestamps kept, as Kafka's cleaner). Decompression and compression are async and happen
 * outside the log's queue, so appends never wait for them.
 *
 * Tombstones (null values) follow KIP-534's delete horizon: the first pass that keeps a tombstone in a
 * batch without a horizon rewrites the batch with attribute bit 6 set and baseTimestamp = now +
 * `delete.retention.ms` (the records' timestamps do not change: their deltas are re-based); a later
 * pass at or after that horizon drops the tombstone. A log with tombstones left is cleaned again even
 * when nothing new was appended (`pendingTombstones`).
 *
 * A batch left empty is dropped, unless it is the last batch of an active producer (as Kafka): then its
 * header is kept with no records (Kafka's empty header, uncompressed) so the producer's last sequence
 * survives a rebuild of producer state from the log.
 *
 * Transactions (Kafka's cleaner, see cleaned-transaction-metadata.ts): the cleanable range also ends
 * at the first unstable offset (an open transaction's data is never cleaned); data of aborted
 * transactions is removed whole and never enters the offset map; markers whose transaction has no data
 * left get a delete horizon and go after delete.retention.ms; a rewritten segment's `.txnindex` holds
 * the aborts whose data it still had in this pass. A control batch that is its producer's last
 * (no data batch known, same epoch) is kept for fencing, as Kafka keeps it.
 */
import type { FileSystem } from "../fs/file-system.js";
import type { Logger } from "../logger.js";
import type { RecordBatchHeader } from "../record/batch.js";
import { hasDeleteHorizon, isControl } from "../record/batch.js";
import { readEndTxnMarker } from "../record/control.js";
import { CleanedTransactionMetadata } from "./cleaned-transaction-metadata.js";
import type { AbortedTxn } from "./transaction-index.js";
import { rebuildBatch, recordsOf } from "../record/records.js";
import type { LogSegment } from "./log-segment.js";
import type { UnifiedLog } from "./unified-log.js";
import { CLEANED_SUFFIX, SWAP_SUFFIX } from "./log-files.js";
import { CleanedSegmentWriter } from "./cleaned-segment-writer.js";

/** Whether `h` is the newest batch of its (idempotent) producer, whose header must outlive its records. */
function isProducersLastBatch(log: UnifiedLog, h: RecordBatchHeader): boolean {
  if (h.producerId < 0) return false;
  const entry = log.producerState.activeProducers.get(h.producerId);
  const last = entry?.batches[entry.batches.length - 1];
  if (!last) return entry !== undefined && isControl(h.attributes) && h.producerEpoch === entry.producerEpoch;
  return last.lastOffset === h.baseOffset + h.lastOffsetDelta;
}

export interface CleanerStats {
  segmentsRewritten: number;
  recordsRemoved: number;
}

export interface LogCleanerParams {
  fs: FileSystem;
  logger: Logger;
  time: () => number;
  /** Keys the offset map may hold in one pass (default 1,000,000: ~100 MB of map at most). */
  maxMapEntries?: number | undefined;
}

const DEFAULT_MAX_MAP_ENTRIES = 1_000_000;

export class LogCleaner {
  /** Per log: the end offset of its clean section (everything below was compacted by an earlier pass). */
  private readonly cleanedUpTo = new WeakMap<UnifiedLog, number>();
  private readonly pendingTombstones = new WeakSet<UnifiedLog>();
  /** Read once at the start of each pass: a change (reconfigure) applies from the next one. */
  maxMapEntries: number;

  constructor(private readonly p: LogCleanerParams) {
    this.maxMapEntries = p.maxMapEntries ?? DEFAULT_MAX_MAP_ENTRIES;
  }

  /** The end offset of `log`'s clean section, when a pass has run or it was restored. */
  cleanedOffset(log: UnifiedLog): number | undefined {
    return this.cleanedUpTo.get(log);
  }

  /** Restores a checkpointed clean section end (clamped to the log's end). */
  restore(log: UnifiedLog, offset: number): void {
    this.cleanedUpTo.set(log, Math.max(0, Math.min(offset, log.logEndOffset)));
  }

  /** One compaction pass over `log` (see the module header). */
  async clean(log: UnifiedLog, now = this.p.time()): Promise<CleanerStats> {
    const stats: CleanerStats = { segmentsRewritten: 0, recordsRemoved: 0 };
    const cleanable: LogSegment[] = [];
    for (const seg of log.closedSegments()) {
      const end = log.segments.next(seg)?.baseOffset ?? Infinity;
      if (end > log.recoveryPoint || end > log.lastStableOffset) break;
      cleanable.push(seg);
    }
    const last = cleanable[cleanable.length - 1];
    if (!last) return stats;
    const upTo = log.segments.next(last)!.baseOffset;
    const firstDirty = this.cleanedUpTo.get(log) ?? 0;
    if (firstDirty >= upTo && !this.pendingTombstones.has(log)) return stats;
    const maxMapEntries = this.maxMapEntries;
    for (const s of cleanable) s.acquire();
    try {
      // Offset map over the dirty segments, whole segments while they fit (a segment holds at most
      // next base - base offsets).
      const map = new Map<string, number>();
      const mapTxns = new CleanedTransactionMetadata(log.segments.values());
      let mapEnd = firstDirty;
      for (const seg of cleanable) {
        const end = log.segments.next(seg)!.baseOffset;
        if (end <= firstDirty) continue;
        if (mapEnd > firstDirty && map.size + (end - seg.baseOffset) > maxMapEntries) break;
        for await (const { h, bytes } of seg.batches()) {
          if (isControl(h.attributes)) {
            mapTxns.onControlBatchRead(h, readEndTxnMarker(bytes, 0, h));
            continue;
          }
          if (mapTxns.onBatchRead(h)) continue;
          for (const r of await recordsOf(bytes, h)) {
            if (r.key) map.set(r.key.toString("latin1"), h.baseOffset + r.offsetDelta);
          }
        }
        mapEnd = end;
      }
      // With nothing dirty (a pass for tombstones whose horizon may have passed), the whole range.
      const range = mapEnd > firstDirty ? cleanable.filter((s) => s.baseOffset < mapEnd) : cleanable;
      let tombstonesLeft = false;
      const txns = new CleanedTransactionMetadata(log.segments.values());
      for (const seg of range) {
        if (await this.cleanSegment(log, seg, map, txns, now, stats)) tombstonesLeft = true;
      }
      if (tombstonesLeft) this.pendingTombstones.add(log);
      else this.pendingTombstones.delete(log);
      this.cleanedUpTo.set(log, Math.max(mapEnd, firstDirty));
    } finally {
      for (const s of cleanable) s.release();
    }
    if (stats.segmentsRewritten > 0) this.p.logger.info({ topic: log.topic, partition: log.partition, ...stats }, "cleaned log");
    return stats;
  }

  /**
   * Streams `seg` through the map: the output file is started at the first batch that changes (the
   * batches before it copied as they are) and swapped in at the end; a segment where nothing changes
   * is left alone. Returns whether tombstones remain in it.
   */
  private async cleanSegment(log: UnifiedLog, seg: LogSegment, map: ReadonlyMap<string, number>, txns: CleanedTransactionMetadata, now: number, stats: CleanerStats): Promise<boolean> {
    const deleteRetentionMs = log.config.deleteRetentionMs;
    // Started at the first batch that changes (the batches before it copied as they are).
    const w: { out: CleanedSegmentWriter | null } = { out: null };
    let tombstonesLeft = false;
    const aborts: AbortedTxn[] = [];
    const startOutput = async (position: number): Promise<void> => {
      if (w.out) return;
      w.out = await CleanedSegmentWriter.open(this.p.fs, log.dir, seg.baseOffset, log.config, this.p.time());
      await w.out.copy(seg, 0, position);
    };
    try {
      for await (const { h, bytes, position } of seg.batches()) {
        let keep: Buffer | null = bytes;
        if (isControl(h.attributes)) {
          const marker = readEndTxnMarker(bytes, 0, h);
          const { canDiscard, indexEntry } = txns.onControlBatchRead(h, marker);
          if (indexEntry) aborts.push(indexEntry);
          if (canDiscard && !isProducersLastBatch(log, h)) {
            // A marker whose transaction has no data left: stamped with a horizon, removed after it.
            const horizon = hasDeleteHorizon(h.attributes) ? h.baseTimestamp : -1;
            if (horizon < 0 || now >= horizon) {
              keep = horizon < 0 && h.recordCount > 0 ? await rebuildBatch(h, await recordsOf(bytes, h), now + deleteRetentionMs) : null;
              if (horizon < 0) tombstonesLeft = true;
              await startOutput(position);
            } else tombstonesLeft = true;
          }
        } else if (txns.onBatchRead(h)) {
          // Data of an aborted transaction: removed whole (the header stays when it is the producer's last).
          stats.recordsRemoved += h.recordCount;
          keep = isProducersLastBatch(log, h) ? await rebuildBatch(h, []) : null;
          await startOutput(position);
        } else {
          const horizon = hasDeleteHorizon(h.attributes) ? h.baseTimestamp : -1;
          const records = await recordsOf(bytes, h);
          const kept = records.filter((r) => {
            const newest = r.key === null ? undefined : map.get(r.key.toString("latin1"));
            if (newest !== undefined && newest !== h.baseOffset + r.offsetDelta) return false;
            // KIP-534: a tombstone stays until the horizon its batch was marked with has passed.
            return !(r.tombstone && horizon >= 0 && now >= horizon);
          });
          const removed = records.length - kept.length;
          const hasTombstones = kept.some((r) => r.tombstone);
          if (hasTombstones) tombstonesLeft = true;
          const markHorizon = hasTombstones && horizon < 0;
          if (removed > 0 || markHorizon) {
            stats.recordsRemoved += removed;
            keep = kept.length > 0 || isProducersLastBatch(log, h) ? await rebuildBatch(h, kept, markHorizon ? now + deleteRetentionMs : horizon) : null;
            await startOutput(position);
          }
        }
        if (w.out && keep) await w.out.add(keep);
      }
      const writer = w.out;
      if (!writer) return tombstonesLeft;
      for (const t of aborts) writer.segment.txnIndex.append(t);
      const cleaned = await writer.finish();
      w.out = null;
      if (await log.replaceSegment(seg, cleaned, CLEANED_SUFFIX, SWAP_SUFFIX)) stats.segmentsRewritten++;
      return tombstonesLeft;
    } finally {
      if (w.out) await w.out.abort();
    }
  }
}
