/**
 * OffsetIndex: the sparse `.index` file of a segment, Kafka's layout byte for byte.
 *
 *   entry (8 bytes, big-endian): relativeOffset int32 (offset - segment base offset) | position int32
 *                                (byte position of the batch in the `.log`)
 *
 * One entry is added when more than `index.interval.bytes` of batches were appended since the last one,
 * for the batch then appended, keyed by its base offset (Kafka keys by the batch's last offset; any
 * offset inside the batch at its position is a valid entry for Kafka's readers, and the base offset
 * lets lookups land on a batch boundary). Entries increase strictly in offset and position. `lookup(o)` gives the largest
 * entry at or below o: the scan for o starts there. Sparse, so a missing or bad index is rebuilt from
 * the log. Version: Kafka's index layout has no version byte; a change of layout would take a new file
 * suffix, with the old files rebuilt on load.
 */
import type { FileSystem } from "../fs/file-system.js";
import { AbstractIndex } from "./abstract-index.js";
import { CorruptLogError } from "../errors.js";

export const OFFSET_INDEX_ENTRY_SIZE = 8;

export interface OffsetPosition {
  offset: number;
  position: number;
}

export class OffsetIndex extends AbstractIndex {
  static async open(fs: FileSystem, path: string, baseOffset: number, maxIndexSize: number, load: boolean): Promise<OffsetIndex> {
    const idx = new OffsetIndex(fs, path, baseOffset, maxIndexSize, OFFSET_INDEX_ENTRY_SIZE);
    await idx.init(load);
    return idx;
  }
  protected zeroEntryValid(): boolean {
    return true;
  }
  protected keyOf(i: number): number {
    return this.baseOffset + this.mem.readInt32BE(i * 8);
  }
  private positionOf(i: number): number {
    return this.mem.readInt32BE(i * 8 + 4);
  }
  get lastOffset(): number {
    return this._entries === 0 ? this.baseOffset : this.keyOf(this._entries - 1);
  }

  append(offset: number, position: number): void {
    if (this._entries > 0 && offset <= this.keyOf(this._entries - 1)) return;
    this.pushEntry((b, p) => {
      b.writeInt32BE(offset - this.baseOffset, p);
      b.writeInt32BE(position, p + 4);
    });
  }

  lookup(target: number): OffsetPosition {
    const i = this.floorIndex(target);
    return i < 0 ? { offset: this.baseOffset, position: 0 } : { offset: this.keyOf(i), position: this.positionOf(i) };
  }

  /** Largest entry whose position is <= position (for truncation by position). */
  lookupByPosition(position: number): OffsetPosition {
    const i = this.floorIndex(position, (k) => this.positionOf(k));
    return i < 0 ? { offset: this.baseOffset, position: 0 } : { offset: this.keyOf(i), position: this.positionOf(i) };
  }

  override sanityCheck(): void {
    super.sanityCheck();
    for (let i = 1; i < this._entries; i++) {
      if (this.positionOf(i) <= this.positionOf(i - 1)) this.failAt(i);
    }
  }
  private failAt(i: number): never {
    throw new CorruptLogError(`index ${this.path} entry ${i} has a decreasing position`);
  }
}
