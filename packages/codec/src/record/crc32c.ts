/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF), the checksum of
 * a RecordBatch v2 (KIP-98). Check value: crc32c("123456789") = 0xE3069283.
 *
 * Two implementations with the same contract:
 * - `@node-rs/crc32` (Rust, SSE4.2/ARMv8 CRC instructions, prebuilt binary shipped in the npm package):
 *   the fastest from about 1 KiB up (4 GB/s at 16 KiB and 1 MiB against 0.9 GB/s for the table, see
 *   `benchmarks/codec/crc32c.mjs`), used when it loads, for ranges of NATIVE_MIN_BYTES or more;
 *   below that the cost of the N-API call dominates and the table wins (64 B: 0.6 vs 0.25 GB/s);
 * - `crc32cSoftware`, a slicing-by-8 table in TypeScript, used when the native module cannot be loaded
 *   (an unsupported platform, a missing optional dependency) or when `ODRADEK_CRC32C=js` is set.
 * The native module is loaded on the first range of NATIVE_MIN_BYTES or more, not at import (its
 * dlopen costs several milliseconds of start-up, and small batches never need it).
 * `crc32cImplementation` names the one in use for such ranges: "js" when `ODRADEK_CRC32C=js` is set or
 * once loading the binding has failed, else "native".
 */
import { createRequire } from "node:module";

const POLY = 0x82f63b78;

/** Slicing-by-8 tables: T[k * 256 + b] is the CRC of byte b followed by k zero bytes. */
const T = new Int32Array(8 * 256);
for (let b = 0; b < 256; b++) {
  let c = b;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
  T[b] = c;
}
for (let b = 0; b < 256; b++) {
  let c = T[b]!;
  for (let k = 1; k < 8; k++) {
    c = (c >>> 8) ^ T[c & 0xff]!;
    T[k * 256 + b] = c;
  }
}

/** Pure TypeScript CRC-32C of `buf[start, end)`, slicing-by-8; unsigned. */
export function crc32cSoftware(buf: Uint8Array, start = 0, end = buf.length): number {
  if (start < 0 || end > buf.length || start > end) {
    throw new RangeError(`crc32c range [${start}, ${end}) outside a buffer of ${buf.length} bytes`);
  }
  const t = T;
  let crc = -1;
  let i = start;
  const end8 = start + ((end - start) & ~7);
  while (i < end8) {
    crc ^= buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24);
    crc =
      t[1792 + (crc & 0xff)]! ^
      t[1536 + ((crc >>> 8) & 0xff)]! ^
      t[1280 + ((crc >>> 16) & 0xff)]! ^
      t[1024 + (crc >>> 24)]! ^
      t[768 + buf[i + 4]!]! ^
      t[512 + buf[i + 5]!]! ^
      t[256 + buf[i + 6]!]! ^
      t[buf[i + 7]!]!;
    i += 8;
  }
  while (i < end) crc = (crc >>> 8) ^ t[(crc ^ buf[i++]!) & 0xff]!;
  return (crc ^ -1) >>> 0;
}

type NativeCrc32c = (input: Uint8Array, initialState?: number) => number;

function loadNative(): NativeCrc32c | null {
  if (process.env["ODRADEK_CRC32C"] === "js") return null;
  try {
    const mod = createRequire(import.meta.url)("@node-rs/crc32") as { crc32c?: NativeCrc32c };
    const f = mod.crc32c;
    // Refuse a binary that loads but computes something else.
    if (typeof f !== "function" || f(Buffer.from("123456789")) >>> 0 !== 0xe3069283) return null;
    return f;
  } catch {
    return null;
  }
}

/** The binding once tried: a function, null when unavailable; undefined before the first attempt. */
let native: NativeCrc32c | null | undefined = process.env["ODRADEK_CRC32C"] === "js" ? null : undefined;

/** Ranges shorter than this go to the table even when the native module is loaded (measured crossover). */
const NATIVE_MIN_BYTES = 256;

/** "native" (`@node-rs/crc32`) or "js" (`crc32cSoftware`), for ranges of NATIVE_MIN_BYTES or more. */
export let crc32cImplementation: "native" | "js" = native === null ? "js" : "native";

function loadNativeOnce(): NativeCrc32c | null {
  native = loadNative();
  if (!native) crc32cImplementation = "js";
  return native;
}

/** CRC-32C of `buf[start, end)` as an unsigned 32-bit number. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  if (end - start < NATIVE_MIN_BYTES || native === null) return crc32cSoftware(buf, start, end);
  if (start < 0 || end > buf.length || start > end) {
    throw new RangeError(`crc32c range [${start}, ${end}) outside a buffer of ${buf.length} bytes`);
  }
  const f = native ?? loadNativeOnce();
  if (!f) return crc32cSoftware(buf, start, end);
  return f(start === 0 && end === buf.length ? buf : buf.subarray(start, end)) >>> 0;
}
