/**
 * Stopgap partition log, used until `@odradek/storage`'s LogManager is available: the broker's
 * handlers only see the `PartitionLog` interface below, so swapping the implementation touches
 * this folder only.
 *
 * Behaviour: whole record batches are appended with offsets assigned (base offset patched in a
 * private copy); reads return whole batches starting at the batch that holds the fetch offset,
 * up to `maxBytes`, always at least one batch when `minOneBatch` (Kafka's rule for the first
 * partition of a fetch). Single replica, so the high watermark is the log end offset.
 *
 * On-disk form (when `dir` is given): `<dir>/00000000000000000000.log` holds the batches back to
 * back exactly as served (one segment, no index: the whole file is scanned on open, and a torn
 * tail — a batch whose length or CRC does not check — is truncated away); `<dir>/log-start-offset`
 * holds the log start offset in decimal after DeleteRecords. Writes go to the page cache
 * synchronously on append (like Kafka without `flush.messages`); `flush()` fsyncs.
 * Not implemented here (the storage package's job): segments, indexes, retention, compaction.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeFileSync, writeSync, ftruncateSync, existsSync, renameSync } from "node:fs";
import { join } from "node:path";
import { LOG_OVERHEAD, BATCH_HEADER_SIZE, batchCrcMatches, readBatchHeader } from "./record-batch.js";
import { ProducerStateManager } from "./producer-state.js";

interface Entry {
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  buf: Buffer;
}

export type ReadResult = { kind: "ok"; batches: Buffer[]; bytes: number } | { kind: "out-of-range" };

export class PartitionLog {
  private readonly entries: Entry[] = [];
  private endOffset = 0n;
  private startOffset = 0n;
  private bytes = 0;
  private fd: number | null = null;
  readonly producerState = new ProducerStateManager();
  /** Offset and timestamp of the batch with the largest max timestamp (ListOffsets -3). */
  private maxTs: { offset: bigint; timestamp: bigint } = { offset: -1n, timestamp: -1n };

  constructor(private readonly dir: string | null) {
    if (dir) this.load(dir);
  }

  get logStartOffset(): bigint {
    return this.startOffset;
  }

  get logEndOffset(): bigint {
    return this.endOffset;
  }

  get highWatermark(): bigint {
    return this.endOffset;
  }

  get sizeInBytes(): number {
    return this.bytes;
  }

  private load(dir: string): void {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "00000000000000000000.log");
    let data: Buffer = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
    let pos = 0;
    while (pos + BATCH_HEADER_SIZE <= data.length) {
      const len = data.readInt32BE(pos + 8);
      if (len < BATCH_HEADER_SIZE - LOG_OVERHEAD || pos + LOG_OVERHEAD + len > data.length || !batchCrcMatches(data, pos)) break;
      const buf = data.subarray(pos, pos + LOG_OVERHEAD + len);
      this.index(buf);
      pos += LOG_OVERHEAD + len;
    }
    this.fd = openSync(file, existsSync(file) ? "r+" : "w+");
    if (pos < data.length) ftruncateSync(this.fd, pos); // torn tail after a crash
    const lso = join(dir, "log-start-offset");
    if (existsSync(lso)) {
      const v = BigInt(readFileSync(lso, "utf8").trim());
      this.applyStartOffset(v);
    }
    data = Buffer.alloc(0);
  }

  private index(buf: Buffer): Entry {
    const h = readBatchHeader(buf);
    const e: Entry = { baseOffset: h.baseOffset, lastOffset: h.baseOffset + BigInt(h.lastOffsetDelta), maxTimestamp: h.maxTimestamp, buf };
    this.entries.push(e);
    this.endOffset = e.lastOffset + 1n;
    this.bytes += buf.length;
    if (e.maxTimestamp > this.maxTs.timestamp) this.maxTs = { offset: e.lastOffset, timestamp: e.maxTimestamp };
    if (h.producerId >= 0n) this.producerState.recover(h, e.baseOffset, e.lastOffset);
    return e;
  }

  /**
   * Appends one validated batch (already a private copy: its base offset is patched in place).
   * Returns the assigned base and last offsets.
   */
  append(batch: Buffer): { baseOffset: bigint; lastOffset: bigint } {
    batch.writeBigInt64BE(this.endOffset, 0);
    const e = this.index(batch);
    if (this.fd !== null) {
      let off = 0;
      while (off < batch.length) off += writeSync(this.fd, batch, off, batch.length - off);
    }
    return { baseOffset: e.baseOffset, lastOffset: e.lastOffset };
  }

  /** Index of the first entry whose lastOffset >= offset. */
  private find(offset: bigint): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  read(offset: bigint, maxBytes: number, minOneBatch: boolean): ReadResult {
    if (offset < this.startOffset || offset > this.endOffset) return { kind: "out-of-range" };
    const batches: Buffer[] = [];
    let bytes = 0;
    for (let i = this.find(offset); i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (bytes + e.buf.length > maxBytes && !(minOneBatch && batches.length === 0)) break;
      batches.push(e.buf);
      bytes += e.buf.length;
    }
    return { kind: "ok", batches, bytes };
  }

  /** First offset whose batch max timestamp is >= ts (Kafka's time-index lookup), or null. */
  offsetForTimestamp(ts: bigint): { offset: bigint; timestamp: bigint } | null {
    for (let i = this.find(this.startOffset); i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (e.maxTimestamp >= ts) {
        const offset = e.baseOffset > this.startOffset ? e.baseOffset : this.startOffset;
        return { offset, timestamp: e.maxTimestamp };
      }
    }
    return null;
  }

  maxTimestamp(): { offset: bigint; timestamp: bigint } {
    return this.maxTs;
  }

  /** DeleteRecords: moves the log start offset forward (never past the high watermark). */
  deleteRecordsBefore(offset: bigint): bigint {
    if (offset > this.startOffset) {
      this.applyStartOffset(offset);
      if (this.dir) {
        const tmp = join(this.dir, "log-start-offset.tmp");
        writeFileSync(tmp, `${offset}\n`);
        renameSync(tmp, join(this.dir, "log-start-offset"));
      }
    }
    return this.startOffset;
  }

  private applyStartOffset(offset: bigint): void {
    this.startOffset = offset;
    let drop = 0;
    while (drop < this.entries.length && this.entries[drop]!.lastOffset < offset) drop++;
    // In-memory only: the bytes stay in the file until segments and retention exist.
    for (let i = 0; i < drop; i++) this.bytes -= this.entries[i]!.buf.length;
    this.entries.splice(0, drop);
    if (offset > this.endOffset) this.endOffset = offset;
  }

  flush(): void {
    if (this.fd !== null) fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd !== null) {
      fsyncSync(this.fd);
      closeSync(this.fd);
      this.fd = null;
    }
  }
}
