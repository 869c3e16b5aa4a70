/**
 * LZ4 as Kafka uses it with magic 2: the LZ4 *frame* format (lz4 frame spec 1.6), with a correct header
 * checksum (the broken checksum of KAFKA-3160 only concerns magic 0/1).
 *
 *   magic        4 bytes  0x184D2204 LE (skippable frames 0x184D2A5x + uint32 LE size are skipped)
 *   FLG          1 byte   version 01 (bits 7-6), block independence (5), block checksum (4),
 *                         content size (3), content checksum (2), reserved (1), dictionary id (0)
 *   BD           1 byte   block max size (bits 6-4): 4 = 64 KiB, 5 = 256 KiB, 6 = 1 MiB, 7 = 4 MiB
 *   content size 8 bytes  uint64 LE, if FLG bit 3
 *   dict id      4 bytes  if FLG bit 0 (rejected: Kafka never uses one)
 *   HC           1 byte   (xxh32(FLG..last descriptor byte, seed 0) >> 8) & 0xFF
 *   blocks       uint32 LE size (high bit set = stored uncompressed), data, xxh32 if block checksum;
 *                a size of 0 ends the frame; then xxh32 of the content if content checksum
 *
 * Decoding is our own (TypeScript) so that it can be bounded: the output never grows past `maxBytes`
 * and every block and match is bounds-checked (CompressionError). Dependent blocks work because all
 * frames decode into one output buffer that matches may reach back into. Encoding uses lz4-napi's
 * frame encoder (independent 64 KiB blocks, no checksums but the header's), which Kafka's
 * KafkaLZ4BlockInputStream and the other clients read.
 */
import { CompressionError } from "../errors.js";
import { lz4Binding } from "./native.js";

export const LZ4_FRAME_MAGIC = 0x184d2204;

const P1 = 0x9e3779b1;
const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;
const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));
const u32le = (b: Uint8Array, p: number): number => (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0;

/** xxHash32 of `buf[start, end)`. */
export function xxh32(buf: Uint8Array, start = 0, end = buf.length, seed = 0): number {
  let p = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (seed + P1 + P2) | 0;
    let v2 = (seed + P2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - P1) | 0;
    const limit = end - 16;
    while (p <= limit) {
      v1 = Math.imul(rotl((v1 + Math.imul(u32le(buf, p), P2)) | 0, 13), P1);
      v2 = Math.imul(rotl((v2 + Math.imul(u32le(buf, p + 4), P2)) | 0, 13), P1);
      v3 = Math.imul(rotl((v3 + Math.imul(u32le(buf, p + 8), P2)) | 0, 13), P1);
      v4 = Math.imul(rotl((v4 + Math.imul(u32le(buf, p + 12), P2)) | 0, 13), P1);
      p += 16;
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + P5) | 0;
  }
  h = (h + (end - start)) | 0;
  while (p + 4 <= end) {
    h = Math.imul(rotl((h + Math.imul(u32le(buf, p), P3)) | 0, 17), P4);
    p += 4;
  }
  while (p < end) {
    h = Math.imul(rotl((h + Math.imul(buf[p]!, P5)) | 0, 11), P1);
    p++;
  }
  h ^= h >>> 15;
  h = Math.imul(h, P2);
  h ^= h >>> 13;
  h = Math.imul(h, P3);
  h ^= h >>> 16;
  return h >>> 0;
}

const corrupt = (why: string): CompressionError => new CompressionError(`lz4: ${why}`);

/** Growable output bounded by `max`. */
class Output {
  buf: Buffer;
  pos = 0;
  constructor(initial: number, readonly max: number) {
    this.buf = Buffer.allocUnsafe(Math.min(Math.max(initial, 64), max));
  }
  /** Makes room for `n` more bytes, or fails if that would pass `max`. */
  reserve(n: number): void {
    const need = this.pos + n;
    if (need > this.max) throw new CompressionError(`lz4 payload decompresses to more than the limit of ${this.max} bytes`);
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.min(this.max, Math.max(need, this.buf.length * 2)));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
}

/** Decodes one LZ4 block `src[sp, send)` into `out`, which must have room for `room` bytes. */
function decodeBlock(src: Buffer, sp: number, send: number, out: Output, room: number): void {
  const o = out.buf;
  let op = out.pos;
  const oend = op + room;
  while (sp < send) {
    const token = src[sp++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let b: number;
      do {
        if (sp >= send) throw corrupt("literal length runs past the block");
        b = src[sp++]!;
        lit += b;
      } while (b === 255);
    }
    if (lit > send - sp) throw corrupt("literals run past the block");
    if (lit > oend - op) throw corrupt("literals overflow the block size or the output limit");
    if (lit < 16) for (let i = 0; i < lit; i++) o[op + i] = src[sp + i]!;
    else src.copy(o, op, sp, sp + lit);
    sp += lit;
    op += lit;
    if (sp === send) break; // the last sequence has literals only
    if (send - sp < 2) throw corrupt("match offset runs past the block");
    const offset = src[sp]! | (src[sp + 1]! << 8);
    sp += 2;
    if (offset === 0 || offset > op) throw corrupt(`match offset ${offset} reaches before the output`);
    let len = (token & 15) + 4;
    if ((token & 15) === 15) {
      let b: number;
      do {
        if (sp >= send) throw corrupt("match length runs past the block");
        b = src[sp++]!;
        len += b;
      } while (b === 255);
    }
    if (len > oend - op) throw corrupt("match overflows the block size or the output limit");
    let from = op - offset;
    if (offset >= len) {
      if (len < 32) for (let i = 0; i < len; i++) o[op + i] = o[from + i]!;
      else o.copyWithin(op, from, from + len);
      op += len;
    } else {
      const stop = op + len;
      while (op < stop) o[op++] = o[from++]!;
    }
  }
  out.pos = op;
}

