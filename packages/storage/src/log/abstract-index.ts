/**
 * Shared mechanics of OffsetIndex and TimeIndex: fixed-size big-endian entries, kept in memory (the
 * role of Kafka's mmap) and written to the file lazily.
 *
 * Invariants: entries are strictly increasing in their key; `entries * entrySize` bytes of `mem` are
 * valid. The file holds the valid entries only (Kafka preallocates the active segment's index for its
 * mmap; trailing all-zero entries in a file, from Kafka or older odradek versions, are dropped on load). Entries reach the file on `flush()` (with an
 * fsync), `trim()` and `close()`; after a crash an index is only trusted for segments before the
 * recovery point (those were flushed), every later one is rebuilt from its log (LogLoader).
 *
 * No descriptor is held: the file is opened for each of those writes and closed again (a few per
 * segment roll), so a partition costs one descriptor (its `.log`), not three — Kafka's indexes are
 * mmapped and hold none either. 10,000 partitions fit a limit of 20,000 descriptors.
 *
 * Memory: an index without entries holds no buffer of its own (a segment smaller than
 * index.interval.bytes has no offset or time index entry); the buffer is allocated at the first entry,
 * and a loaded index holds exactly its entries.
 * A kind whose file is created only at its first entry (`createdOnFirstEntry`: the TransactionIndex,
 * as Kafka's) also leaves a missing file alone until then: it reads as empty, and is neither created,
 * renamed nor removed while the index has never been written.
 */
import type { FileHandle, FileSystem } from "../fs/file-system.js";
import { CorruptLogError } from "../errors.js";

/** The buffer of every index without entries (never written to: `ensure` replaces it first). */
const NO_ENTRIES = Buffer.alloc(0);
/** Entries of the first buffer an index allocates. */
const INITIAL_ENTRIES = 64;

export abstract class AbstractIndex {
  protected mem: Buffer;
  protected _entries = 0;
  /** First entry not yet written to the file. */
  private dirtyFrom = 0;
  /** The file is longer than its valid entries (loaded with trailing zeros): trim cuts it. */
  private oversized = false;
  /** Entries were removed that the file may still hold (trim must cut it). */
  private truncated = false;
  /** The file changed since its last fsync. */
  private unsynced = false;
  /** The file may exist (false only for a `createdOnFirstEntry` kind whose file was never found or written). */
  private onDisk = true;

  protected constructor(
    protected readonly fs: FileSystem,
    public path: string,
    readonly baseOffset: number,
    readonly maxIndexSize: number,
    readonly entrySize: number,
  ) {
    this.mem = NO_ENTRIES;
  }

  /** Whether the file is created only when the index gets its first entry (else at open). */
  protected createdOnFirstEntry(): boolean {
    return false;
  }

  get entries(): number {
    return this._entries;
  }
  get maxEntries(): number {
    return Math.floor(this.maxIndexSize / this.entrySize);
  }
  get isFull(): boolean {
    return this._entries >= this.maxEntries;
  }
  /** Bytes of valid entries. */
  get sizeInBytes(): number {
    return this._entries * this.entrySize;
  }

  /** Reads the file's entries; trailing all-zero entries (preallocation) past the first are dropped. */
  protected async loadFromFile(): Promise<void> {
    const buf = await this.fs.readFile(this.path);
    const size = buf.length;
    let n = Math.floor(size / this.entrySize);
    const zero = (i: number): boolean => {
      for (let b = i * this.entrySize; b < (i + 1) * this.entrySize; b++) if (buf[b] !== 0) return false;
      return true;
    };
    while (n > 1 && zero(n - 1)) n--;
    if (n === 1 && zero(0) && !this.zeroEntryValid()) n = 0;
    // Exactly the entries read (a closed segment's index does not grow; an append reallocates): a
    // small index is a slice of Node's shared buffer pool, not an allocation of its own. All of it is
    // copied over, so nothing uninitialized is ever read.
    this.mem = n === 0 ? NO_ENTRIES : Buffer.allocUnsafe(n * this.entrySize);
    buf.copy(this.mem, 0, 0, n * this.entrySize);
    this._entries = n;
    this.dirtyFrom = n;
    this.oversized = size > n * this.entrySize;
  }

  /** Whether an all-zero first entry is a real entry (offset index: relative offset 0 at position 0). */
  protected abstract zeroEntryValid(): boolean;
  /** The increasing key of entry i (offset for both index kinds; TimeIndex also checks timestamps). */
  protected abstract keyOf(i: number): number;

