/**
 * Lazy loading of the native compression bindings (napi-rs packages whose prebuilt binary ships inside
 * an npm package). A binding that fails to load makes only the operations that need it fail, with a
 * CompressionError; the pure-TypeScript decoders (LZ4 frame, zstd via fzstd) never need one.
 */
import { createRequire } from "node:module";
import { CompressionError } from "../errors.js";

const require = createRequire(import.meta.url);

export interface SnappyBinding {
  compressSync(data: Buffer): Buffer;
  compress(data: Buffer): Promise<Buffer>;
  uncompressSync(data: Buffer, options: { asBuffer: true }): Buffer;
  uncompress(data: Buffer, options: { asBuffer: true }): Promise<Buffer>;
}
export interface Lz4Binding {
  compressFrameSync(data: Buffer): Buffer;
  compressFrame(data: Uint8Array): Promise<Buffer>;
}
export interface ZstdBinding {
  compress(data: Buffer, level?: number): Promise<Buffer>;
}

function loader<T>(name: string): () => T {
  let mod: T | undefined;
  let failure: unknown;
  return () => {
    if (mod) return mod;
    if (failure === undefined) {
      try {
        mod = require(name) as T;
        return mod;
      } catch (e) {
        failure = e;
      }
    }
    throw new CompressionError(`native module ${name} is not available: ${(failure as Error).message}`, 76 /* UNSUPPORTED_COMPRESSION_TYPE */);
  };
}

export const snappyBinding = loader<SnappyBinding>("snappy");
export const lz4Binding = loader<Lz4Binding>("lz4-napi");
export const zstdBinding = loader<ZstdBinding>("@mongodb-js/zstd");