const BLOCK_MAX = [0, 0, 0, 0, 64 * 1024, 256 * 1024, 1024 * 1024, 4 * 1024 * 1024];

/** Decodes one or more LZ4 frames; the output is at most `maxBytes`. */
export function lz4DecompressSync(data: Buffer, maxBytes: number): Buffer {
  const out = new Output(data.length * 4, maxBytes);
  let p = 0;
  const need = (n: number, what: string): void => {
    if (data.length - p < n) throw corrupt(`${what} at ${p} is truncated`);
  };
  if (data.length === 0) throw corrupt("empty payload");
  while (p < data.length) {
    need(4, "frame magic");
    const magic = u32le(data, p);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      need(8, "skippable frame");
      const size = u32le(data, p + 4);
      p += 8;
      need(size, "skippable frame");
      p += size;
      continue;
    }
    if (magic !== LZ4_FRAME_MAGIC) throw corrupt(`bad frame magic 0x${magic.toString(16)} at ${p}`);
    p += 4;
    const descStart = p;
    need(3, "frame descriptor");
    const flg = data[p]!;
    const bd = data[p + 1]!;
    if (flg >>> 6 !== 1) throw corrupt(`unsupported frame version ${flg >>> 6}`);
    if (flg & 0x02 || bd & 0x8f) throw corrupt("reserved frame descriptor bits are set");
    if (flg & 0x01) throw corrupt("frames with a dictionary id are not supported");
    const blockChecksum = (flg & 0x10) !== 0;
    const contentChecksum = (flg & 0x04) !== 0;
    const blockMax = BLOCK_MAX[(bd >>> 4) & 7]!;
    if (blockMax === 0) throw corrupt(`invalid block max size id ${(bd >>> 4) & 7}`);
    p += 2;
    let contentSize = -1;
    if (flg & 0x08) {
      need(9, "content size");
      const hi = u32le(data, p + 4);
      contentSize = hi * 2 ** 32 + u32le(data, p);
      if (contentSize > maxBytes - out.pos) throw new CompressionError(`lz4 frame declares ${contentSize} bytes, above the limit of ${maxBytes}`);
      out.reserve(contentSize);
      p += 8;
    }
    need(1, "header checksum");
    const hc = (xxh32(data, descStart, p) >>> 8) & 0xff;
    if (hc !== data[p]) throw corrupt(`frame header checksum 0x${data[p]!.toString(16)} does not match 0x${hc.toString(16)}`);
    p++;
    const frameStart = out.pos;
    for (;;) {
      need(4, "block size");
      const word = u32le(data, p);
      p += 4;
      if (word === 0) break;
      const stored = (word & 0x80000000) !== 0;
      const size = word & 0x7fffffff;
      if (size > blockMax) throw corrupt(`block of ${size} bytes exceeds the frame's block size ${blockMax}`);
      need(size + (blockChecksum ? 4 : 0), "block");
      if (blockChecksum && xxh32(data, p, p + size) !== u32le(data, p + size)) throw corrupt("block checksum mismatch");
      if (stored) {
        out.reserve(size);
        data.copy(out.buf, out.pos, p, p + size);
        out.pos += size;
      } else {
        const room = Math.min(blockMax, maxBytes - out.pos);
        out.reserve(room);
        decodeBlock(data, p, p + size, out, room);
      }
      p += size + (blockChecksum ? 4 : 0);
    }
    if (contentSize >= 0 && out.pos - frameStart !== contentSize) {
      throw corrupt(`frame declares ${contentSize} bytes but holds ${out.pos - frameStart}`);
    }
    if (contentChecksum) {
      need(4, "content checksum");
      if (xxh32(out.buf, frameStart, out.pos) !== u32le(data, p)) throw corrupt("content checksum mismatch");
      p += 4;
    }
  }
  return out.buf.subarray(0, out.pos);
}

export function lz4CompressSync(data: Buffer): Buffer {
  try {
    return lz4Binding().compressFrameSync(data);
  } catch (e) {
    if (e instanceof CompressionError) throw e;
    throw new CompressionError(`lz4: ${(e as Error).message}`);
  }
}

export async function lz4Compress(data: Buffer): Promise<Buffer> {
  try {
    return await lz4Binding().compressFrame(data);
  } catch (e) {
    if (e instanceof CompressionError) throw e;
    throw new CompressionError(`lz4: ${(e as Error).message}`);
  }
}
