/**
 * The output of one segment's compaction: `<base>.log.cleaned` (+ indexes) written in chunks of about
 * WRITE_CHUNK bytes as the cleaner produces batches, so a rewrite holds at most that much in memory.
 * The caller swaps it in (UnifiedLog.replaceSegment) after `finish`, or drops it with `abort`.
 */
import type { FileSystem } from "../fs/file-system.js";
import { readInt64 } from "../record/batch.js";
import type { LogConfig } from "./log-config.js";
import { LogSegment } from "./log-segment.js";
import type { AppendedBatch } from "./log-segment.js";
import { CLEANED_SUFFIX } from "./log-files.js";

const WRITE_CHUNK = 1024 * 1024;

export class CleanedSegmentWriter {
  private pending: Buffer[] = [];
  private located: AppendedBatch[] = [];
  private bytes = 0;

  private constructor(readonly segment: LogSegment) {}

  static async open(fs: FileSystem, dir: string, baseOffset: number, config: LogConfig, nowMs: number): Promise<CleanedSegmentWriter> {
    // Leftovers of an earlier attempt would be appended to: start from empty files.
    for (const f of Object.values(LogSegment.paths(dir, baseOffset, CLEANED_SUFFIX))) await fs.unlink(f).catch(() => {});
    return new CleanedSegmentWriter(await LogSegment.open(fs, dir, baseOffset, config, { suffix: CLEANED_SUFFIX, loadIndexes: false, nowMs }));
  }

  /** Adds one whole batch (offsets already assigned: a batch of the old segment, kept or rebuilt). */
  async add(batch: Buffer): Promise<void> {
    const baseOffset = readInt64(batch, 0);
    // v2 header: lastOffsetDelta at 23, maxTimestamp at 35 (layout in the codec's batch-header.ts).
    this.located.push({ pos: this.bytes, size: batch.length, baseOffset, lastOffset: baseOffset + batch.readInt32BE(23), maxTimestamp: readInt64(batch, 35) });
    this.pending.push(batch);
    this.bytes += batch.length;
    if (this.bytes >= WRITE_CHUNK) await this.writePending();
  }

  /** Copies the batches of `from` in [position, end) unchanged. */
  async copy(from: LogSegment, position: number, end: number): Promise<void> {
    for await (const { bytes } of from.batches(position, end)) await this.add(bytes);
  }

  private async writePending(): Promise<void> {
    if (this.pending.length === 0) return;
    await this.segment.appendv(this.pending, this.located);
    this.pending = [];
    this.located = [];
    this.bytes = 0;
  }

  /** Writes what is pending, trims and syncs the files: ready to be swapped in. */
  async finish(): Promise<LogSegment> {
    await this.writePending();
    await this.segment.onBecomeInactive();
    await this.segment.flush();
    return this.segment;
  }

  async abort(): Promise<void> {
    await this.segment.deleteFiles();
  }
}
