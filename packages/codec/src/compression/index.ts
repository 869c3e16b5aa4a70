/**
 * The compression codecs of RecordBatch v2 attributes (bits 0-2) behind one small interface.
 *
 *   codec       decompress                        compress                      sync variants
 *   0 none      identity                          identity                      both
 *   1 gzip      node:zlib, maxOutputLength        node:zlib                     both
 *   2 snappy    snappy (napi-rs), xerial or raw   snappy, xerial framing        both
 *   3 lz4       own TypeScript LZ4 frame decoder  lz4-napi, LZ4 frame           both
 *   4 zstd      fzstd (pure JS, streaming)        @mongodb-js/zstd (napi-rs)    decompress only
 *
 * Decompression is bounded by `maxBytes` (default DEFAULT_MAX_DECOMPRESSED_BYTES = 64 MiB): a payload
 * that would decompress to more fails with CompressionError before or while it grows, never after
 * allocating an unbounded buffer (snappy checks each block's declared length first, zstd its frame
 * headers, gzip stops zlib at the limit, lz4 grows its output only up to it). The synchronous variants
 * block the event loop for the duration (about 1 ms per MiB); the asynchronous ones run gzip and
 * snappy on libuv's thread pool. Every failure, including a codec id outside 0-4, is a
 * CompressionError.
 *
 * The libraries behind the codecs are loaded when a payload first needs them, not at import:
 * node:zlib on the first gzip payload, the native bindings (native.ts) and fzstd (zstd.ts) on first
 * use of their codec. A broker whose clients do not compress loads none of them.
 */
import { createRequire } from "node:module";
import type * as Zlib from "node:zlib";
import { CompressionError } from "../errors.js";
import { lz4Compress, lz4CompressSync, lz4DecompressSync } from "./lz4.js";
import { snappyCompress, snappyCompressSync, snappyDecompress, snappyDecompressSync } from "./snappy.js";
import { zstdCompress, zstdDecompressSync } from "./zstd.js";

export { isXerialFramed, XERIAL_MAGIC } from "./snappy.js";
export { xxh32 } from "./lz4.js";

export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

/** Codec ids as in the batch attributes (same values as record/CompressionCodec). */
export const Codec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;

export interface DecompressOptions {
  /** Largest output accepted; default DEFAULT_MAX_DECOMPRESSED_BYTES. */
  maxBytes?: number;
}

let zlibModule: typeof Zlib | undefined;
const zlib = (): typeof Zlib => (zlibModule ??= createRequire(import.meta.url)("node:zlib") as typeof Zlib);
// Promises by hand: util.promisify would load node:util (about 1 ms of start-up) for these two.
const gzipAsync = (buf: Buffer): Promise<Buffer> =>
  new Promise((resolve, reject) => zlib().gzip(buf, (err, out) => (err ? reject(err) : resolve(out))));
const gunzipAsync = (buf: Buffer, options: Zlib.ZlibOptions): Promise<Buffer> =>
  new Promise((resolve, reject) => zlib().gunzip(buf, options, (err, out) => (err ? reject(err) : resolve(out))));

function unknownCodec(codec: number): CompressionError {
  return new CompressionError(`unknown compression codec ${codec}`, 76 /* UNSUPPORTED_COMPRESSION_TYPE */);
}

function gzipError(e: unknown, maxBytes: number): CompressionError {
  const err = e as NodeJS.ErrnoException;
  if (err.code === "ERR_BUFFER_TOO_LARGE") {
    return new CompressionError(`gzip payload decompresses to more than the limit of ${maxBytes} bytes`);
  }
  return new CompressionError(`gzip: ${err.message}`);
}

export function decompressSync(codec: number, data: Buffer, options: DecompressOptions = {}): Buffer {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  switch (codec) {
    case Codec.none:
      return data;
    case Codec.gzip:
      try {
        return zlib().gunzipSync(data, { maxOutputLength: Math.max(1, maxBytes) });
      } catch (e) {
        throw gzipError(e, maxBytes);
      }
    case Codec.snappy:
      return snappyDecompressSync(data, maxBytes);
    case Codec.lz4:
      return lz4DecompressSync(data, maxBytes);
    case Codec.zstd:
      return zstdDecompressSync(data, maxBytes);
    default:
      throw unknownCodec(codec);
  }
}

export async function decompress(codec: number, data: Buffer, options: DecompressOptions = {}): Promise<Buffer> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES;
  switch (codec) {
    case Codec.gzip:
      try {
        return await gunzipAsync(data, { maxOutputLength: Math.max(1, maxBytes) });
      } catch (e) {
        throw gzipError(e, maxBytes);
      }
    case Codec.snappy:
      return snappyDecompress(data, maxBytes);
    default:
      return decompressSync(codec, data, options);
  }
}

/** @throws CompressionError for zstd, which has no synchronous encoder here (use compress). */
export function compressSync(codec: number, data: Buffer): Buffer {
  switch (codec) {
    case Codec.none:
      return data;
    case Codec.gzip:
      return zlib().gzipSync(data);
    case Codec.snappy:
      return snappyCompressSync(data);
    case Codec.lz4:
      return lz4CompressSync(data);
    case Codec.zstd:
      throw new CompressionError("zstd has no synchronous compression; use compress()");
    default:
      throw unknownCodec(codec);
  }
}

export async function compress(codec: number, data: Buffer): Promise<Buffer> {
  switch (codec) {
    case Codec.gzip:
      return gzipAsync(data);
    case Codec.snappy:
      return snappyCompress(data);
    case Codec.lz4:
      return lz4Compress(data);
    case Codec.zstd:
      return zstdCompress(data);
    default:
      return compressSync(codec, data);
  }
}

/** Whether compressSync supports the codec. */
export function hasSyncCompression(codec: number): boolean {
  return codec >= Codec.none && codec <= Codec.lz4;
}
