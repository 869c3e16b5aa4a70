/**
 * Zstandard (RFC 8878) frames, as Kafka's clients send them (zstd-jni's ZstdOutputStream and
 * librdkafka both write standard frames, usually without a content size).
 *
 * Decoding is pure TypeScript/JS (fzstd), synchronous, and bounded: before fzstd sees the payload, a
 * walk over the frame and block headers rejects a frame whose declared content size exceeds `maxBytes`
 * or whose window (what a streaming decoder allocates) exceeds max(maxBytes, 8 MiB), and the output is
 * counted as it streams out, failing as soon as it passes `maxBytes`. Dictionaries are rejected.
 * Encoding uses the native @mongodb-js/zstd (napi-rs, prebuilt), which is asynchronous only: there is
 * no synchronous zstd compression.
 */
import { createRequire } from "node:module";
import type * as Fzstd from "fzstd";
import { CompressionError } from "../errors.js";
import { zstdBinding } from "./native.js";

// fzstd is pure JS (CommonJS build under "require"): loaded on the first zstd payload.
let fzstdModule: typeof Fzstd | undefined;
const fzstd = (): typeof Fzstd => (fzstdModule ??= createRequire(import.meta.url)("fzstd") as typeof Fzstd);

export const ZSTD_MAGIC = 0xfd2fb528;
/** Windows up to this size are accepted even when maxBytes is smaller (streaming encoders use 1-8 MiB). */
export const ZSTD_MIN_WINDOW_ALLOWANCE = 8 * 1024 * 1024;
/** Level used when compressing (zstd's default). */
export const ZSTD_LEVEL = 3;

const corrupt = (why: string): CompressionError => new CompressionError(`zstd: ${why}`);

/** Walks frame and block headers, checking declared sizes against the limit. */
export function checkZstdFrames(data: Buffer, maxBytes: number): void {
  let p = 0;
  let declared = 0;
  const need = (n: number, what: string): void => {
    if (data.length - p < n) throw corrupt(`${what} at ${p} is truncated`);
  };
  if (data.length === 0) throw corrupt("empty payload");
  while (p < data.length) {
    need(4, "frame magic");
    const magic = data.readUInt32LE(p);
    if ((magic & 0xfffffff0) >>> 0 === 0x184d2a50) {
      need(8, "skippable frame");
      const size = data.readUInt32LE(p + 4);
      p += 8;
      need(size, "skippable frame");
      p += size;
      continue;
    }
    if (magic !== ZSTD_MAGIC) throw corrupt(`bad frame magic 0x${magic.toString(16)} at ${p}`);
    p += 4;
    need(1, "frame header");
    const fhd = data[p++]!;
    const fcsFlag = fhd >>> 6;
    const singleSegment = (fhd & 0x20) !== 0;
    const checksum = (fhd & 0x04) !== 0;
    if (fhd & 0x08) throw corrupt("reserved frame header bit is set");
    if (fhd & 0x03) throw corrupt("frames with a dictionary id are not supported");
    let window = -1;
    if (!singleSegment) {
      need(1, "window descriptor");
      const wd = data[p++]!;
      const base = 2 ** (10 + (wd >>> 3));
      window = base + (base / 8) * (wd & 7);
    }
    const fcsSize = fcsFlag === 0 ? (singleSegment ? 1 : 0) : 1 << fcsFlag;
    let fcs = -1;
    if (fcsSize > 0) {
      need(fcsSize, "frame content size");
      if (fcsSize === 1) fcs = data[p]!;
      else if (fcsSize === 2) fcs = data.readUInt16LE(p) + 256;
      else if (fcsSize === 4) fcs = data.readUInt32LE(p);
      else fcs = data.readUInt32LE(p + 4) * 2 ** 32 + data.readUInt32LE(p);
      p += fcsSize;
      declared += fcs;
      if (declared > maxBytes) throw new CompressionError(`zstd payload declares ${declared} bytes, above the limit of ${maxBytes}`);
    }
    if (singleSegment) window = fcs;
    if (window > Math.max(maxBytes, ZSTD_MIN_WINDOW_ALLOWANCE)) {
      throw new CompressionError(`zstd frame window of ${window} bytes is above the limit of ${Math.max(maxBytes, ZSTD_MIN_WINDOW_ALLOWANCE)}`);
    }
    for (;;) {
      need(3, "block header");
      const bh = data[p]! | (data[p + 1]! << 8) | (data[p + 2]! << 16);
      p += 3;
      const type = (bh >>> 1) & 3;
      if (type === 3) throw corrupt("reserved block type");
      const size = type === 1 ? 1 : bh >>> 3;
      need(size, "block");
      p += size;
      if (bh & 1) break;
    }
    if (checksum) {
      need(4, "content checksum");
      p += 4;
    }
  }
}

export function zstdDecompressSync(data: Buffer, maxBytes: number): Buffer {
  checkZstdFrames(data, maxBytes);
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    const d = new (fzstd().Decompress)((chunk) => {
      total += chunk.length;
      if (total > maxBytes) throw new CompressionError(`zstd payload decompresses to more than the limit of ${maxBytes} bytes`);
      chunks.push(chunk.slice());
    });
    d.push(data, true);
  } catch (e) {
    if (e instanceof CompressionError) throw e;
    throw corrupt((e as Error).message);
  }
  if (chunks.length === 1) return Buffer.from(chunks[0]!.buffer, chunks[0]!.byteOffset, chunks[0]!.byteLength);
  return Buffer.concat(chunks, total);
}

export async function zstdCompress(data: Buffer): Promise<Buffer> {
  try {
    return await zstdBinding().compress(data, ZSTD_LEVEL);
  } catch (e) {
    if (e instanceof CompressionError) throw e;
    throw corrupt((e as Error).message);
  }
}
