import type { TaggedField } from "./reader.js";

/** Byte fields at least this long are kept as their own chunk (zero-copy) instead of being copied. */
const CHUNK_THRESHOLD = 1024;

/**
 * Output of an encoder: a list of chunks, ready for `socket.cork()` + writes (or `Buffer.concat`).
 * Scalars go into a growing scratch buffer; large `bytes`/`records` values are referenced as chunks
 * of their own, so a Fetch response's record batches are never copied.
 */
export class Writer {
  private scratch: Buffer;
  private pos = 0;
  /** Start of the part of `scratch` not yet emitted as a chunk. */
  private mark = 0;
  private chunks: Buffer[] = [];
  /** Total bytes written so far, chunks and scratch. */
  length = 0;

  constructor(initialSize = 256) {
    this.scratch = Buffer.allocUnsafe(initialSize);
  }

  private ensure(n: number): void {
    if (this.pos + n <= this.scratch.length) return;
    // Emit what is pending and continue in a fresh, larger buffer (earlier chunks stay valid).
    if (this.pos > this.mark) this.chunks.push(this.scratch.subarray(this.mark, this.pos));
    this.scratch = Buffer.allocUnsafe(Math.max(n, this.scratch.length * 2));
    this.pos = 0;
    this.mark = 0;
  }

  int8(v: number): void {
    this.ensure(1);
    this.scratch.writeInt8(v, this.pos);
    this.pos += 1;
    this.length += 1;
  }
  int16(v: number): void {
    this.ensure(2);
    this.scratch.writeInt16BE(v, this.pos);
    this.pos += 2;
    this.length += 2;
  }
  uint16(v: number): void {
    this.ensure(2);
    this.scratch.writeUInt16BE(v, this.pos);
    this.pos += 2;
    this.length += 2;
  }
  int32(v: number): void {
    this.ensure(4);
    this.scratch.writeInt32BE(v, this.pos);
    this.pos += 4;
    this.length += 4;
  }
  uint32(v: number): void {
    this.ensure(4);
    this.scratch.writeUInt32BE(v, this.pos);
    this.pos += 4;
    this.length += 4;
  }
  int64(v: bigint): void {
    this.ensure(8);
    this.scratch.writeBigInt64BE(v, this.pos);
    this.pos += 8;
    this.length += 8;
  }
  float64(v: number): void {
    this.ensure(8);
    this.scratch.writeDoubleBE(v, this.pos);
    this.pos += 8;
    this.length += 8;
  }
  bool(v: boolean): void {
    this.ensure(1);
    this.scratch[this.pos++] = v ? 1 : 0;
    this.length += 1;
  }
  uuid(v: string): void {
    this.ensure(16);
    const n = this.scratch.write(v, this.pos, 16, "base64url");
    if (n !== 16) throw new TypeError(`not a 16-byte base64url uuid: ${v}`);
    this.pos += 16;
    this.length += 16;
  }

  uvarint(v: number): void {
    this.ensure(5);
    let n = v >>> 0;
    const start = this.pos;
    while (n >= 0x80) {
      this.scratch[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.scratch[this.pos++] = n;
    this.length += this.pos - start;
  }
  varint(v: number): void {
    this.uvarint(((v << 1) ^ (v >> 31)) >>> 0);
  }
  varlong(v: bigint): void {
    this.ensure(10);
    let n = BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
    const start = this.pos;
    while (n >= 0x80n) {
      this.scratch[this.pos++] = Number(n & 0x7fn) | 0x80;
      n >>= 7n;
    }
    this.scratch[this.pos++] = Number(n);
    this.length += this.pos - start;
  }

  /** Raw bytes, no length prefix; large ones are referenced, not copied. */
  raw(b: Uint8Array): void {
    const len = b.length;
    if (len >= CHUNK_THRESHOLD) {
      if (this.pos > this.mark) this.chunks.push(this.scratch.subarray(this.mark, this.pos));
      this.mark = this.pos;
      this.chunks.push(Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.length));
      this.length += len;
      return;
    }
    this.ensure(len);
    this.scratch.set(b, this.pos);
    this.pos += len;
    this.length += len;
  }

  private text(v: string, compact: boolean): void {
    const len = Buffer.byteLength(v, "utf8");
    if (compact) this.uvarint(len + 1);
    else this.int16(len);
    this.ensure(len);
    this.scratch.write(v, this.pos, len, "utf8");
    this.pos += len;
    this.length += len;
  }
  string(v: string): void {
    this.text(v, false);
  }
  nullableString(v: string | null): void {
    if (v === null) this.int16(-1);
    else this.text(v, false);
  }
  compactString(v: string): void {
    this.text(v, true);
  }
  compactNullableString(v: string | null): void {
    if (v === null) this.uvarint(0);
    else this.text(v, true);
  }

  bytes(v: Uint8Array): void {
    this.int32(v.length);
    this.raw(v);
  }
  nullableBytes(v: Uint8Array | null): void {
    if (v === null) this.int32(-1);
    else this.bytes(v);
  }
  compactBytes(v: Uint8Array): void {
    this.uvarint(v.length + 1);
    this.raw(v);
  }
  compactNullableBytes(v: Uint8Array | null): void {
    if (v === null) this.uvarint(0);
    else this.compactBytes(v);
  }

  /** Record data given as one buffer or as a list of batches (written without copying). */
  records(v: Uint8Array | readonly Uint8Array[] | null, compact: boolean): void {
    if (v === null) {
      if (compact) this.uvarint(0);
      else this.int32(-1);
      return;
    }
    if (!Array.isArray(v)) {
      if (compact) this.compactBytes(v as Uint8Array);
      else this.bytes(v as Uint8Array);
      return;
    }
    const list = v as readonly Uint8Array[];
    let total = 0;
    for (const b of list) total += b.length;
    if (compact) this.uvarint(total + 1);
    else this.int32(total);
    for (const b of list) this.raw(b);
  }

  /** Tagged-field section: entries must be sorted by tag. */
  taggedFields(fields: readonly TaggedField[]): void {
    this.uvarint(fields.length);
    for (const f of fields) {
      this.uvarint(f.tag);
      this.uvarint(f.data.length);
      this.raw(f.data);
    }
  }

  /** The encoded chunks, in order. The writer must not be used afterwards. */
  finish(): Buffer[] {
    if (this.pos > this.mark) this.chunks.push(this.scratch.subarray(this.mark, this.pos));
    this.mark = this.pos;
    return this.chunks;
  }

  /** The encoded bytes as one buffer (copies when there is more than one chunk). */
  toBuffer(): Buffer {
    const chunks = this.finish();
    if (chunks.length === 1) return chunks[0]!;
    return Buffer.concat(chunks, this.length);
  }
}
