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
 * Kept: every record that is the newest of its key in the range, and null-key records; a tombstone
 * (null value) is dropped once its batch's max timestamp is older than `delete.retention.ms` (Kafka
 * measures this from a delete horizon set at the first cleaning, KIP-534; ours is simpler and never
 * earlier for CreateTime topics). Offsets are kept: a rewritten batch keeps its base offset,
 * lastOffsetDelta, producer fields and the records' offset deltas. A batch left empty is dropped,
 * unless it carries a producer id: then its header is kept with no records so the producer's last
 * sequence survives (Kafka keeps such batches for the same reason).
 * Not yet: compressed batches are kept unchanged and their keys do not enter the offset map (the
 * codec package's compression is not yet exported); control batches and transactional aborts
 * (seam: `isControl` batches are kept verbatim).
 */
import type { FileSystem } from "../fs/file-system.js";
import type { Logger } from "../logger.js";
import type { RecordBatchHeader } from "../record/batch.js";
import { compressionOf, isControl, readInt64, RECORD_BATCH_OVERHEAD } from "../record/batch.js";
import { assembleBatch, iterateRecords } from "../record/records.js";
import { LogSegment } from "./log-segment.js";
import type { UnifiedLog } from "./unified-log.js";
import { CLEANED_SUFFIX, SWAP_SUFFIX } from "./log-files.js";

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
    await seg.scanBatches(0, seg.size, (loc, h) => {
      out.push({ h, bytes: all.subarray(loc.position, loc.position + loc.size) });
      return true;
    });
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
          if (compressionOf(h.attributes) !== 0 || isControl(h.attributes)) continue;
          for (const r of iterateRecords(bytes.subarray(RECORD_BATCH_OVERHEAD), h.recordCount)) {
            if (r.key) map.set(r.key.toString("latin1"), h.baseOffset + r.offsetDelta);
          }
        }
      }
      let tombstonesLeft = false;
      for (const seg of cleanable) {
        const out: Buffer[] = [];
        let changed = false;
        for (const { h, bytes } of await this.batchesOf(seg)) {
          if (compressionOf(h.attributes) !== 0 || isControl(h.attributes)) {
            out.push(bytes);
            continue;
          }
          const kept: Buffer[] = [];
          let removed = 0;
          for (const r of iterateRecords(bytes.subarray(RECORD_BATCH_OVERHEAD), h.recordCount)) {
            const newest = r.key === null || map.get(r.key.toString("latin1")) === h.baseOffset + r.offsetDelta;
            const expiredTombstone = r.tombstone && now - h.maxTimestamp > log.config.deleteRetentionMs;
            if (newest && r.tombstone && !expiredTombstone) tombstonesLeft = true;
            if (newest && !expiredTombstone) kept.push(r.bytes);
            else removed++;
          }
          if (removed === 0) {
            out.push(bytes);
            continue;
          }
          changed = true;
          stats.recordsRemoved += removed;
          if (kept.length > 0 || h.producerId >= 0) out.push(assembleBatch(h, kept));
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
