/**
 * LogLoader: opens a partition directory and brings it to a consistent state (Kafka's LogLoader).
 *
 * 1. Leftovers of interrupted operations: `*.cleaned` and `*.deleted` files are removed (a cleaning
 *    that had not reached its swap, a deletion that had); `<base>.log.swap` replaces `<base>.log` (the
 *    cleaner had finished writing and syncing it: the swap completes) and that segment's indexes are
 *    rebuilt; other `*.swap`, `*.tmp` and index files without a `.log` are removed.
 * 2. Segments from the one holding the recovery point onwards are validated batch by batch (length,
 *    CRC-32C); the first invalid byte truncates the segment there and every later segment is deleted
 *    (reported through the logger). A segment that ends before the next one's base offset is normal
 *    (compaction) and kept: a roll syncs a segment before the next one is created, so it cannot
 *    have lost an unsynced tail. Earlier segments keep their indexes (`.index`, `.timeindex`,
 *    `.txnindex`) unless the offset or time index is missing or one fails its sanity check, in which
 *    case they are rebuilt too. A missing `.txnindex` is an empty one (created at the first abort).
 * 3. Producer state: the newest snapshot at or below the first segment to recover (or the recovery
 *    point when none is), then every later batch in order: replayed from the file for a kept segment,
 *    applied during validation for a recovered one, whose `.txnindex` is refilled from the aborted
 *    transactions its markers complete (the producer state at that point gives their first offsets and
 *    LSOs). So a transaction open at a crash is open again after recovery, at the same first offset.
 */
import type { FileSystem } from "../fs/file-system.js";
import { joinPath } from "../fs/file-system.js";
import type { Logger } from "../logger.js";
import { isControl } from "../record/batch.js";
import { readEndTxnMarker } from "../record/control.js";
import { LogSegment } from "./log-segment.js";
import type { SegmentConfig } from "./log-segment.js";
import { LogSegments } from "./log-segments.js";
import { ProducerStateManager } from "./producer-state-manager.js";
import { CLEANED_SUFFIX, DELETED_SUFFIX, INDEX_SUFFIX, LOG_SUFFIX, offsetFromFileName, SWAP_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX } from "./log-files.js";

const INDEX_SUFFIXES = [INDEX_SUFFIX, TIME_INDEX_SUFFIX, TXN_INDEX_SUFFIX];

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
      for (const suffix of INDEX_SUFFIXES) await fs.unlink(base + suffix).catch(() => {});
      logger.info({ file: name }, "completed an interrupted segment swap");
    } else if (name.endsWith(SWAP_SUFFIX)) {
      await fs.unlink(path);
    }
  }
  const names = await fs.readdir(dir);
  const logBases = new Set(names.filter((n) => n.endsWith(LOG_SUFFIX)).map((n) => offsetFromFileName(n)).filter((o): o is number => o !== null));
  for (const n of names) {
    if (INDEX_SUFFIXES.some((suffix) => n.endsWith(suffix))) {
      const o = offsetFromFileName(n);
      if (o === null || !logBases.has(o)) await fs.unlink(joinPath(dir, n));
    }
  }
  const bases = [...logBases].sort((a, b) => a - b);

  // 2. which segments to recover
  const opened: { seg: LogSegment; recover: boolean; needsRecovery: boolean }[] = [];
  for (let i = 0; i < bases.length; i++) {
    const base = bases[i]!;
    const next = bases[i + 1];
    const paths = LogSegment.paths(dir, base);
    const indexesPresent = [paths.index, paths.timeIndex].every((f) => names.includes(f.slice(dir.length + 1)));
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
        seg.txnIndex.sanityCheck();
      } catch (e) {
        logger.warn({ segment: paths.log, err: (e as Error).message }, "rebuilding a corrupt index");
        recover = true;
      }
    }
    if (recover && !needsRecovery) logger.warn({ segment: paths.log }, "index missing or corrupt, rebuilding");
    opened.push({ seg, recover, needsRecovery });
  }

  // 3. producer state from the newest snapshot at or below the first segment to recover (its
  // transaction index is rebuilt with the producer state at its base), then segment by segment:
  // recovered ones are validated batch by batch (their indexes rebuilt), the others replayed.
  const firstRecover = opened.find((o) => o.recover);
  const segments = new LogSegments();
  const producerState = new ProducerStateManager(fs, dir);
  const clean = !firstRecover && opened.length > 0;
  const snapshotBound = firstRecover ? firstRecover.seg.baseOffset : clean ? p.recoveryPoint : 0;
  const from = (await producerState.loadLatestSnapshot(snapshotBound)) ?? bases[0] ?? 0;
  let truncatedBytes = 0;
  let logEndOffset = 0;
  for (let i = 0; i < opened.length; i++) {
    const { seg, recover } = opened[i]!;
    const next = bases[i + 1];
    if (!recover) {
      if (next === undefined || next > from) await replaySegment(seg, from, producerState);
      // A clean last segment ends at the recovery point (endsCleanlyAt checked it).
      logEndOffset = next ?? p.recoveryPoint;
      await seg.onBecomeInactive();
      segments.add(seg);
      continue;
    }
    const r = await seg.recover((h, batch) => {
      if (h.producerId < 0 || h.baseOffset < from) return;
      const completed = producerState.update(h, isControl(h.attributes) ? readEndTxnMarker(batch, 0, h) : undefined);
      if (completed?.isAborted) seg.txnIndex.append(completed);
    });
    logEndOffset = r.nextOffset;
    await seg.flush();
    segments.add(seg);
    // A segment may end before the next one begins: compaction removes batches, even a segment's
    // last ones. It is not a sign of loss: a roll syncs the old segment before the next one exists.
    if (r.truncatedBytes > 0) {
      truncatedBytes += r.truncatedBytes;
      logger.warn({ segment: seg.logPath, truncatedBytes: r.truncatedBytes, reason: r.reason }, "truncated a torn or corrupt log tail");
      for (const later of opened.slice(i + 1)) {
        logger.warn({ segment: later.seg.logPath }, "deleting a segment after a corrupt one");
        await later.seg.deleteFiles();
      }
      break;
    }
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
  await producerState.deleteSnapshotsFrom(logEndOffset);
  return { segments, logStartOffset, logEndOffset, recoveryPoint: logEndOffset, producerState, truncatedBytes };
}

/** Replays the batches of `seg` at or after `from` into the producer state (markers complete transactions). */
export async function replaySegment(seg: LogSegment, from: number, producerState: ProducerStateManager): Promise<void> {
  await seg.scanBatches(
    0,
    seg.size,
    (loc, h, batch) => {
      if (loc.baseOffset >= from && h.producerId >= 0) producerState.update(h, batch ? readEndTxnMarker(batch, 0, h) : undefined);
      return true;
    },
    true,
  );
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
