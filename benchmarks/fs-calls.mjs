#!/usr/bin/env node
// The cost of one file-system call from Node 20 on this machine, the way a partition log makes it:
// one call at a time, at increasing positions, to a file in the page cache (no fsync). Each callback
// call (fs.write / fs.read, what @odradek/storage uses) hands the work to a libuv thread and back;
// the synchronous call (fs.writeSync / fs.readSync) does the same syscall on the calling thread.
// Prints wall and CPU (user+sys of this process, all threads) per call for 16 KiB and 1 MiB, and the
// copy-speed ceiling: Buffer.copy of the same bytes.
//   node benchmarks/fs-calls.mjs [--calls N]
import { openSync, closeSync, rmSync, write, writeSync, read, readSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const argv = process.argv.slice(2);
const calls = Number(argv[argv.indexOf("--calls") + 1] || 0) || 5000;
const dir = join(new URL("..", import.meta.url).pathname, "benchmarks/.cache");
mkdirSync(dir, { recursive: true });
const file = join(dir, "fs-calls.bin");

const cbWrite = (fd, b, pos) => new Promise((res, rej) => write(fd, b, 0, b.length, pos, (e) => (e ? rej(e) : res())));
const cbRead = (fd, b, pos) => new Promise((res, rej) => read(fd, b, 0, b.length, pos, (e) => (e ? rej(e) : res())));

async function measure(label, size, n, fn) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  const wall = ((performance.now() - t0) * 1000) / n;
  const c = process.cpuUsage(c0);
  const cpu = (c.user + c.system) / n;
  const mbps = (size / (wall / 1e6)) / 1e6;
  process.stdout.write(`${label.padEnd(30)} ${String(size / 1024).padStart(5)} KiB  ${wall.toFixed(1).padStart(7)} µs wall  ${cpu.toFixed(1).padStart(7)} µs CPU (sys ${(c.system / n).toFixed(1)})  ${mbps.toFixed(0).padStart(6)} MB/s\n`);
}

for (const size of [16 * 1024, 1024 * 1024]) {
  const n = size > 65536 ? Math.max(50, Math.floor(calls / 20)) : calls;
  const buf = Buffer.alloc(size, 97);
  const dst = Buffer.alloc(size);
  for (let rep = 0; rep < 2; rep++) {
    let fd = openSync(file, "w+");
    await measure("fs.write (callback)", size, n, (i) => cbWrite(fd, buf, i * size));
    closeSync(fd);
    fd = openSync(file, "w+");
    await measure("fs.writeSync", size, n, (i) => writeSync(fd, buf, 0, size, i * size));
    await measure("fs.read (callback)", size, n, (i) => cbRead(fd, dst, i * size));
    await measure("fs.readSync", size, n, (i) => readSync(fd, dst, 0, size, i * size));
    closeSync(fd);
    await measure("Buffer.copy (ceiling)", size, n, () => buf.copy(dst));
  }
}
rmSync(file, { force: true });
