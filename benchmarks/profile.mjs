#!/usr/bin/env node
// Where odradek's time goes under the benchmark loads: runs odradek under `node --cpu-prof` twice,
// once while Kafka's ProducerPerformance writes to it and once while the Java assign() consumer and
// kcat read from it, then reads the .cpuprofile files and prints the functions with the most self
// time, the most inclusive time, and the split by package (broker, storage, codec, node internals,
// GC, ...). Also writes benchmarks/results/profile.md; the raw profiles stay in
// benchmarks/.cache/profile/ (open them in Chrome DevTools or speedscope).
//
//   node benchmarks/profile.mjs [--records N] [--partitions P] [--acks 1|all] [--compression none|lz4]
//                               [--analyze-only] [--top N]
//   node benchmarks/profile.mjs --analyze-dir DIR [--top N]   (print the analysis of DIR's .cpuprofile,
//                               e.g. one written by `produce-latency.mjs --cpu-prof DIR`)
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { ROOT, prepare, start } from "./lib/brokers.mjs";
import { Connection } from "./lib/wire.mjs";
import { cpuSeconds, loadAverage, memory } from "./lib/proc.mjs";
import * as loads from "./lib/loads.mjs";

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i < 0 ? dflt : argv[i + 1];
};
const records = Number(opt("--records", 300_000));
const partitions = Number(opt("--partitions", 8));
const acks = opt("--acks", "1");
const compression = opt("--compression", "none");
const top = Number(opt("--top", 25));
const dir = join(ROOT, "benchmarks/.cache/profile");
const log = (m) => process.stdout.write(`[profile load ${loadAverage()[0].toFixed(1)}] ${m}\n`);

async function phase(name, prep, fn) {
  const profDir = join(dir, name);
  rmSync(profDir, { recursive: true, force: true });
  mkdirSync(profDir, { recursive: true });
  const b = await start(prep, { nodeArgs: ["--cpu-prof", "--cpu-prof-dir", profDir], probe: { topic: "bench-cold", partitions: 1, partition: 0 } });
  const c0 = cpuSeconds(b.pid);
  const t0 = performance.now();
  const out = await fn(b);
  const cpu = cpuSeconds(b.pid) - c0;
  const wall = (performance.now() - t0) / 1000;
  const rss = memory(b.pid);
  await b.stop();
  log(`${name}: ${out.summary}; broker CPU ${cpu.toFixed(1)} s over ${wall.toFixed(1)} s wall (${((cpu / (out.bytes / 1e9)) || 0).toFixed(1)} CPU s/GB), peak RSS ${rss.hwmMiB.toFixed(0)} MiB`);
  return { name, profDir, cpu, wall, ...out };
}

// ---------------------------------------------------------------- analysis
function categorize(url, fn) {
  if (fn === "(garbage collector)") return "GC";
  if (fn === "(idle)") return "idle";
  if (fn === "(program)") return "(program): native code outside JS frames";
  if (fn === "(root)") return "root";
  if (!url) {
    // native bindings named by what they do (Node 20): the same binding serves fs.write and
    // fs.writeSync (fs.read/readSync); the socket's writev is a syscall on the main thread
    if (fn === "writeBuffer" || fn === "writeBuffers") return "native: file write (pwrite/pwritev binding, inline or via libuv's pool)";
    if (fn === "read") return "native: file read (pread binding, inline or via libuv's pool)";
    if (fn === "writev" || fn === "writeBuffer" || fn === "writeUtf8String" || fn === "writeLatin1String") return "native: socket write";
    if (fn === "fdatasync" || fn === "fsync") return "native: fdatasync";
    return "native / builtins (other)";
  }
  if (url.includes("/packages/broker/")) return "@odradek/broker";
  if (url.includes("/packages/storage/")) return "@odradek/storage";
  if (url.includes("/packages/codec/")) return "@odradek/codec";
  if (url.includes("/packages/cli/")) return "@odradek/cli";
  const nm = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return `npm: ${nm[1]}`;
  if (url.startsWith("node:")) return `node: ${url.slice(5).split("/")[0]}`;
  return url;
}

export function analyze(profile) {
  const byId = new Map();
  for (const n of profile.nodes) byId.set(n.id, n);
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const key = (n) => {
    const cf = n.callFrame;
    const file = cf.url ? cf.url.replace(/^file:\/\//, "").replace(ROOT + "/", "") : "";
    return `${cf.functionName || "(anonymous)"} ${file ? `${file}:${cf.lineNumber + 1}` : ""}`.trim();
  };
  const self = new Map();
  const incl = new Map();
  const cats = new Map();
  let total = 0;
  let idle = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const dt = (timeDeltas[i + 1] ?? timeDeltas[i] ?? 0) / 1000; // ms until the next sample
    const n = byId.get(samples[i]);
    const fn = n.callFrame.functionName;
    if (fn === "(idle)") {
      idle += dt;
      continue;
    }
    total += dt;
    const k = key(n);
    self.set(k, (self.get(k) ?? 0) + dt);
    const cat = categorize(n.callFrame.url, fn);
    cats.set(cat, (cats.get(cat) ?? 0) + dt);
    const seen = new Set();
    for (let id = n.id; id !== undefined; id = parent.get(id)) {
      const m = byId.get(id);
      if (m.callFrame.functionName === "(root)") break;
      const mk = key(m);
      if (seen.has(mk)) continue;
      seen.add(mk);
      incl.set(mk, (incl.get(mk) ?? 0) + dt);
    }
  }
  const sorted = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return { total, idle, self: sorted(self), incl: sorted(incl), cats: sorted(cats) };
}

