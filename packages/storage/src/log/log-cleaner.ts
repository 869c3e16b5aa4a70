/**
 * LogCleaner: compaction for `cleanup.policy=compact` (and `compact,delete`) logs.
 *
 * A pass over a log: (1) the cleanable range is the closed segments wholly below the recovery point
 * (never the active segment, never unsynced data); (2) an offset map key → newest offset is built over
 * that range; (3) each segment with something to remove is rewritten to `<base>.log.cleaned` (+
 * indexes), synced, and swapped in through the log's queue (`.cleaned` → `.swap`, old → `.deleted`,
 * `.swap` → live; LogLoader completes or discards an interrupted swap). Appends never wait for the
 * rewrite, only for the renames.
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
 * Not yet: control batches and transactional aborts (seam: `isControl` batches are kept verbatim).
 */
import type { FileSystem } from "../fs/file-system.js";
import type { Logger } from "../logger.js";
import type { RecordBatchHeader } from "../record/batch.js";
import { hasDeleteHorizon, isControl, LOG_OVERHEAD, readBatchHeader, readInt64, RECORD_BATCH_OVERHEAD } from "../record/batch.js";
import { rebuildBatch, recordsOf } from "../record/records.js";
import { LogSegment } from "./log-segment.js";
import type { UnifiedLog } from "./unified-log.js";
import { CLEANED_SUFFIX, SWAP_SUFFIX } from "./log-files.js";

/** Whether `h` is the newest batch of its (idempotent) producer, whose header must outlive its records. */
function isProducersLastBatch(log: UnifiedLog, h: RecordBatchHeader): boolean {
  if (h.producerId < 0) return false;
  const batches = log.producerState.activeProducers.get(h.producerId)?.batches;
  const last = batches?.[batches.length - 1];
  return last !== undefined && last.lastOffset === h.baseOffset + h.lastOffsetDelta;
}

export interface CleanerStats {
  segmentsRewritten: number;
  recordsRemoved: number;
}

interface Batch {
  h: RecordBatchHeader;
  bytes: Buffer;
}

export class LogCleaner {
  private readonly cleanedUpTo = new WeakMap<UnifiedLog, number>();
  private readonly pendingTombstones = new WeakSet<UnifiedLog>();

  constructor(private readonly p: { fs: FileSystem; logger: Logger; time: () => number }) {}

  private async batchesOf(seg: LogSegment): Promise<Batch[]> {
    const all = await seg.readBytes(0, seg.size);
    const out: Batch[] = [];
    for (let pos = 0; pos + RECORD_BATCH_OVERHEAD <= all.length; ) {
      const h = readBatchHeader(all, pos);
      const end = pos + h.batchLength + LOG_OVERHEAD;
      if (end > all.length) break;
      out.push({ h, bytes: all.subarray(pos, end) });
      pos = end;
    }
    return out;
  }

  /** One compaction pass over `log` (see the module header). */
  async clean(log: UnifiedLog, now = this.p.time()): Promise<CleanerStats> {
    const stats: CleanerStats = { segmentsRewritten: 0, recordsRemoved: 0 };
    const closed = log.closedSegments();
    const cleanable: LogSegment[] = [];
    for (const seg of closed) {
      const end = log.segments.next(seg)?.baseOffset ?? Infinity;
      if (end > log.recoveryPoint) break;
      cleanable.push(seg);
    }
    const last = cleanable[cleanable.length - 1];
    if (!last) return stats;
    const upTo = log.segments.next(last)!.baseOffset;
    if ((this.cleanedUpTo.get(log) ?? -1) >= upTo && !this.pendingTombstones.has(log)) return stats;
    for (const s of cleanable) s.acquire();
    try {
      // Offset map over the cleanable range.
      const map = new Map<string, number>();
      for (const seg of cleanable) {
        for (const { h, bytes } of await this.batchesOf(seg)) {
          if (isControl(h.attributes)) continue;
          for (const r of await recordsOf(bytes, h)) {
            if (r.key) map.set(r.key.toString("latin1"), h.baseOffset + r.offsetDelta);
          }
        }
      }
      let tombstonesLeft = false;
      const deleteRetentionMs = log.config.deleteRetentionMs;
      for (const seg of cleanable) {
        const out: Buffer[] = [];
        let changed = false;
        for (const { h, bytes } of await this.batchesOf(seg)) {
          if (isControl(h.attributes)) {
            out.push(bytes);
            continue;
          }
          const horizon = hasDeleteHorizon(h.attributes) ? h.baseTimestamp : -1;
          const records = await recordsOf(bytes, h);
          const kept = records.filter((r) => {
            if (r.key !== null && map.get(r.key.toString("latin1")) !== h.baseOffset + r.offsetDelta) return false;
            // KIP-534: a tombstone stays until the horizon its batch was marked with has passed.
            return !(r.tombstone && horizon >= 0 && now >= horizon);
          });
          const removed = records.length - kept.length;
          const hasTombstones = kept.some((r) => r.tombstone);
          if (hasTombstones) tombstonesLeft = true;
          const markHorizon = hasTombstones && horizon < 0;
          if (removed === 0 && !markHorizon) {
            out.push(bytes);
            continue;
          }
          changed = true;
          stats.recordsRemoved += removed;
          if (kept.length > 0 || isProducersLastBatch(log, h)) out.push(await rebuildBatch(h, kept, markHorizon ? now + deleteRetentionMs : horizon));
        }
        if (!changed) continue;
        await this.rewrite(log, seg, out);
        stats.segmentsRewritten++;
      }
      if (tombstonesLeft) this.pendingTombstones.add(log);
      else this.pendingTombstones.delete(log);
      this.cleanedUpTo.set(log, upTo);
    } finally {
      for (const s of cleanable) s.release();
    }
    if (stats.segmentsRewritten > 0) this.p.logger.info({ topic: log.topic, partition: log.partition, ...stats }, "cleaned log");
    return stats;
  }

  private async rewrite(log: UnifiedLog, old: LogSegment, batches: readonly Buffer[]): Promise<void> {
    // Leftovers of an earlier attempt would be appended to: start from empty files.
    for (const f of Object.values(LogSegment.paths(log.dir, old.baseOffset, CLEANED_SUFFIX))) await this.p.fs.unlink(f).catch(() => {});
    const cleaned = await LogSegment.open(this.p.fs, log.dir, old.baseOffset, log.config, { suffix: CLEANED_SUFFIX, loadIndexes: false, nowMs: this.p.time() });
    try {
      for (const b of batches) {
        const lastOffsetDelta = b.readInt32BE(23);
        const baseOffset = readInt64(b, 0);
        const maxTimestamp = readInt64(b, 35);
        await cleaned.append(b, [{ pos: 0, size: b.length, baseOffset, lastOffset: baseOffset + lastOffsetDelta, maxTimestamp }]);
      }
      await cleaned.onBecomeInactive();
      await cleaned.flush();
    } catch (e) {
      await cleaned.deleteFiles();
      throw e;
    }
    await log.replaceSegment(old, cleaned, CLEANED_SUFFIX, SWAP_SUFFIX);
  }
}