  protected ensure(n: number): void {
    const need = n * this.entrySize;
    if (need <= this.mem.length) return;
    const next = Buffer.alloc(Math.min(Math.max(need, this.mem.length * 2, INITIAL_ENTRIES * this.entrySize), this.maxIndexSize));
    this.mem.copy(next, 0, 0, this._entries * this.entrySize);
    this.mem = next;
  }

  protected pushEntry(write: (buf: Buffer, pos: number) => void): void {
    if (this.isFull) throw new CorruptLogError(`index ${this.path} is full (${this._entries} entries)`);
    this.ensure(this._entries + 1);
    write(this.mem, this._entries * this.entrySize);
    this._entries++;
  }

  /** Largest i with keyOf(i) <= target, or -1. */
  protected floorIndex(target: number, key: (i: number) => number = (i) => this.keyOf(i)): number {
    let lo = 0;
    let hi = this._entries - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (key(mid) <= target) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  /** Removes every entry whose offset is >= offset. */
  truncateTo(offset: number): void {
    let n = this._entries;
    while (n > 0 && this.keyOf(n - 1) >= offset) n--;
    if (n < this._entries) this.truncated = true;
    this._entries = n;
    this.dirtyFrom = Math.min(this.dirtyFrom, n);
  }

  reset(): void {
    if (this._entries > 0) this.truncated = true;
    this._entries = 0;
    this.dirtyFrom = 0;
  }

  /**
   * Opens the index file or creates it with its current contents: `load` reads the entries (the caller
   * runs sanityCheck), otherwise the file is emptied (recovery rebuilds it). A `createdOnFirstEntry`
   * kind leaves a missing file missing (an empty index).
   */
  protected async init(load: boolean): Promise<void> {
    if (this.createdOnFirstEntry()) {
      this.onDisk = (await this.fs.stat(this.path)) !== null;
      if (!this.onDisk) return;
      if (load) await this.loadFromFile();
      else await this.withFile((h) => h.truncate(0));
      return;
    }
    if (load && (await this.fs.stat(this.path)) !== null) await this.loadFromFile();
    else await this.withFile((h) => h.truncate(0));
  }

  /** No file and nothing to write to one: flush and trim have nothing to do. */
  private nothingOnDisk(): boolean {
    if (this.onDisk || this._entries > 0) return false;
    this.dirtyFrom = 0;
    this.truncated = false;
    return true;
  }

  /** Runs `fn` on the file, opened for it and closed after (created when missing). */
  private async withFile<T>(fn: (h: FileHandle) => Promise<T>): Promise<T> {
    const h = await this.fs.open(this.path, "create");
    this.onDisk = true;
    try {
      this.unsynced = true;
      return await fn(h);
    } finally {
      await h.close();
    }
  }

  private async writeDirty(h: FileHandle): Promise<void> {
    if (this.dirtyFrom < this._entries) {
      const from = this.dirtyFrom * this.entrySize;
      await h.write(this.mem, from, this._entries * this.entrySize - from, from);
    }
    this.dirtyFrom = this._entries;
  }

  /** Writes pending entries and fsyncs the file (nothing to do when it has not changed). */
  async flush(): Promise<void> {
    if ((this.dirtyFrom >= this._entries && !this.unsynced) || this.nothingOnDisk()) return;
    await this.withFile(async (h) => {
      await this.writeDirty(h);
      await h.sync();
    });
    this.unsynced = false;
  }

  /** Writes pending entries and cuts the file to the valid entries (roll, close, truncation). */
  async trim(): Promise<void> {
    if ((this.dirtyFrom >= this._entries && !this.oversized && !this.truncated) || this.nothingOnDisk()) return;
    await this.withFile(async (h) => {
      await this.writeDirty(h);
      await h.truncate(this._entries * this.entrySize);
    });
    this.oversized = false;
    this.truncated = false;
  }

  /** Entries must increase strictly and stay at or above the base offset. */
  sanityCheck(): void {
    for (let i = 0; i < this._entries; i++) {
      const k = this.keyOf(i);
      if (k < this.baseOffset || (i > 0 && k <= this.keyOf(i - 1))) {
        throw new CorruptLogError(`index ${this.path} entry ${i} (offset ${k}) is out of order`);
      }
    }
  }

  async close(): Promise<void> {
    await this.trim();
  }

  async renameTo(path: string): Promise<void> {
    if (this.onDisk) await this.fs.rename(this.path, path);
    this.path = path;
  }

  async deleteFile(): Promise<void> {
    if (this.onDisk) await this.fs.unlink(this.path).catch(() => {});
  }
}
