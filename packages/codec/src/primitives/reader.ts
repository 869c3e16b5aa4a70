import { DecodeError } from "../errors.js";

/** A tagged field this codec does not know, kept so that a message survives a decode/encode round trip. */
export interface TaggedField {
  tag: number;
  data: Buffer;
}

/**
 * Sequential reader over one frame. Every read is bounds-checked against `end` and fails with a
 * DecodeError (never a RangeError); a length or count is checked against the bytes left before
 * anything is allocated, so a frame can never make the decoder allocate more than its own size.
 * `bytes`/`records` values are zero-copy `subarray` views of the frame.
 */
export class Reader {
  buf: Buffer;
  pos: number;
  end: number;

  constructor(buf: Buffer, pos = 0, end = buf.length) {
    this.buf = buf;
    this.pos = pos;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  private need(n: number): number {
    const p = this.pos;
    if (n > this.end - p) throw new DecodeError(`need ${n} bytes at offset ${p}, ${this.end - p} left`);
    this.pos = p + n;
    return p;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1));
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  uint16(): number {
    return this.buf.readUInt16BE(this.need(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  int64(): bigint {
    return this.buf.readBigInt64BE(this.need(8));
  }
  float64(): number {
    return this.buf.readDoubleBE(this.need(8));
  }
  bool(): boolean {
    return this.buf[this.need(1)] !== 0;
  }

  /** Kafka's uuid: 16 bytes, shown as unpadded URL-safe base64 (as Kafka's Uuid.toString()). */
  uuid(): string {
    const p = this.need(16);
    return this.buf.toString("base64url", p, p + 16);
  }

  /** Unsigned LEB128, at most 5 bytes (32 bits). */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (let i = 0; i < 5; i++) {
      if (this.pos >= this.end) throw new DecodeError(`varint past end at offset ${this.pos}`);
      const b = this.buf[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffffffff) throw new DecodeError("varint exceeds 32 bits");
        return result;
      }
      shift += 7;
    }
    throw new DecodeError(`varint longer than 5 bytes at offset ${this.pos}`);
  }

  /** Zig-zag signed varint (32 bits). */
  varint(): number {
    const u = this.uvarint();
    return (u >>> 1) ^ -(u & 1);
  }

  /** Zig-zag signed varlong (64 bits), as a bigint. */
  varlong(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new DecodeError(`varlong past end at offset ${this.pos}`);
      const b = this.buf[this.pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return (result >> 1n) ^ -(result & 1n);
      shift += 7n;
    }
    throw new DecodeError(`varlong longer than 10 bytes at offset ${this.pos}`);
  }

  private text(len: number): string {
    const p = this.need(len);
    return this.buf.toString("utf8", p, p + len);
  }

  /** int16 length + UTF-8; -1 = null only where `nullable`. */
  string(): string {
    const len = this.int16();
    if (len < 0) throw new DecodeError("null string in a non-nullable field");
    return this.text(len);
  }
  nullableString(): string | null {
    const len = this.int16();
    if (len < 0) {
      if (len !== -1) throw new DecodeError(`bad string length ${len}`);
      return null;
    }
    return this.text(len);
  }
  /** Unsigned varint (length + 1) + UTF-8; 0 = null. */
  compactString(): string {
    const n = this.uvarint();
    if (n === 0) throw new DecodeError("null compact string in a non-nullable field");
    return this.text(n - 1);
  }
  compactNullableString(): string | null {
    const n = this.uvarint();
    return n === 0 ? null : this.text(n - 1);
  }

  private slice(len: number): Buffer {
    const p = this.need(len);
    return this.buf.subarray(p, p + len);
  }

  bytes(): Buffer {
    const len = this.int32();
    if (len < 0) throw new DecodeError("null bytes in a non-nullable field");
    return this.slice(len);
  }
  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len < 0) {
      if (len !== -1) throw new DecodeError(`bad bytes length ${len}`);
      return null;
    }
    return this.slice(len);
  }
  compactBytes(): Buffer {
    const n = this.uvarint();
    if (n === 0) throw new DecodeError("null compact bytes in a non-nullable field");
    return this.slice(n - 1);
  }
  compactNullableBytes(): Buffer | null {
    const n = this.uvarint();
    return n === 0 ? null : this.slice(n - 1);
  }

  /**
   * Array element count: int32 (classic) or uvarint count+1 (compact). -1 / 0 mean null.
   * A count larger than the bytes left cannot be honest (every element takes at least one byte),
   * so it is rejected before any allocation, as Kafka does.
   */
  arrayLength(): number {
    const n = this.int32();
    if (n < -1) throw new DecodeError(`bad array length ${n}`);
    if (n > this.end - this.pos) throw new DecodeError(`array of ${n} elements exceeds the ${this.end - this.pos} bytes left`);
    return n;
  }
  compactArrayLength(): number {
    const n = this.uvarint() - 1;
    if (n > this.end - this.pos) throw new DecodeError(`array of ${n} elements exceeds the ${this.end - this.pos} bytes left`);
    return n;
  }

  /** A tagged field's raw value. */
  taggedData(): Buffer {
    const size = this.uvarint();
    return this.slice(size);
  }

  /** Skip a whole tagged-field section, keeping every field as unknown. */
  unknownTaggedFields(): TaggedField[] | undefined {
    const count = this.uvarint();
    if (count === 0) return undefined;
    if (count > this.end - this.pos) throw new DecodeError(`tagged field count ${count} exceeds the bytes left`);
    const out: TaggedField[] = [];
    let last = -1;
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      if (tag <= last) throw new DecodeError(`tagged fields out of order: ${tag} after ${last}`);
      last = tag;
      out.push({ tag, data: this.taggedData() });
    }
    return out;
  }

  /** A sub-reader over exactly `data` (used to decode a known tagged field's value). */
  static over(data: Buffer): Reader {
    return new Reader(data, 0, data.length);
  }
}
