/**
 * OffsetCheckpointFile: Kafka's text checkpoint format, used for `recovery-point-offset-checkpoint`,
 * `log-start-offset-checkpoint` and `cleaner-offset-checkpoint` in each data dir (Kafka's tools read
 * them):
 *
 *   0                      version (Kafka's version 0)
 *   <count>
 *   <topic> <partition> <offset>      one line per partition
 *
 * Written atomically (temp file, fsync, rename, fsync dir) by one CoalescingFileWriter per file: `write()`
 * renders the entries when its write starts, so concurrent requests share one write and the newest
 * state wins. A file that does not parse is reported and
 * treated as empty: every log is then recovered from its first segment, which is slow but correct.
 * Migration: a new version number on the first line; readers refuse versions they do not know.
 */
import type { FileSystem } from "../fs/file-system.js";
import { CoalescingFileWriter } from "../fs/coalescing-file-writer.js";
import { CorruptLogError } from "../errors.js";

export const RECOVERY_POINT_CHECKPOINT = "recovery-point-offset-checkpoint";
export const LOG_START_OFFSET_CHECKPOINT = "log-start-offset-checkpoint";
/** Per compacted log, the end of its clean section (LogCleaner.cleanedOffset). */
export const CLEANER_OFFSET_CHECKPOINT = "cleaner-offset-checkpoint";
const VERSION = 0;

export type PartitionOffsets = Map<string, number>;
export const tpKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

export interface CheckpointEntry {
  topic: string;
  partition: number;
  offset: number;
}

export class OffsetCheckpointFile {
  private readonly writer: CoalescingFileWriter;

  /** `entries` gives the state to write; it is read when a write starts (see CoalescingFileWriter). */
  constructor(private readonly fs: FileSystem, readonly path: string, entries: () => Iterable<CheckpointEntry> = () => []) {
    this.writer = new CoalescingFileWriter(fs, path, () => {
      const lines = [...entries()].map((e) => `${e.topic} ${e.partition} ${e.offset}\n`);
      return `${VERSION}\n${lines.length}\n${lines.join("")}`;
    });
  }

  /** Resolves once the entries as of this call (or newer) are durable. */
  write(): Promise<void> {
    return this.writer.request();
  }

  /** The offsets by tpKey; an empty map when the file is missing. @throws CorruptLogError */
  async read(): Promise<PartitionOffsets> {
    const out: PartitionOffsets = new Map();
    if (!(await this.fs.stat(this.path))) return out;
    const text = (await this.fs.readFile(this.path)).toString("utf8");
    const lines = text.split("\n").filter((l) => l.length > 0);
    if (lines[0] !== String(VERSION)) throw new CorruptLogError(`${this.path}: unknown checkpoint version ${JSON.stringify(lines[0])}`);
    const count = Number(lines[1]);
    if (!Number.isInteger(count) || count !== lines.length - 2) throw new CorruptLogError(`${this.path}: expected ${lines[1]} entries, found ${lines.length - 2}`);
    for (const line of lines.slice(2)) {
      const m = /^(\S+) (\d+) (-?\d+)$/.exec(line);
      if (!m) throw new CorruptLogError(`${this.path}: malformed line ${JSON.stringify(line)}`);
      out.set(tpKey(m[1]!, Number(m[2])), Number(m[3]));
    }
    return out;
  }
}