function render(name, a, n) {
  const pct = (ms) => `${((ms / a.total) * 100).toFixed(1)}%`;
  const lines = [];
  lines.push(`### ${name}: ${(a.total / 1000).toFixed(1)} s on the main thread busy, ${(a.idle / 1000).toFixed(1)} s idle\n`);
  lines.push("By package (self time, % of busy main-thread time):\n");
  lines.push("| where | ms | % |\n|---|--:|--:|");
  for (const [k, v] of a.cats.slice(0, 14)) lines.push(`| ${k} | ${v.toFixed(0)} | ${pct(v)} |`);
  lines.push(`\nTop ${n} functions by self time:\n`);
  lines.push("| function | self ms | % |\n|---|--:|--:|");
  for (const [k, v] of a.self.slice(0, n)) lines.push(`| \`${k}\` | ${v.toFixed(0)} | ${pct(v)} |`);
  lines.push(`\nTop ${n} functions by inclusive time (self + callees):\n`);
  lines.push("| function | incl. ms | % |\n|---|--:|--:|");
  for (const [k, v] of a.incl.slice(0, n)) lines.push(`| \`${k}\` | ${v.toFixed(0)} | ${pct(v)} |`);
  return lines.join("\n");
}

function analyzeDir(name, profDir) {
  const files = existsSync(profDir) ? readdirSync(profDir).filter((f) => f.endsWith(".cpuprofile")) : [];
  if (!files.length) throw new Error(`no .cpuprofile in ${profDir}`);
  const profile = JSON.parse(readFileSync(join(profDir, files[0]), "utf8"));
  return analyze(profile);
}

// ---------------------------------------------------------------- main
const analyzeOnlyDir = opt("--analyze-dir", null);
if (analyzeOnlyDir) {
  process.stdout.write(`${render(analyzeOnlyDir, analyzeDir(analyzeOnlyDir, analyzeOnlyDir), top)}\n`);
} else if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  const phases = [];
  if (!argv.includes("--analyze-only")) {
    rmSync(join(dir, "data"), { recursive: true, force: true });
    const prep = await prepare("odradek", join(dir, "data"));
    const topic = `prof-p${partitions}-${compression}`;
    phases.push(
      await phase("produce", prep, async (b) => {
        const c = await Connection.open(b.host, b.port);
        await c.createTopic(topic, partitions);
        c.close();
        const r = await loads.producerPerformance({ bootstrap: b.bootstrap, topic, records, acks, compression });
        return { bytes: r.bytes, summary: `ProducerPerformance ${partitions}p acks=${acks} ${compression} ${records} records: ${r.mbPerSec.toFixed(1)} MB/s` };
      }),
    );
    phases.push(
      await phase("consume", prep, async (b) => {
        const j = await loads.assignConsumer({ bootstrap: b.bootstrap, topic, records });
        const k = await loads.kcatConsume({ bootstrap: b.bootstrap, topic, records });
        return { bytes: j.bytes + k.bytes, summary: `Java assign() consumer ${j.mbPerSec.toFixed(1)} MB/s, kcat -C ${k.mbPerSec.toFixed(1)} MB/s` };
      }),
    );
  }
  const phasesFile = join(dir, "phases.json");
  if (phases.length) writeFileSync(phasesFile, JSON.stringify(phases.map(({ name, summary, cpu, wall }) => ({ name, summary, cpu, wall }))));
  else if (existsSync(phasesFile)) phases.push(...JSON.parse(readFileSync(phasesFile, "utf8")));
  const md = [`# Where odradek's time goes (node --cpu-prof)\n`, `${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, load average ${loadAverage().map((x) => x.toFixed(2)).join(" / ")}. Loads: ProducerPerformance ${partitions} partitions acks=${acks} ${compression}, ${records} records of 1 KiB; then the Java assign() consumer and kcat -C reading them back. Profiles cover the main thread only (libuv's file-system threads are not sampled).\n`];
  for (const p of phases) md.push(`- ${p.name}: ${p.summary}; broker CPU ${p.cpu.toFixed(1)} s (all threads, /proc) over ${p.wall.toFixed(1)} s\n`);
  for (const name of ["produce", "consume"]) {
    try {
      const a = analyzeDir(name, join(dir, name));
      const text = render(name, a, top);
      md.push(text, "");
      process.stdout.write(`\n${text}\n`);
    } catch (e) {
      log(`${name}: ${e.message}`);
    }
  }
  const out = join(ROOT, "benchmarks/results/profile.md");
  mkdirSync(join(ROOT, "benchmarks/results"), { recursive: true });
  writeFileSync(out, md.join("\n") + "\n");
  log(`wrote ${out}; raw profiles in ${dir}/{produce,consume}`);
}
