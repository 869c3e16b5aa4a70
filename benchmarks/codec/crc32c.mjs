#!/usr/bin/env node
// CRC-32C throughput of the candidates for RecordBatch v2 checksums, on fixed 64 B, 1 KiB, 16 KiB and
// 1 MiB buffers, each next to a Buffer.copy of the same bytes in the same run (the ceiling for anything
// that touches every byte once). Every candidate is first checked against "123456789" -> 0xE3069283.
//   node benchmarks/codec/crc32c.mjs        (after `pnpm install`, which builds the codec)
import { createRequire } from "node:module";
import { crc32c, crc32cImplementation, crc32cImplementations, crc32cSoftware } from "../../packages/codec/dist/record/crc32c.js";

const require = createRequire(import.meta.url);
const sheetjs = require("crc-32/crc32c");
const noders = require("@node-rs/crc32");

const SIZES = [64, 256, 1024, 4096, 16 * 1024, 1024 * 1024];
const fixed = (n) => Buffer.from(Array.from({ length: n }, (_, i) => (i * 131 + (i >>> 8)) & 0xff));

const candidates = [
  ["crc-32/crc32c (pure JS)", (b) => sheetjs.buf(b) >>> 0],
  ["@node-rs/crc32 (native)", (b) => noders.crc32c(b) >>> 0],
  ["crc32cSoftware (slicing-by-8)", (b) => crc32cSoftware(b)],
  ...crc32cImplementations().filter(([n]) => n === "cpu").map(([, f]) => ["native/crc32c.c (CPU instruction)", (b) => f(b, 0, b.length)]),
  [`crc32c (odradek, ${crc32cImplementation})`, (b) => crc32c(b)],
];

const check = Buffer.from("123456789");
for (const [name, f] of candidates) {
  if (f(check) !== 0xe3069283) throw new Error(`${name} is wrong: ${f(check).toString(16)}`);
}
for (const n of SIZES) {
  const b = fixed(n);
  const want = crc32cSoftware(b);
  for (const [name, f] of candidates) if (f(b) !== want) throw new Error(`${name} disagrees at ${n} bytes`);
}

function bench(bytes, fn, minMs = 300) {
  const inner = Math.max(1, Math.floor((1 << 20) / bytes));
  for (let i = 0; i < 20 * inner; i++) fn(); // warm-up
  let n = 0;
  let sink = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < inner; i++) sink ^= fn() | 0;
    n += inner;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  if (sink === 0.5) console.log(sink);
  return (bytes * n) / (elapsed / 1000) / 1e9;
}

const fmt = (x) => x.toFixed(2).padStart(7);
console.log(`node ${process.version}; GB/s (10^9 bytes/s); ratio = candidate / Buffer.copy`);
for (const n of SIZES) {
  const src = fixed(n);
  const dst = Buffer.allocUnsafe(n);
  const copy = bench(n, () => src.copy(dst));
  const label = n >= 1 << 20 ? `${n >> 20} MiB` : n >= 1024 ? `${n >> 10} KiB` : `${n} B`;
  console.log(`\n${label}`);
  console.log(`  ${"Buffer.copy (baseline)".padEnd(34)} ${fmt(copy)} GB/s`);
  console.log(`  ${"Uint8Array.set (2nd baseline)".padEnd(34)} ${fmt(bench(n, () => dst.set(src)))} GB/s`);
  for (const [name, f] of candidates) {
    const gbs = bench(n, () => f(src));
    console.log(`  ${name.padEnd(34)} ${fmt(gbs)} GB/s  ${(gbs / copy).toFixed(3)}x`);
  }
}
