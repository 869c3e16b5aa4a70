/**
 * ReadBufferPool: buffers for reads whose caller promises to give them back (`ReadOptions.pooled`,
 * returned by `ReadResult.release`). Reusing a buffer saves the allocation and the page faults of a
 * fresh one, which cost more than the copy from the page cache for 1 MiB fetches. Shared by every log
 * of the process, bounded in total bytes; buffers not given back are simply garbage collected.
 */
const MAX_POOLED_BYTES = 64 * 1024 * 1024;
const ROUND = 64 * 1024;

export class ReadBufferPool {
  private readonly free: Buffer[] = [];
  private pooledBytes = 0;

  constructor(private readonly maxBytes = MAX_POOLED_BYTES) {}

  /** A buffer of at least `size` bytes (contents undefined). */
  take(size: number): Buffer {
    for (let i = this.free.length - 1; i >= 0; i--) {
      const b = this.free[i]!;
      if (b.length >= size) {
        this.free.splice(i, 1);
        this.pooledBytes -= b.length;
        return b;
      }
    }
    return Buffer.allocUnsafeSlow(Math.ceil(size / ROUND) * ROUND);
  }

  /** Gives `buf` (from take) back; the caller must not touch it afterwards. */
  give(buf: Buffer): void {
    if (this.pooledBytes + buf.length > this.maxBytes) return;
    this.free.push(buf);
    this.pooledBytes += buf.length;
  }
}

export const readBufferPool = new ReadBufferPool();
