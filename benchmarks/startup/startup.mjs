#!/usr/bin/env node
// Cold start and idle memory of the `odradek` CLI, next to bare Node.js measured in the same run.
//
//   node benchmarks/startup/startup.mjs [--runs N] [--idle-ms MS] [--modes memory,disk] [--cli PATH]
//                                       [--compare PATH] [--breakdown]
//
// Per run, for each mode (`--memory`, and `--data-dir` on a fresh empty temp dir), the CLI is spawned
// with `--port 0` and measured:
//   wall→ready    spawn() to the "odradek ready on HOST:PORT in N ms" line on stdout
//   ready figure  the N of that line (the CLI's own performance.now(), i.e. from process start)
//   wall→produce  spawn() to the first acknowledged Produce: as soon as the ready line is read, a raw
//                 client connects and sends ApiVersions v0, Metadata v4 (auto-creating the topic) and
//                 Produce v3 (acks=1, one 100-byte record); retriable errors repeat Metadata+Produce
//   CPU→ready     main-thread CPU time up to the ready line (/proc/PID/schedstat, ns), and beside it the
//                 time the thread spent runnable but waiting for a core: on a busy machine wall times
//                 swing with other load, the CPU figure much less
//   idle RSS      VmRSS from /proc/PID/status `--idle-ms` (default 5000) after the ready line, with the
//                 client disconnected; VmHWM (peak) beside it
// Baselines in the same run: `node -e 0` (spawn to exit); a 6-line `node:net` server that prints a ready
// line once listening (the floor for any Node broker: Node's boot + a bound socket); and the idle RSS of
// both. Medians over the runs, with min–max, and the ratio to the matching baseline.
//
// `--compare PATH` measures a second build of the CLI (e.g. a checkout of an older commit) in the same
// interleaved runs and prints its rows too, labelled with its path. A `--cli` or `--compare` path
// ending in `.blob` is a Node.js startup snapshot of the CLI, run as `node --snapshot-blob PATH -- …`
// (benchmarks/startup/README.md: how one is built, and why the CLI does not use one).
//
// The client is hand-written (frames, RecordBatch v2, CRC-32C below) so that it depends on nothing in
// the packages it measures. `--breakdown` runs the CLI once more per mode with `--import` of a hook that
// prints process.memoryUsage() and V8 heap-space sizes after the idle delay (stderr), for the report.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");

function flag(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  return process.argv[i + 1];
}
const RUNS = Number(flag("runs", "7"));
const IDLE_MS = Number(flag("idle-ms", "5000"));
const MODES = flag("modes", "memory,disk").split(",");
const CLI = resolve(flag("cli", join(root, "packages/cli/bin/odradek.js")));
const COMPARE = flag("compare", null);
const CLIS = COMPARE ? [CLI, resolve(COMPARE)] : [CLI];
const BREAKDOWN = process.argv.includes("--breakdown");
const READY_RE = /^odradek ready on (\S+):(\d+) in (\d+) ms/m;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- CRC-32C (Castagnoli), bytewise table: only for the one small batch this script sends ----
const CRC_T = new Int32Array(256);
for (let b = 0; b < 256; b++) {
  let c = b;
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  CRC_T[b] = c;
}
function crc32c(buf) {
  let c = -1;
  for (let i = 0; i < buf.length; i++) c = (c >>> 8) ^ CRC_T[(c ^ buf[i]) & 0xff];
  return (c ^ -1) >>> 0;
}

// ---- wire helpers (classic, non-flexible versions only) ----
const zigzag = (n) => (n << 1) ^ (n >> 31);
function varint(n) {
  let u = zigzag(n) >>> 0;
  const out = [];
  while (u > 0x7f) {
    out.push((u & 0x7f) | 0x80);
    u >>>= 7;
  }
  out.push(u);
  return Buffer.from(out);
}
const i8 = (n) => Buffer.from([n & 0xff]);
const i16 = (n) => { const b = Buffer.alloc(2); b.writeInt16BE(n); return b; };
const i32 = (n) => { const b = Buffer.alloc(4); b.writeInt32BE(n); return b; };
const i64 = (n) => { const b = Buffer.alloc(8); b.writeBigInt64BE(BigInt(n)); return b; };
const str = (s) => (s === null ? i16(-1) : Buffer.concat([i16(Buffer.byteLength(s)), Buffer.from(s)]));

