/**
 * Zig-zag varints of the v2 record format (protobuf style: 7 bits a byte, low group first, high bit =
 * more). A varint is an int32 in at most 5 bytes, a varlong an int64 in at most 10; longer encodings
 * are corrupt. Varlongs decode into JS numbers, exact within ±2^53 (timestamp deltas in ms are).
 * Readers take an explicit `end` and fail with CorruptRecordError, never RangeError.
 */
import { CorruptRecordError } from "../errors.js";

/** Read cursor shared by the record decoders: `pos` advances, `end` is exclusive. */
export interface Cursor {
  buf: Buffer;
  pos: number;
  end: number;
}

export function readVarint(c: Cursor): number {
  const { buf, end } = c;
  let pos = c.pos;
  if (pos >= end) throw new CorruptRecordError(`varint at ${pos} runs past the end`);
  let b = buf[pos++]!;
  if (b < 0x80) {
    c.pos = pos;
    return (b >>> 1) ^ -(b & 1);
  }
  let u = b & 0x7f;
  for (let shift = 7; ; shift += 7) {
    if (pos >= end) throw new CorruptRecordError(`varint at ${c.pos} runs past the end`);
    if (shift > 28) throw new CorruptRecordError(`varint at ${c.pos} is longer than 5 bytes`);
    b = buf[pos++]!;
    u |= (b & 0x7f) << shift;
    if (b < 0x80) break;
  }
  c.pos = pos;
  return (u >>> 1) ^ -(u & 1);
}

export function readVarlong(c: Cursor): number {
  const { buf, end } = c;
  let pos = c.pos;
  let u = 0;
  let mul = 1;
  for (let i = 0; ; i++) {
    if (pos >= end) throw new CorruptRecordError(`varlong at ${c.pos} runs past the end`);
    if (i >= 10) throw new CorruptRecordError(`varlong at ${c.pos} is longer than 10 bytes`);
    const b = buf[pos++]!;
    u += (b & 0x7f) * mul;
    mul *= 128;
    if (b < 0x80) break;
  }
  c.pos = pos;
  // Zig-zag: even -> u/2, odd -> -(u+1)/2 (arithmetic: u may exceed 2^32).
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/** Encoded size of a zig-zag varint of an int32. */
export function sizeOfVarint(n: number): number {
  let u = ((n << 1) ^ (n >> 31)) >>> 0;
  let size = 1;
  while (u >= 0x80) {
    u >>>= 7;
    size++;
  }
  return size;
}

/** Encoded size of a zig-zag varlong of an integral number within ±2^53. */
export function sizeOfVarlong(n: number): number {
  let u = n >= 0 ? n * 2 : -n * 2 - 1;
  let size = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    size++;
  }
  return size;
}

/** Writes a zig-zag varint at `pos`; returns the position after it. */
export function writeVarint(buf: Buffer, n: number, pos: number): number {
  let u = ((n << 1) ^ (n >> 31)) >>> 0;
  while (u >= 0x80) {
    buf[pos++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[pos++] = u;
  return pos;
}

/** Writes a zig-zag varlong at `pos`; returns the position after it. */
export function writeVarlong(buf: Buffer, n: number, pos: number): number {
  let u = n >= 0 ? n * 2 : -n * 2 - 1;
  while (u >= 0x80) {
    buf[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  buf[pos++] = u;
  return pos;
}
