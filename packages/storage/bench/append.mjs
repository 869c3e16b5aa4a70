#!/usr/bin/env node
// Storage benchmark (not a test): each figure printed next to a raw-disk baseline measured in the same
// run, same directory, same bytes. Usage: node packages/storage/bench/append.mjs [dir] [MB=256]
// Requires a build (pnpm exec tsc -b packages/storage).
import { mkdtempSync, rmSync, openSync, closeSync, fdatasyncSync, writeSync, readSync, appendFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NodeFileSystem, UnifiedLog, defaultLogConfig, buildRecordBatch } from "../dist/index.js";

const root = mkdtempSync(join(process.argv[2] ?? tmpdir(), "odradek-bench-"));
const totalMB = Number(process.argv[3] ?? 256);
// ODRADEK_INLINE_IO=0 measures file I/O through libuv's thread pool instead of inline calls.
const fs = new NodeFileSystem({ inlineIo: process.env.ODRADEK_INLINE_IO !== "0" });
const RECORD = 1024;
const PER_BATCH = 16;
const template = () => buildRecordBatch(Array.from({ length: PER_BATCH }, (_, i) => ({ key: `key-${i}`, value: Buffer.alloc(RECORD - 16, i) })));
const batchBytes = template().length;
const batches = Math.floor((totalMB * 1024 * 1024) / batchBytes);
const pool = Array.from({ length: 64 }, template);
const mb = (bytes) => bytes / 1024 / 1024;
const now = () => Number(process.hrtime.bigint()) / 1e9;
const line = (name, value, unit, base, baseUnit = unit) =>
  console.log(`${name.padEnd(44)} ${value.toFixed(1).padStart(9)} ${unit.padEnd(8)} raw ${base.toFixed(1).padStart(9)} ${baseUnit.padEnd(8)} ratio ${(value / base).toFixed(2)}`);
const config = { ...defaultLogConfig, segmentBytes: 128 * 1024 * 1024 };
const openLog = (dir, extra = {}, recoveryPoint = 0) => UnifiedLog.open({ fs, dir: join(root, dir), topic: "t", partition: 0, config: { ...config, ...extra }, recoveryPoint });

console.log(`odradek storage benchmark: ${totalMB} MB of ${PER_BATCH} x ${RECORD} B records in ${batchBytes} B batches, dir ${root}`);

// 1. append throughput vs raw sequential write
{
  const log = await openLog("append-0");
  let t = now();
  for (let i = 0; i < batches; i++) await log.append(pool[i % pool.length]);
  const appendS = now() - t;
  await log.close();
  const raw = await open(join(root, "raw.bin"), "w");
  t = now();
  let pos = 0;
  for (let i = 0; i < batches; i++) {
    await raw.write(pool[i % pool.length], 0, batchBytes, pos);
    pos += batchBytes;
  }
  const rawAsyncS = now() - t;
  await raw.close();
  // The baseline is the faster of the two raw ways: async writes through libuv's pool, and writeSync.
  const fd = openSync(join(root, "raw-inline.bin"), "w");
  t = now();
  pos = 0;
  for (let i = 0; i < batches; i++) {
    writeSync(fd, pool[i % pool.length], 0, batchBytes, pos);
    pos += batchBytes;
  }
  const rawSyncS = now() - t;
  closeSync(fd);
  const rawS = Math.min(rawAsyncS, rawSyncS);
  line(`append (page cache; raw = ${rawS === rawSyncS ? "writeSync" : "async write"})`, mb(batches * batchBytes) / appendS, "MB/s", mb(batches * batchBytes) / rawS);
}

// 2. append with flush per batch vs write + fdatasync
{
  const n = 500;
  const log = await openLog("flush-0", { flushMessages: 1 });
  let t = now();
  for (let i = 0; i < n; i++) await log.append(pool[i % pool.length]);
  const s = now() - t;
  await log.close();
  const fd = openSync(join(root, "raw-sync.bin"), "w");
  t = now();
  let pos = 0;
  for (let i = 0; i < n; i++) {
    writeSync(fd, pool[i % pool.length], 0, batchBytes, pos);
    fdatasyncSync(fd);
    pos += batchBytes;
  }
  const rawS = now() - t;
  closeSync(fd);
  line("append, flush.messages=1", n / s, "batch/s", n / rawS);
}

// 3. warm read vs raw pread of the same file: fresh buffers (the default), then pooled buffers
//    (ReadOptions.pooled, given back by release() as a broker does once the bytes are sent)
for (const pooled of [false, true]) {
  const log = await openLog("append-0", {}, Infinity);
  let t = now();
  let bytes = 0;
  let offset = 0;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, { maxBytes: 1024 * 1024, pooled });
    const b = r.records[0];
    bytes += b.length;
    // the last batch read: scan headers to find the next offset
    let p = 0, last = 0;
    while (p < b.length) { last = p; p += b.readInt32BE(p + 8) + 12; }
    offset = b.readInt32BE(last + 4) + b.readInt32BE(last + 23) + 1;
    r.release();
  }
  const readS = now() - t;
  await log.close();
  const fd = openSync(join(root, "raw.bin"), "r");
  const buf = Buffer.allocUnsafe(1024 * 1024);
  t = now();
  let rb = 0, n;
  while ((n = readSync(fd, buf, 0, buf.length, rb)) > 0) rb += n;
  const rawS = now() - t;
  closeSync(fd);
  line(`read warm (1 MiB fetches${pooled ? ", pooled" : ""})`, mb(bytes) / readS, "MB/s", mb(rb) / rawS);
}

// 4. recovery (full validation, CRC-32C) per GB vs raw read of the same bytes
{
  let t = now();
  const log = await openLog("append-0", {}, 0);
  const s = now() - t;
  await log.close();
  const fd = openSync(join(root, "raw.bin"), "r");
  const buf = Buffer.allocUnsafe(8 * 1024 * 1024);
  t = now();
  let rb = 0, n;
  while ((n = readSync(fd, buf, 0, buf.length, rb)) > 0) rb += n;
  const rawS = now() - t;
  closeSync(fd);
  const gb = mb(batches * batchBytes) / 1024;
  line("recovery, clean log (s per GB)", s / gb, "s/GB", rawS / gb);
  // torn tail: half a batch appended to the active segment
  const segs = (await fs.readdir(join(root, "append-0"))).filter((f) => f.endsWith(".log")).sort();
  appendFileSync(join(root, "append-0", segs[segs.length - 1]), pool[0].subarray(0, batchBytes >> 1));
  t = now();
  const torn = await openLog("append-0", {}, 0);
  const ts = now() - t;
  await torn.close();
  line("recovery, torn tail (s per GB)", ts / gb, "s/GB", rawS / gb);
  t = now();
  const clean = await openLog("append-0", {}, torn.logEndOffset);
  const cs = now() - t;
  await clean.close();
  console.log(`${"reopen after clean shutdown".padEnd(44)} ${(cs * 1000).toFixed(1).padStart(9)} ms`);
}
rmSync(root, { recursive: true, force: true });
