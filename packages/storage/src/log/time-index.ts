/**
 * TimeIndex: the sparse `.timeindex` file of a segment, Kafka's layout byte for byte.
 *
 *   entry (12 bytes, big-endian): timestamp int64 (ms) | relativeOffset int32
 *
 * An entry (t, o), as in Kafka 4.4: t is the largest batch max timestamp seen in the segment so far and
 * o the last offset of the first batch that reached it. Entries are added with the offset index
 * entries and when the segment stops being active, only when t exceeds the last entry's timestamp
 * (-1 for an empty index: a segment whose records carry no timestamp has no entry); both columns
 * increase strictly. A lookup
 * for t gives the largest entry with timestamp <= t; the scan for the first batch whose maxTimestamp
 * >= t starts at that entry's offset. Version: Kafka's layout, no version byte (see OffsetIndex).
 */
import type { FileSystem } from "../fs/file-system.js";
import { AbstractIndex } from "./abstract-index.js";
import { CorruptLogError } from "../errors.js";
import { readInt64, writeInt64 } from "../record/batch.js";

export const TIME_INDEX_ENTRY_SIZE = 12;

export interface TimestampOffset {
  timestamp: number;
  offset: number;
}

export class TimeIndex extends AbstractIndex {
  static async open(fs: FileSystem, path: string, baseOffset: number, maxIndexSize: number, load: boolean): Promise<TimeIndex> {
    const idx = new TimeIndex(fs, path, baseOffset, maxIndexSize, TIME_INDEX_ENTRY_SIZE);
    await idx.init(load);
    return idx;
  }
  protected zeroEntryValid(): boolean {
    return false;
  }
  protected keyOf(i: number): number {
    return this.baseOffset + this.mem.readInt32BE(i * 12 + 8);
  }
  private timestampOf(i: number): number {
    return readInt64(this.mem, i * 12);
  }
  get lastEntry(): TimestampOffset {
    return this._entries === 0 ? { timestamp: -1, offset: this.baseOffset } : { timestamp: this.timestampOf(this._entries - 1), offset: this.keyOf(this._entries - 1) };
  }

  /** Adds (timestamp, offset) when both are above the last entry's (an empty index's timestamp is -1). */
  maybeAppend(timestamp: number, offset: number): void {
    const last = this.lastEntry;
    if (timestamp <= last.timestamp || (this._entries > 0 && offset <= last.offset)) return;
    if (this.isFull) return;
    this.pushEntry((b, p) => {
      writeInt64(b, timestamp, p);
      b.writeInt32BE(offset - this.baseOffset, p + 8);
    });
  }

  lookup(timestamp: number): TimestampOffset {
    const i = this.floorIndex(timestamp, (k) => this.timestampOf(k));
    return i < 0 ? { timestamp: -1, offset: this.baseOffset } : { timestamp: this.timestampOf(i), offset: this.keyOf(i) };
  }

  override sanityCheck(): void {
    super.sanityCheck();
    for (let i = 1; i < this._entries; i++) {
      if (this.timestampOf(i) <= this.timestampOf(i - 1)) throw new CorruptLogError(`time index ${this.path} entry ${i} has a decreasing timestamp`);
    }
  }
}