/** A RecordBatch v2 with one record (no key, `value`), uncompressed, no producer id. */
function recordBatch(value) {
  const now = Date.now();
  const body = Buffer.concat([i8(0), varint(0) /* ts delta */, varint(0) /* offset delta */, varint(-1) /* key */, varint(value.length), value, varint(0) /* headers */]);
  const record = Buffer.concat([varint(body.length), body]);
  // From attributes to the end: what the CRC covers.
  const tail = Buffer.concat([i16(0), i32(0), i64(now), i64(now), i64(-1), i16(-1), i32(-1), i32(1), record]);
  const head = Buffer.concat([i64(0), i32(4 + 1 + 4 + tail.length), i32(-1), i8(2)]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32c(tail));
  return Buffer.concat([head, crc, tail]);
}

/** Request frame: size, header v1 (key, version, correlation id, client id), body. */
function frame(apiKey, apiVersion, correlationId, body) {
  const payload = Buffer.concat([i16(apiKey), i16(apiVersion), i32(correlationId), str("startup-bench"), body]);
  return Buffer.concat([i32(payload.length), payload]);
}

/** One connection; `request` resolves with the response body (after the correlation id). */
function client(host, port) {
  return new Promise((resolveConn, rejectConn) => {
    const sock = connect({ host, port, noDelay: true });
    let buf = Buffer.alloc(0);
    const waiting = new Map();
    let corr = 0;
    sock.on("data", (chunk) => {
      buf = Buffer.concat([buf, chunk]);
      while (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) {
        const size = buf.readInt32BE(0);
        const resp = buf.subarray(4, 4 + size);
        buf = buf.subarray(4 + size);
        const id = resp.readInt32BE(0);
        waiting.get(id)?.(resp.subarray(4));
        waiting.delete(id);
      }
    });
    const fail = (err) => {
      for (const w of waiting.values()) w(null, err);
      waiting.clear();
    };
    sock.once("error", (err) => {
      rejectConn(err);
      fail(err);
    });
    sock.once("close", () => fail(new Error("connection closed by the broker")));
    sock.once("connect", () =>
      resolveConn({
        request(apiKey, apiVersion, body) {
          const id = ++corr;
          return new Promise((res, rej) => {
            waiting.set(id, (body, err) => (err ? rej(err) : res(body)));
            sock.write(frame(apiKey, apiVersion, id, body));
          });
        },
        close: () => sock.destroy(),
      }),
    );
  });
}

const TOPIC = "startup-bench";
const RETRIABLE = new Set([3 /* UNKNOWN_TOPIC_OR_PARTITION */, 5 /* LEADER_NOT_AVAILABLE */, 6 /* NOT_LEADER */]);

/** ApiVersions, then Metadata (auto-create) + Produce until the produce is acknowledged. */
async function firstProduce(host, port) {
  const c = await client(host, port);
  try {
    await c.request(18, 0, Buffer.alloc(0));
    const batch = recordBatch(Buffer.alloc(100, 0x61));
    const produceBody = Buffer.concat([str(null), i16(1), i32(30000), i32(1), str(TOPIC), i32(1), i32(0), i32(batch.length), batch]);
    for (let attempt = 1; attempt <= 200; attempt++) {
      await c.request(3, 4, Buffer.concat([i32(1), str(TOPIC), i8(1)]));
      const r = await c.request(0, 3, produceBody);
      // responses[1]: name, partitions[1]: index, error_code, ...
      let p = 4;
      p += 2 + r.readInt16BE(p);
      p += 4 + 4;
      const errorCode = r.readInt16BE(p);
      if (errorCode === 0) return attempt;
      if (!RETRIABLE.has(errorCode)) throw new Error(`Produce failed with error code ${errorCode}`);
      await sleep(2);
    }
    throw new Error("Produce not acknowledged after 200 attempts");
  } finally {
    c.close();
  }
}

