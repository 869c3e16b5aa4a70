#!/usr/bin/env node
// Codec throughput: decode and encode of Produce requests (v3, v9, v11) and Fetch responses
// (v11, v16) carrying 1 KiB records in 16 KiB batches, each next to a Buffer.copy of the same bytes
// in the same run (the ceiling for anything that touches every byte once).
//   node benchmarks/codec/messages.mjs        (after `pnpm install`, which builds the codec)
import { decodeRequest, decodeResponse, encodeRequest, encodeResponseFrame } from "../../packages/codec/dist/index.js";

const BATCH = 16 * 1024;
const PARTITIONS = 16;
const BATCHES_PER_FETCH_PARTITION = 4;
const batch = () => Buffer.from(Array.from({ length: BATCH }, (_, i) => (i * 31) & 0xff));

function bench(label, bytes, fn, minMs = 400) {
  for (let i = 0; i < 50; i++) fn(); // warm-up
  let n = 0;
  const t0 = process.hrtime.bigint();
  let elapsed = 0;
  while (elapsed < minMs) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
    elapsed = Number(process.hrtime.bigint() - t0) / 1e6;
  }
  const mbs = (bytes * n) / (elapsed / 1000) / 1e6;
  return { label, mbs };
}

function copyBaseline(bytes) {
  const src = Buffer.alloc(bytes, 7);
  const dst = Buffer.allocUnsafe(bytes);
  return bench("Buffer.copy", bytes, () => src.copy(dst));
}

const rows = [];
for (const v of [3, 9, 11]) {
  const body = { transactionalId: null, acks: -1, timeoutMs: 30000, topicData: [{ name: "bench", partitionData: Array.from({ length: PARTITIONS }, (_, i) => ({ index: i, records: batch() })) }] };
  const frame = encodeRequest({ requestApiKey: 0, requestApiVersion: v, correlationId: 1, clientId: "bench" }, body);
  const dec = bench(`Produce v${v} decode`, frame.length, () => decodeRequest(frame));
  const enc = bench(`Produce v${v} encode`, frame.length, () => encodeRequest({ requestApiKey: 0, requestApiVersion: v, correlationId: 1, clientId: "bench" }, body));
  const base = copyBaseline(frame.length);
  rows.push([dec, base], [enc, base]);
}
for (const v of [11, 16]) {
  const records = Array.from({ length: BATCHES_PER_FETCH_PARTITION }, batch);
  const body = { throttleTimeMs: 0, errorCode: 0, sessionId: 0, responses: [{ topic: "bench", topicId: "AAAAAAAAAAAAAAAAAAAAAA", partitions: Array.from({ length: PARTITIONS }, (_, i) => ({ partitionIndex: i, errorCode: 0, highWatermark: 1000n, lastStableOffset: 1000n, logStartOffset: 0n, abortedTransactions: [], preferredReadReplica: -1, records })) }] };
  const chunks = encodeResponseFrame(1, v, 1, body);
  const frame = Buffer.concat(chunks).subarray(4);
  const enc = bench(`Fetch v${v} response encode (chunks, zero-copy)`, frame.length, () => encodeResponseFrame(1, v, 1, body));
  const encCat = bench(`Fetch v${v} response encode + concat`, frame.length, () => Buffer.concat(encodeResponseFrame(1, v, 1, body)));
  const dec = bench(`Fetch v${v} response decode`, frame.length, () => decodeResponse(1, v, frame));
  const base = copyBaseline(frame.length);
  rows.push([enc, base], [encCat, base], [dec, base]);
}
console.log(`codec throughput (1 KiB records in 16 KiB batches; Produce ${PARTITIONS}×1 batch, Fetch ${PARTITIONS}×${BATCHES_PER_FETCH_PARTITION} batches)`);
console.log("operation".padEnd(48), "MB/s".padStart(10), "Buffer.copy MB/s".padStart(18), "ratio".padStart(8));
for (const [r, b] of rows) console.log(r.label.padEnd(48), r.mbs.toFixed(0).padStart(10), b.mbs.toFixed(0).padStart(18), (r.mbs / b.mbs).toFixed(2).padStart(8));
