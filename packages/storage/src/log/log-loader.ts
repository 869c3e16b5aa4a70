/**
 * LogLoader: opens a partition directory and brings it to a consistent state (Kafka's LogLoader).
 *
 * 1. Leftovers of interrupted operations: `*.cleaned` and `*.deleted` files are removed (a cleaning
 *    that had not reached its swap, a deletion that had); `<base>.log.swap` replaces `<base>.log` (the
 *    cleaner had finished writing and syncing it: the swap completes) and that segment's indexes are
 *    rebuilt; `*.index.swap`, `*.timeindex.swap`, `*.tmp` and index files without a `.log` are removed.
 * 2. Segments from the one holding the recovery point onwards are validated batch by batch (length,
 *    CRC-32C); the first invalid byte truncates the segment there and every later segment is deleted
 *    (reported through the logger). A segment that ends before the next one's base offset is normal
 *    (compaction) and kept: a roll syncs a segment before the next one is created, so it cannot
 *    have lost an unsynced tail. Earlier segments keep their indexes unless missing or failing
 *    their sanity check, in which case they are rebuilt too.
 * 3. Producer state: the newest snapshot at or below the log end offset, then replay of later batches.
 */
import type { FileSystem } from "../fs/file-system.js";
import { joinPath } from "../fs/file-system.js";
import type { Logger } from "../logger.js";
import type { RecordBatchHeader } from "../record/batch.js";
import { LogSegment } from "./log-segment.js";
import type { SegmentConfig } from "./log-segment.js";
import { LogSegments } from "./log-segments.js";
import { ProducerStateManager } from "./producer-state-manager.js";
import { CLEANED_SUFFIX, DELETED_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX, offsetFromFileName, SWAP_SUFFIX, TIME_INDEX_SUFFIX } from "./log-files.js";

const MAX_KEPT_PRODUCER_BATCHES = 100_000;

export interface LoadedLog {
  segments: LogSegments;
  logStartOffset: number;
  logEndOffset: number;
  recoveryPoint: number;
  producerState: ProducerStateManager;
  /** Bytes cut from torn or corrupt tails. */
  truncatedBytes: number;
}

export interface LoadParams {
  fs: FileSystem;
  dir: string;
  config: SegmentConfig;
  logger: Logger;
  recoveryPoint: number;
  logStartOffset: number;
  nowMs: number;
}

