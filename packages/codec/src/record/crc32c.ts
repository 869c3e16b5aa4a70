/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF), the checksum of
 * a RecordBatch v2 (KIP-98). Check value: crc32c("123456789") = 0xE3069283.
 *
 * Three implementations with the same contract, the first that loads is used for ranges of
 * NATIVE_MIN_BYTES or more (below that the cost of an N-API call dominates and the table wins):
 * - "cpu": our own Node-API module (`native/crc32c.c`: the SSE 4.2 / ARMv8 CRC instruction), built at
 *   install by `scripts/build-native.mjs` (this package's `install` script) when a C compiler and Node's headers are there. 16 KiB in
 *   ~2 us (8 GB/s) here, against ~5 us for `@node-rs/crc32` — a Produce checks every batch's CRC, and
 *   the storage bench's CRC-checked append is bounded by it (`benchmarks/codec/crc32c.mjs`);
 * - "node-rs": `@node-rs/crc32` (Rust, prebuilt binary shipped in the npm package), 3.3–4 GB/s here;
 * - "js": `crc32cSoftware`, a slicing-by-8 table in TypeScript (0.9 GB/s), when neither loads.
 * `ODRADEK_CRC32C=js|node-rs|cpu` forces one (a forced one that cannot load falls back to the table).
 * The binding is loaded on the first range of NATIVE_MIN_BYTES or more, not at import (its dlopen costs
 * several milliseconds of start-up, and small batches never need it). `crc32cImplementation` names the
 * one in use for such ranges.
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

/** crc32c(bytes, start, end) with the range already checked; unsigned or signed 32-bit result. */
type NativeCrc32c = (input: Uint8Array, start: number, end: number) => number;
export type Crc32cImplementation = "cpu" | "node-rs" | "js";

const forced = process.env["ODRADEK_CRC32C"];

/** Refuses a binary that loads but computes something else. */
function checked(f: NativeCrc32c | undefined): NativeCrc32c | null {
  return typeof f === "function" && f(Buffer.from("123456789"), 0, 9) >>> 0 === 0xe3069283 ? f : null;
}

function loadCpu(): NativeCrc32c | null {
  try {
    // native/build/ sits two levels above both src/record/ and dist/record/.
    const mod = createRequire(import.meta.url)("../../native/build/crc32c.node") as { crc32c?: NativeCrc32c };
    return checked(mod.crc32c);
  } catch {
    return null;
  }
}

function loadNodeRs(): NativeCrc32c | null {
  try {
    const mod = createRequire(import.meta.url)("@node-rs/crc32") as { crc32c?: (input: Uint8Array) => number };
    const f = mod.crc32c;
    if (typeof f !== "function") return null;
    return checked((b, start, end) => f(start === 0 && end === b.length ? b : b.subarray(start, end)));
  } catch {
    return null;
  }
}

/** The binding once tried: a function, null when none loads; undefined before the first attempt. */
let native: NativeCrc32c | null | undefined = forced === "js" ? null : undefined;

/** Ranges shorter than this go to the table even when a native module is loaded (measured crossover). */
const NATIVE_MIN_BYTES = 256;

/** The implementation for ranges of NATIVE_MIN_BYTES or more ("cpu" until the first load says otherwise). */
export let crc32cImplementation: Crc32cImplementation = forced === "js" ? "js" : forced === "node-rs" ? "node-rs" : "cpu";

/** Every implementation that loads here, each as crc32c(bytes, start, end) (tests and benchmarks). */
export function crc32cImplementations(): Array<[Crc32cImplementation, (input: Uint8Array, start: number, end: number) => number]> {
  const out: Array<[Crc32cImplementation, (input: Uint8Array, start: number, end: number) => number]> = [];
  const cpu = loadCpu();
  const nodeRs = loadNodeRs();
  if (cpu) out.push(["cpu", (b, s, e) => cpu(b, s, e) >>> 0]);
  if (nodeRs) out.push(["node-rs", (b, s, e) => nodeRs(b, s, e) >>> 0]);
  out.push(["js", crc32cSoftware]);
  return out;
}

function loadNativeOnce(): NativeCrc32c | null {
  const cpu = forced === "node-rs" ? null : loadCpu();
  const f = cpu ?? (forced === "cpu" ? null : loadNodeRs());
  crc32cImplementation = cpu ? "cpu" : f ? "node-rs" : "js";
  native = f;
  return f;
}

/** CRC-32C of `buf[start, end)` as an unsigned 32-bit number. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  if (end - start < NATIVE_MIN_BYTES || native === null) return crc32cSoftware(buf, start, end);
  if (start < 0 || end > buf.length || start > end) {
    throw new RangeError(`crc32c range [${start}, ${end}) outside a buffer of ${buf.length} bytes`);
  }
  const f = native ?? loadNativeOnce();
  if (!f) return crc32cSoftware(buf, start, end);
  return f(buf, start, end) >>> 0;
}
