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
  console.log(`${name.padEnd(52)} ${value.toFixed(1).padStart(9)} ${unit.padEnd(8)} raw ${base.toFixed(1).padStart(9)} ${baseUnit.padEnd(8)} ratio ${(value / base).toFixed(2)}`);
// Kafka's default segment.bytes (1 GiB): no roll within the default 256 MB; the append section also runs
// one writer with a roll every 64 MB.
const config = { ...defaultLogConfig, segmentBytes: Number(process.env.SEGMENT_MB ?? 1024) * 1024 * 1024 };
const openLog = (dir, extra = {}, recoveryPoint = 0) => UnifiedLog.open({ fs, dir: join(root, dir), topic: "t", partition: 0, config: { ...config, ...extra }, recoveryPoint });

console.log(`odradek storage benchmark: ${totalMB} MB of ${PER_BATCH} x ${RECORD} B records in ${batchBytes} B batches, dir ${root}`);

// 1. append throughput vs raw sequential write, four ways, each into a new file of the same size:
//    the engine as Produce uses it (origin "client": shape, size, CRC-32C and counts checked once, in
//    log-validator.ts); the same with a roll every 64 MB; raw async writes (libuv's pool); raw writeSync.
//    The baseline is the faster raw way.
//    ROUNDS rounds, the order rotated each round (page-cache writeback from the previous writer slows
//    the next one), medians; the files of a round are removed before the next.
{
  const ROUNDS = 3;
  const ways = {
    "append, as Produce (checks in the log)": (dir) => appendAll(dir, {}),
    // A roll fsyncs the closed segment in the background (as Kafka schedules it) while appends go on.
    "same, a roll every 64 MB": (dir) => appendAll(dir, {}, { segmentBytes: 64 * 1024 * 1024 }),
    "async write": async (dir) => {
      const raw = await open(join(root, dir), "w");
      let pos = 0;
      for (let i = 0; i < batches; i++, pos += batchBytes) await raw.write(pool[i % pool.length], 0, batchBytes, pos);
      await raw.close();
    },
    writeSync: async (dir) => {
      const fd = openSync(join(root, dir), "w");
      for (let i = 0, pos = 0; i < batches; i++, pos += batchBytes) writeSync(fd, pool[i % pool.length], 0, batchBytes, pos);
      closeSync(fd);
    },
  };
  async function appendAll(dir, options, extra = {}) {
    const log = await openLog(dir, extra);
    for (let i = 0; i < batches; i++) await log.append(pool[i % pool.length], options);
    return () => log.close();
  }
  const names = Object.keys(ways);
  const seconds = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const order = names.map((_, i) => names[(i + r) % names.length]);
    for (const name of order) {
      const dir = r === ROUNDS - 1 && name === names[0] ? "append-0" : r === ROUNDS - 1 && name === "writeSync" ? "raw.bin" : `w-${r}-${names.indexOf(name)}`;
      const t = now();
      const after = await ways[name](dir);
      seconds[name].push(now() - t);
      if (after) await after(); // close (its final fsync) outside the timing
    }
    if (r < ROUNDS - 1) for (const f of await fs.readdir(root)) if (f.startsWith(`w-${r}-`)) rmSync(join(root, f), { recursive: true, force: true });
  }
  const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
  const rawWay = median(seconds.writeSync) <= median(seconds["async write"]) ? "writeSync" : "async write";
  const rawS = median(seconds[rawWay]);
  for (const name of names.slice(0, 2)) line(`${name} (raw = ${rawWay})`, mb(batches * batchBytes) / median(seconds[name]), "MB/s", mb(batches * batchBytes) / rawS);
  console.log(`${"".padEnd(52)} (medians of ${ROUNDS} rounds; raw writeSync ${(mb(batches * batchBytes) / median(seconds.writeSync)).toFixed(0)}, async write ${(mb(batches * batchBytes) / median(seconds["async write"])).toFixed(0)} MB/s)`);
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
  console.log(`${"reopen after clean shutdown".padEnd(52)} ${(cs * 1000).toFixed(1).padStart(9)} ms`);
}
rmSync(root, { recursive: true, force: true });