export async function loadLog(p: LoadParams): Promise<LoadedLog> {
  const { fs, dir, logger } = p;
  await fs.mkdir(dir);
  // 1. leftovers
  for (const name of await fs.readdir(dir)) {
    const path = joinPath(dir, name);
    if (name.endsWith(CLEANED_SUFFIX) || name.endsWith(DELETED_SUFFIX) || name.endsWith(".tmp")) {
      await fs.unlink(path);
    } else if (name.endsWith(LOG_SUFFIX + SWAP_SUFFIX)) {
      const live = path.slice(0, -SWAP_SUFFIX.length);
      await fs.rename(path, live);
      const base = live.slice(0, -LOG_SUFFIX.length);
      await fs.unlink(base + INDEX_SUFFIX).catch(() => {});
      await fs.unlink(base + TIME_INDEX_SUFFIX).catch(() => {});
      logger.info({ file: name }, "completed an interrupted segment swap");
    } else if (name.endsWith(SWAP_SUFFIX)) {
      await fs.unlink(path);
    }
  }
  const names = await fs.readdir(dir);
  const logBases = new Set(names.filter((n) => n.endsWith(LOG_SUFFIX)).map((n) => offsetFromFileName(n)).filter((o): o is number => o !== null));
  for (const n of names) {
    if (n.endsWith(INDEX_SUFFIX) || n.endsWith(TIME_INDEX_SUFFIX)) {
      const o = offsetFromFileName(n);
      if (o === null || !logBases.has(o)) await fs.unlink(joinPath(dir, n));
    }
  }
  const bases = [...logBases].sort((a, b) => a - b);
  const segments = new LogSegments();
  // Producer batches seen by recovery, replayed in step 3 without reading the segment again (null:
  // too many to keep, scan instead).
  const seen = new Map<LogSegment, RecordBatchHeader[] | null>();
  let truncatedBytes = 0;
  let logEndOffset = 0;

  // 2. segments
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i]!;
    const next = bases[i + 1];
    const paths = LogSegment.paths(dir, base);
    const indexesPresent = names.includes(paths.index.slice(dir.length + 1)) && names.includes(paths.timeIndex.slice(dir.length + 1));
    // The last segment is clean when it ends exactly at the recovery point with a whole batch (a clean
    // shutdown, or nothing written since the last flush); a closed one when the recovery point is past it.
    let needsRecovery = next === undefined ? p.recoveryPoint <= base : next > p.recoveryPoint;
    const seg = await LogSegment.open(fs, dir, base, p.config, { loadIndexes: indexesPresent, nowMs: p.nowMs });
    if (!needsRecovery && next === undefined) needsRecovery = !(indexesPresent && (await endsCleanlyAt(seg, p.recoveryPoint)));
    let recover = needsRecovery || !indexesPresent;
    if (!recover) {
      try {
        seg.offsetIndex.sanityCheck();
        seg.timeIndex.sanityCheck();
      } catch (e) {
        logger.warn({ segment: paths.log, err: (e as Error).message }, "rebuilding a corrupt index");
        recover = true;
      }
    }
    if (recover) {
      if (!needsRecovery) logger.warn({ segment: paths.log }, "index missing or corrupt, rebuilding");
      let producerBatches: RecordBatchHeader[] | null = [];
      const r = await seg.recover((h) => {
        if (h.producerId < 0 || !producerBatches) return;
        if (producerBatches.length >= MAX_KEPT_PRODUCER_BATCHES) producerBatches = null;
        else producerBatches.push(h);
      });
      seen.set(seg, producerBatches);
      logEndOffset = r.nextOffset;
      // A segment may end before the next one begins: compaction removes batches, even a segment's
      // last ones. It is not a sign of loss: a roll syncs the old segment before the next one exists.
      if (r.truncatedBytes > 0) {
        truncatedBytes += r.truncatedBytes;
        logger.warn({ segment: paths.log, truncatedBytes: r.truncatedBytes, reason: r.reason }, "truncated a torn or corrupt log tail");
        await seg.flush();
        segments.add(seg);
        for (const later of bases.slice(i + 1)) {
          const lp = LogSegment.paths(dir, later);
          logger.warn({ segment: lp.log }, "deleting a segment after a corrupt one");
          for (const f of [lp.log, lp.index, lp.timeIndex]) await fs.unlink(f).catch(() => {});
        }
        break;
      }
      await seg.flush();
    } else {
      // A clean last segment ends at the recovery point (endsCleanlyAt checked it).
      logEndOffset = next ?? p.recoveryPoint;
      await seg.onBecomeInactive();
    }
    segments.add(seg);
  }

  let logStartOffset = p.logStartOffset;
  if (segments.size === 0) {
    const seg = await LogSegment.open(fs, dir, logStartOffset, p.config, { loadIndexes: false, nowMs: p.nowMs });
    segments.add(seg);
    logEndOffset = logStartOffset;
  } else {
    logEndOffset = Math.max(logEndOffset, segments.active.baseOffset);
    logStartOffset = Math.max(logStartOffset, segments.first!.baseOffset);
  }
  if (logStartOffset > logEndOffset) logStartOffset = logEndOffset;

  // 3. producer state
  const producerState = new ProducerStateManager(fs, dir);
  const from = (await producerState.loadLatestSnapshot(logEndOffset)) ?? segments.first!.baseOffset;
  for (const seg of segments.from(from)) {
    const kept = seen.get(seg);
    if (kept) {
      for (const h of kept) if (h.baseOffset >= from) producerState.update(h);
      continue;
    }
    await seg.scanBatches(0, seg.size, (loc, h) => {
      if (loc.baseOffset >= from && h.producerId >= 0) producerState.update(h);
      return true;
    });
  }
  return { segments, logStartOffset, logEndOffset, recoveryPoint: logEndOffset, producerState, truncatedBytes };
}

/** Whether the segment's last whole batch ends at the end of the file and before `offset`. */
async function endsCleanlyAt(seg: LogSegment, offset: number): Promise<boolean> {
  let end = seg.offsetIndex.lookup(Number.MAX_SAFE_INTEGER).position;
  let next = seg.baseOffset;
  try {
    await seg.scanBatches(end, seg.size, (loc) => {
      end = loc.position + loc.size;
      next = loc.lastOffset + 1;
      return true;
    });
  } catch {
    return false;
  }
  return end === seg.size && next === offset;
}