/** Main-thread CPU time and run-queue wait so far, in ms. */
function schedstat(pid) {
  const [run, wait] = readFileSync(`/proc/${pid}/schedstat`, "utf8").trim().split(/\s+/).map(Number);
  return { cpuMs: run / 1e6, waitMs: wait / 1e6 };
}

function rss(pid) {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN);
  return { rss: kb("VmRSS") / 1024, hwm: kb("VmHWM") / 1024, anon: kb("RssAnon") / 1024, file: kb("RssFile") / 1024 };
}

/** Spawns `args`, resolves at the first stdout line matching `re` (or rejects on exit). */
function spawnUntil(args, re, opts = {}) {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { stdio: ["ignore", "pipe", opts.stderr ?? "ignore"], ...opts.spawn });
  return new Promise((res, rej) => {
    let out = "";
    const onData = (d) => {
      out += d;
      const m = re.exec(out);
      if (m) {
        const sched = schedstat(child.pid);
        child.stdout.off("data", onData);
        child.stdout.resume();
        res({ child, match: m, wallMs: performance.now() - t0, t0, ...sched });
      }
    };
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", onData);
    child.once("exit", (code) => rej(new Error(`${args.join(" ")} exited with ${code} before its ready line; stdout: ${out}`)));
  });
}

function stop(child) {
  return new Promise((res) => {
    if (child.exitCode !== null || child.signalCode !== null) return res();
    child.once("exit", () => res());
    child.kill("SIGTERM");
    setTimeout(() => child.kill("SIGKILL"), 5000).unref();
  });
}

