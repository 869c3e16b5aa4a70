#!/usr/bin/env node
// What deriving a batch's max timestamp from its records costs on the Produce path (issue 13, item 3),
// per MB of batches, next to a baseline measured in the same run on the same bytes: the CRC-32C check
// every produced batch already gets (validateBatch) and, for compressed batches, the decompression alone.
// Figures: MB/s of uncompressed batch bytes (the records as the producer wrote them; compressed batches
// are smaller on the wire by the ratio shown) and the added cost in ms per such MB.
// Usage: node packages/storage/bench/record-timestamps.mjs [MB=64]. Requires a build (pnpm exec tsc -b packages/storage).
import { CompressionCodec, batchRecordTimestamps, buildRecordBatchAsync, decompressSync, validateBatch } from "@odradek/codec";

const totalMB = Number(process.argv[2] ?? 64);
const sec = () => Number(process.hrtime.bigint()) / 1e9;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** MB/s of `fn` over `batches`, repeated until `totalMB` have been processed; median of 5 rounds. */
function rate(batches, bytes, fn) {
  const reps = Math.max(1, Math.round((totalMB * 1024 * 1024) / bytes));
  const rounds = [];
  for (let i = 0; i < Math.min(reps, 50); i++) for (const b of batches) fn(b); // warm-up
  for (let r = 0; r < 5; r++) {
    const t0 = sec();
    for (let i = 0; i < reps; i++) for (const b of batches) fn(b);
    rounds.push((reps * bytes) / 1024 / 1024 / (sec() - t0));
  }
  return median(rounds);
}

const shapes = [
  ["100 B records, 16 KiB batches", 100, 16 * 1024],
  ["1 KiB records, 16 KiB batches", 1024, 16 * 1024],
  ["100 B records, 1 MiB batches", 100, 1024 * 1024],
];
const codecs = [["none", CompressionCodec.none], ["lz4", CompressionCodec.lz4], ["zstd", CompressionCodec.zstd], ["snappy", CompressionCodec.snappy], ["gzip", CompressionCodec.gzip]];

console.log(`record timestamps: ${totalMB} MB per figure, medians of 5 rounds, node ${process.version}`);
console.log(`${"batches".padEnd(32)} ${"codec".padEnd(11)} ${"baseline".padEnd(26)} ${"baseline MB/s".padStart(13)} ${"+timestamps MB/s".padStart(17)} ${"ratio".padStart(6)} ${"added ms/MB".padStart(12)}`);
for (const [name, recordSize, batchSize] of shapes) {
  const perBatch = Math.max(1, Math.floor(batchSize / (recordSize + 10)));
  for (const [codecName, codec] of codecs) {
    const batches = [];
    for (let k = 0; k < 16; k++) {
      const t = 1_800_000_000_000 + k * 1000;
      // JSON-like values with random fields: compress about 2-4x, as typical payloads do
      const value = () => {
        let s = "";
        while (s.length < recordSize) s += `{"id":${Math.floor(Math.random() * 1e9)},"user":"u-${Math.floor(Math.random() * 1e4)}","ok":true,"tag":"${Math.random().toString(36).slice(2, 8)}"}`;
        return Buffer.from(s.slice(0, recordSize));
      };
      const records = Array.from({ length: perBatch }, (_, i) => ({ key: `key-${k}-${i}`, value: value(), timestamp: t + (i % 7) }));
      batches.push(await buildRecordBatchAsync({ compression: codec, records }));
    }
    const crc = (b) => validateBatch(b);
    const base = codec === CompressionCodec.none ? crc : (b) => {
      const h = validateBatch(b);
      decompressSync(codec, b.subarray(61));
      return h;
    };
    const withTimestamps = (b) => batchRecordTimestamps(b, validateBatch(b));
    const wire = batches.reduce((n, b) => n + b.length, 0);
    const raw = codec === CompressionCodec.none ? wire : batches.reduce((n, b) => n + 61 + decompressSync(codec, b.subarray(61)).length, 0);
    const crcOnly = rate(batches, raw, crc);
    const a = codec === CompressionCodec.none ? crcOnly : rate(batches, raw, base);
    const c = rate(batches, raw, withTimestamps);
    const added = 1000 / c - 1000 / crcOnly;
    console.log(`${name.padEnd(32)} ${`${codecName} ${(raw / wire).toFixed(1)}x`.padEnd(11)} ${(codec === 0 ? "CRC check" : "CRC check + decompression").padEnd(26)} ${a.toFixed(0).padStart(13)} ${c.toFixed(0).padStart(17)} ${(c / a).toFixed(2).padStart(6)} ${added.toFixed(3).padStart(12)}`);
  }
}
