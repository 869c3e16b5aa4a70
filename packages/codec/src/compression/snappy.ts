/**
 * Snappy as Kafka clients send it. The Java client (snappy-java's SnappyOutputStream) writes the
 * "xerial" framing:
 *
 *   magic               8 bytes  0x82 'S' 'N' 'A' 'P' 'P' 'Y' 0x00
 *   version             int32 BE (1)
 *   compatible version  int32 BE (1)
 *   blocks              repeated: int32 BE compressed length, then that many bytes of raw snappy
 *
 * while librdkafka and others may send one raw snappy block (varint uncompressed length, then
 * elements). We decode both (by the magic) and encode xerial with 32 KiB blocks like the Java client,
 * which every client reads. Output is bounded: each raw block's declared uncompressed length is
 * checked against the bytes left under `maxBytes` before the native decoder allocates it.
 */
import { CompressionError } from "../errors.js";
import { snappyBinding } from "./native.js";

export const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
/** magic + version + compatible version */
export const XERIAL_HEADER_SIZE = 16;
/** snappy-java's default block size. */
export const XERIAL_BLOCK_SIZE = 32 * 1024;

export function isXerialFramed(data: Buffer): boolean {
  return data.length >= XERIAL_HEADER_SIZE && data.compare(XERIAL_MAGIC, 0, 8, 0, 8) === 0;
}

/** Declared uncompressed length of a raw snappy block (unsigned varint, at most 5 bytes). */
export function snappyUncompressedLength(block: Buffer): number {
  let u = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= block.length) break;
    const b = block[i]!;
    u += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return u;
  }
  throw new CompressionError("snappy block has a malformed length preamble");
}

/** The raw snappy blocks of a payload, each checked against the output budget. */
function blocksOf(data: Buffer, maxBytes: number): Buffer[] {
  if (!isXerialFramed(data)) {
    const n = snappyUncompressedLength(data);
    if (n > maxBytes) throw tooLarge(n, maxBytes);
    return [data];
  }
  const blocks: Buffer[] = [];
  let budget = maxBytes;
  let pos = XERIAL_HEADER_SIZE;
  while (pos < data.length) {
    if (pos + 4 > data.length) throw new CompressionError(`xerial snappy block length at ${pos} is truncated`);
    const len = data.readInt32BE(pos);
    pos += 4;
    if (len < 0 || pos + len > data.length) throw new CompressionError(`xerial snappy block of ${len} bytes at ${pos} overruns the payload`);
    const block = data.subarray(pos, pos + len);
    pos += len;
    const n = snappyUncompressedLength(block);
    if (n > budget) throw tooLarge(maxBytes - budget + n, maxBytes);
    budget -= n;
    blocks.push(block);
  }
  return blocks;
}

const tooLarge = (n: number, max: number): CompressionError =>
  new CompressionError(`snappy payload would decompress to ${n} bytes, above the limit of ${max}`);

function wrap(e: unknown): never {
  if (e instanceof CompressionError) throw e;
  throw new CompressionError(`snappy: ${(e as Error).message}`);
}

export function snappyDecompressSync(data: Buffer, maxBytes: number): Buffer {
  const blocks = blocksOf(data, maxBytes);
  try {
    const s = snappyBinding();
    const out = blocks.map((b) => s.uncompressSync(b, { asBuffer: true }));
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  } catch (e) {
    wrap(e);
  }
}

export async function snappyDecompress(data: Buffer, maxBytes: number): Promise<Buffer> {
  const blocks = blocksOf(data, maxBytes);
  try {
    const s = snappyBinding();
    const out = await Promise.all(blocks.map((b) => s.uncompress(b, { asBuffer: true })));
    return out.length === 1 ? out[0]! : Buffer.concat(out);
  } catch (e) {
    wrap(e);
  }
}

function xerialHeader(): Buffer {
  const h = Buffer.alloc(XERIAL_HEADER_SIZE);
  XERIAL_MAGIC.copy(h, 0);
  h.writeInt32BE(1, 8);
  h.writeInt32BE(1, 12);
  return h;
}

function frame(blocks: Buffer[]): Buffer {
  const parts: Buffer[] = [xerialHeader()];
  for (const b of blocks) {
    const len = Buffer.allocUnsafe(4);
    len.writeInt32BE(b.length, 0);
    parts.push(len, b);
  }
  return Buffer.concat(parts);
}

function chunks(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let p = 0; p < data.length; p += XERIAL_BLOCK_SIZE) out.push(data.subarray(p, p + XERIAL_BLOCK_SIZE));
  return out;
}

/** Xerial-framed snappy, as the Java client writes it. */
export function snappyCompressSync(data: Buffer): Buffer {
  try {
    const s = snappyBinding();
    return frame(chunks(data).map((c) => s.compressSync(c)));
  } catch (e) {
    wrap(e);
  }
}

export async function snappyCompress(data: Buffer): Promise<Buffer> {
  try {
    const s = snappyBinding();
    return frame(await Promise.all(chunks(data).map((c) => s.compress(c))));
  } catch (e) {
    wrap(e);
  }
}