async function runCli(mode, extraNodeArgs = [], cli = CLI) {
  const dir = mode === "disk" ? mkdtempSync(join(tmpdir(), "odradek-startup-")) : null;
  // A `.blob` is a startup snapshot of the CLI (node --build-snapshot): run as `node --snapshot-blob`.
  const entry = cli.endsWith(".blob") ? ["--snapshot-blob", cli, "--"] : [cli];
  const args = [...extraNodeArgs, ...entry, "--port", "0", ...(dir ? ["--data-dir", dir] : ["--memory"])];
  try {
    const spawnOpts = extraNodeArgs.length
      ? { stderr: "inherit", spawn: { env: { ...process.env, ODRADEK_LOG_LEVEL: "warn", STARTUP_IDLE_MS: String(IDLE_MS) } } }
      : {};
    const { child, match, wallMs, t0, cpuMs, waitMs } = await spawnUntil(args, READY_RE, spawnOpts);
    child.removeAllListeners("exit");
    const attempts = await firstProduce(match[1], Number(match[2]));
    const produceMs = performance.now() - t0;
    await sleep(Math.max(0, IDLE_MS - (performance.now() - t0 - wallMs)));
    const mem = rss(child.pid);
    await stop(child);
    return { wallMs, readyFigure: Number(match[3]), cpuMs, waitMs, produceMs, attempts, ...mem };
  } finally {
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

async function nodeE0() {
  const t0 = performance.now();
  const child = spawn(process.execPath, ["-e", "0"], { stdio: "ignore" });
  await new Promise((r) => child.once("exit", r));
  return performance.now() - t0;
}

const NET_FLOOR = `require("node:net").createServer((s) => s.destroy()).listen(0, "127.0.0.1", function () { process.stdout.write("ready " + this.address().port + "\\n"); });`;
async function netFloor() {
  const { child, wallMs, cpuMs, waitMs } = await spawnUntil(["-e", NET_FLOOR], /^ready \d+/m);
  await sleep(IDLE_MS);
  const mem = rss(child.pid);
  await stop(child);
  return { wallMs, cpuMs, waitMs, ...mem };
}
async function nodeIdle() {
  const { child } = await spawnUntil(["-e", `process.stdout.write("up\\n"); setTimeout(() => {}, 1e9);`], /^up/m);
  await sleep(IDLE_MS);
  const mem = rss(child.pid);
  await stop(child);
  return mem;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (xs, unit, digits = 0) => `${median(xs).toFixed(digits)} ${unit} (${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)})`;
const ratio = (a, b) => `${(median(a) / median(b)).toFixed(2)}×`;

const series = CLIS.flatMap((cli) => MODES.map((mode) => ({ cli, mode, runs: [] })));
const base = { e0: [], net: [], idle: [] };
// Interleave everything so that drift in machine load hits all series alike.
for (let i = 0; i < RUNS; i++) {
  base.e0.push(await nodeE0());
  for (const s of series) s.runs.push(await runCli(s.mode, [], s.cli));
  base.net.push(await netFloor());
  base.idle.push(await nodeIdle());
  process.stderr.write(`run ${i + 1}/${RUNS} done\n`);
}

const e0 = base.e0;
const netWall = base.net.map((r) => r.wallMs);
const idleRss = base.idle.map((r) => r.rss);
const shortPath = (p) => p.replace(root + "/", "");
console.log(`odradek cold start and idle memory — ${RUNS} runs, medians (min–max); node ${process.version}; ${CLIS.map(shortPath).join(" vs ")}`);
console.log("");
console.log("| series | median (min–max) | ratio to baseline |");
console.log("|---|---|---|");
console.log(`| baseline: \`node -e 0\` spawn→exit | ${fmt(e0, "ms")} | 1.00× |`);
console.log(`| baseline: node:net server spawn→listening line | ${fmt(netWall, "ms")} | ${ratio(netWall, e0)} of node -e 0 |`);
const netCpu = base.net.map((r) => r.cpuMs);
console.log(`| baseline: node:net server main-thread CPU→listening (run-queue wait) | ${fmt(netCpu, "ms")} (${fmt(base.net.map((r) => r.waitMs), "ms")}) | |`);
console.log(`| baseline: idle RSS of \`node -e "setTimeout(…)"\` | ${fmt(idleRss, "MB", 1)} | 1.00× |`);
console.log(`| baseline: idle node, RSS anonymous / file-backed | ${fmt(base.idle.map((r) => r.anon), "MB", 1)} / ${fmt(base.idle.map((r) => r.file), "MB", 1)} | |`);
console.log(`| baseline: idle RSS of the node:net server | ${fmt(base.net.map((r) => r.rss), "MB", 1)} | ${ratio(base.net.map((r) => r.rss), idleRss)} |`);
for (const { cli, mode, runs: r } of series) {
  const label = (CLIS.length > 1 ? `${shortPath(cli)} ` : "") + (mode === "memory" ? "--memory" : "--data-dir (empty temp dir)");
  const wall = r.map((x) => x.wallMs);
  const prod = r.map((x) => x.produceMs);
  console.log(`| ${label}: spawn→ready line | ${fmt(wall, "ms")} | ${ratio(wall, e0)} of node -e 0, ${ratio(wall, netWall)} of net server |`);
  console.log(`| ${label}: ready line's own figure | ${fmt(r.map((x) => x.readyFigure), "ms")} | |`);
  const cpu = r.map((x) => x.cpuMs);
  console.log(`| ${label}: main-thread CPU→ready (run-queue wait) | ${fmt(cpu, "ms")} (${fmt(r.map((x) => x.waitMs), "ms")}) | ${ratio(cpu, netCpu)} of net server |`);
  console.log(`| ${label}: spawn→first acknowledged produce | ${fmt(prod, "ms")} | ${ratio(prod, e0)} of node -e 0 (attempts: ${median(r.map((x) => x.attempts))}) |`);
  console.log(`| ${label}: idle RSS after ${IDLE_MS / 1000} s | ${fmt(r.map((x) => x.rss), "MB", 1)} | ${ratio(r.map((x) => x.rss), idleRss)} of idle node |`);
  console.log(`| ${label}: idle RSS anonymous / file-backed | ${fmt(r.map((x) => x.anon), "MB", 1)} / ${fmt(r.map((x) => x.file), "MB", 1)} | |`);
  console.log(`| ${label}: peak RSS (VmHWM) | ${fmt(r.map((x) => x.hwm), "MB", 1)} | |`);
}

if (BREAKDOWN) {
  const hook = join(here, "memory-hook.mjs");
  for (const mode of MODES) {
    process.stderr.write(`\nmemory breakdown, ${mode} (from ${hook.replace(root + "/", "")}):\n`);
    await runCli(mode, [`--import=${new URL(`file://${hook}`).href}`]);
  }
}
