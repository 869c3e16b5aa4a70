#!/usr/bin/env node
// `pnpm bench`: Apache Kafka 4.4 and odradek, one after the other on this machine, driven by the same
// clients with the same broker settings; medians of several rounds, the ratio odradek / Kafka, and
// the machine's limits measured in the same run. See benchmarks/README.md for what each figure means.
//
//   node benchmarks/run.mjs [--quick] [--runs N] [--records N] [--big-partitions N] [--fsync]
//                           [--brokers kafka,odradek] [--skip a,b] [--out DIR] [--readme|--no-readme]
//                           [--no-build] [--render results.json]
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { cpus, totalmem } from "node:os";
import { ROOT, SHARED_CONFIG, prepare, start, waitLeaders, kafkaLibs } from "./lib/brokers.mjs";
import { Connection, recordBatch, recordBatchOf } from "./lib/wire.mjs";
import { cpuSeconds, memory, loadAverage, median, sleep, percentile, waitExit } from "./lib/proc.mjs";
import * as loads from "./lib/loads.mjs";
import { ensureIperf3, loopback, sequentialWrite, syncedWrites } from "./lib/limits.mjs";
import { writeReport } from "./lib/report.mjs";

// ---------------------------------------------------------------- options
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const opt = (name, dflt) => {
  const i = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
  if (i < 0) return dflt;
  return argv[i].includes("=") ? argv[i].slice(argv[i].indexOf("=") + 1) : argv[i + 1];
};
if (flag("--help") || flag("-h")) {
  process.stdout.write(readFileSync(new URL(import.meta.url), "utf8").split("\n").slice(1, 9).map((l) => l.replace(/^\/\/ ?/, "")).join("\n") + "\n");
  process.exit(0);
}
const quick = flag("--quick");
const cfg = {
  quick,
  runs: Number(opt("--runs", quick ? 1 : 3)),
  records: Number(opt("--records", quick ? 50_000 : 80_000)), // per throughput run, 1 KiB each; the first 20% are the client's warm-up
  latencyRecords: Number(opt("--latency-records", 30_000)), // at 10,000 records/s; the first 10,000 are warm-up
  e2eRecords: Number(opt("--e2e-records", 1_000)),
  clientRecords: Number(opt("--client-records", quick ? 30_000 : 50_000)), // kcat and kafkajs loads
  warmupRecords: Number(opt("--broker-warmup", quick ? 30_000 : 50_000)), // unmeasured load on each fresh broker first
  bigPartitions: Number(opt("--big-partitions", quick ? 1_000 : 10_000)),
  restarts: Number(opt("--restarts", 1)),
  metadataSamples: Number(opt("--metadata-samples", quick ? 10 : 30)),
  rttRequests: Number(opt("--rtt-requests", quick ? 1000 : 2000)),
  brokers: opt("--brokers", "kafka,odradek").split(","),
  skip: new Set(opt("--skip", "").split(",").filter(Boolean)),
  fsync: flag("--fsync"),
  recordSize: 1024,
  out: opt("--out", join(ROOT, "benchmarks/results", quick ? "quick" : "")),
  readme: flag("--readme") || (!quick && !flag("--no-readme")),
  build: !flag("--no-build"),
};
if (opt("--render", null)) {
  // Re-renders report.md, chart.svg (and the README table with --readme) from a results.json.
  const data = JSON.parse(readFileSync(opt("--render"), "utf8"));
  delete data.aggregate;
  const files = writeReport(data, opt("--out", join(ROOT, "benchmarks/results")), { readme: flag("--readme") ? join(ROOT, "README.md") : null });
  process.stdout.write(`${files.join("\n")}\n`);
  process.exit(0);
}
const brokerConfig = cfg.fsync ? { "log.flush.interval.messages": "1" } : {};
const PRODUCE_MATRIX = [];
for (const partitions of [1, 8]) for (const compression of ["none", "lz4"]) for (const acks of ["1", "all"]) PRODUCE_MATRIX.push({ partitions, compression, acks });
const CONSUME_MATRIX = [];
for (const partitions of [1, 8]) for (const compression of ["none", "lz4"]) CONSUME_MATRIX.push({ partitions, compression });

// ---------------------------------------------------------------- progress
const T0 = Date.now();
const loadSamples = [];
const loadTimer = setInterval(() => loadSamples.push(loadAverage()[0]), 10_000);
loadTimer.unref();
function log(msg) {
  const s = Math.round((Date.now() - T0) / 1000);
  const stamp = `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
  process.stdout.write(`[bench ${stamp} load ${loadAverage()[0].toFixed(1)}] ${msg}\n`);
}
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : "-");

// ---------------------------------------------------------------- setup
const work = join(ROOT, "benchmarks/.cache/run");
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

function gitInfo() {
  try {
    const head = execFileSync("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["-C", ROOT, "status", "--porcelain", "packages"], { encoding: "utf8" }).trim().split("\n").filter(Boolean).length;
    return { head, dirtyFilesInPackages: dirty };
  } catch {
    return { head: "unknown", dirtyFilesInPackages: 0 };
  }
}

if (cfg.build && cfg.brokers.includes("odradek")) {
  log("building odradek (native modules, tsc -b packages/cli, the CLI bundle)");
  try {
    execFileSync(process.execPath, [join(ROOT, "packages/codec/scripts/build-native.mjs")], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    execFileSync(join(ROOT, "node_modules/.bin/tsc"), ["-b", "packages/cli"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    execFileSync(process.execPath, [join(ROOT, "packages/cli/scripts/bundle.mjs")], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    log(`WARNING: the build failed; measuring the existing packages/*/dist\n${String(e.stdout ?? "").slice(0, 1500)}`);
  }
}
if (cfg.brokers.includes("kafka")) {
  log("Kafka 4.4 jars: scripts/kafka/fetch.sh");
  kafkaLibs();
}
if (!cfg.skip.has("kafkajs")) {
  log("kafkajs 2.2.4 in benchmarks/.cache/npm");
  loads.kafkajsDir();
}
loads.payloadFile(cfg.clientRecords, cfg.recordSize);

const meta = {
  startedAt: new Date().toISOString(),
  git: gitInfo(),
  node: process.version,
  java: (spawnSync("java", ["-version"], { encoding: "utf8" }).stderr ?? "").split("\n")[0].trim(),
  kcat: (() => {
    const v = spawnSync("kcat", ["-V"], { encoding: "utf8" }).stdout ?? "";
    return `kcat ${/Version (\S+)/.exec(v)?.[1] ?? "?"}, librdkafka ${/librdkafka (\S+)/.exec(v)?.[1] ?? "?"}`;
  })(),
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? "",
  memGiB: totalmem() / 2 ** 30,
  loadAtStart: loadAverage(),
  cfg: { ...cfg, skip: [...cfg.skip] },
  sharedConfig: { ...SHARED_CONFIG, ...brokerConfig },
  kafkaHeap: process.env.KAFKA_HEAP_OPTS ?? "-Xms256m -Xmx1g",
};
log(`odradek ${meta.git.head} (${meta.git.dirtyFilesInPackages} changed files under packages/), ${cfg.runs} round(s), ${cfg.records} records per throughput run, brokers: ${cfg.brokers.join(", ")}${cfg.fsync ? ", flush every message" : ""}`);

// ---------------------------------------------------------------- machine limits
const limits = { loopback: [], seqWrite: [], syncedWrites: [] };
async function measureLimits(label) {
  if (cfg.skip.has("limits")) return;
  const useIperf = ensureIperf3(log);
  const lb = await loopback(quick ? 2 : 3, useIperf);
  const sw = await sequentialWrite(join(work, "dd"), quick ? 256 : 1024);
  const sy = await syncedWrites(join(work, "dd"), quick ? 200 : 500);
  limits.loopback.push(lb);
  limits.seqWrite.push(sw.mbPerSec);
  limits.syncedWrites.push(sy);
  log(`limits (${label}): loopback TCP ${f1(lb.mbPerSec)} MB/s (${lb.tool}), sequential write+fdatasync ${f1(sw.mbPerSec)} MB/s, synced 4 KiB writes ${f1(sy.perSec)}/s (${sy.msEach.toFixed(2)} ms each)`);
}

const rounds = [];
const big = [];
const errors = [];

// ---------------------------------------------------------------- one round on one broker
async function withConnection(b, fn) {
  const c = await Connection.open(b.host, b.port);
  try {
    return await fn(c);
  } finally {
    c.close();
  }
}

async function createTopic(b, name, partitions) {
  await withConnection(b, async (c) => {
    const r = await c.createTopic(name, partitions);
    if (r.error !== 0 && r.error !== 36) throw new Error(`CreateTopics ${name}: error ${r.error} ${r.message ?? ""}`);
    await waitLeaders(c, name, partitions);
  });
}

async function withCpu(b, fn) {
  const c0 = cpuSeconds(b.pid);
  const r = await fn();
  return { ...r, brokerCpuSeconds: cpuSeconds(b.pid) - c0 };
}

/** Runs one part of a round; a failure is recorded and the round goes on with the next part. */
async function section(kind, label, fn) {
  try {
    await fn();
  } catch (e) {
    const msg = `${kind} ${label}: ${e.message}`;
    errors.push(msg);
    log(`ERROR ${msg.split("\n").slice(0, 12).join("\n")}`);
  }
}

async function round(kind, r) {
  const res = { kind, round: r, produce: {}, consume: {}, latency: {}, e2e: {}, clients: {}, rtt: {}, rebalance: {} };
  const dir = join(work, `${kind}-r${r}`);
  const prep = await prepare(kind, dir, brokerConfig);
  const b = await start(prep);
  res.formatSeconds = prep.formatSeconds;
  res.coldStartMs = b.startToFirstAckMs;
  log(`${kind} r${r}: cold start to first acknowledged produce ${b.startToFirstAckMs.toFixed(0)} ms${kind === "kafka" ? ` (+ storage format ${prep.formatSeconds.toFixed(1)} s before it)` : ""}`);
  try {
    await sleep(quick ? 2000 : 5000);
    res.idleRssMiB = memory(b.pid).rssMiB;
    log(`${kind} r${r}: idle RSS ${f1(res.idleRssMiB)} MiB`);

    const tag = `r${r}`;
    if (cfg.warmupRecords > 0) {
      // Both brokers start cold (JIT, page cache, connection setup); one unmeasured load first.
      await section(kind, `${tag} warm-up`, async () => {
        await createTopic(b, "warmup", 8);
        await loads.producerPerformance({ bootstrap: b.bootstrap, topic: "warmup", records: cfg.warmupRecords, acks: "1" });
        await loads.assignConsumer({ bootstrap: b.bootstrap, topic: "warmup", records: cfg.warmupRecords });
        log(`${kind} ${tag}: warm-up load done (${cfg.warmupRecords} records produced and consumed, not measured)`);
      });
    }
    if (!cfg.skip.has("produce")) {
      for (const m of PRODUCE_MATRIX) {
        const key = `p${m.partitions}-${m.compression}-acks${m.acks}`;
        await section(kind, `${tag} ProducerPerformance ${key}`, async () => {
          const topic = `tp-${key}`;
          await createTopic(b, topic, m.partitions);
          const out = await withCpu(b, () => loads.producerPerformance({ bootstrap: b.bootstrap, topic, records: cfg.records, warmupRecords: Math.floor(cfg.records / 5), acks: m.acks, compression: m.compression }));
          res.produce[key] = out;
          log(`${kind} ${tag}: ProducerPerformance ${m.partitions}p acks=${m.acks} ${m.compression}: ${f1(out.mbPerSec)} MB/s, ${Math.round(out.recordsPerSec)} rec/s, broker CPU ${out.brokerCpuSeconds.toFixed(1)} s`);
        });
      }
    }
    if (!cfg.skip.has("txn")) {
      // Transactional produce (issue #16): 8 partitions, acks=all, a commit every 100 ms, so the
      // figure includes the transaction round trips (AddPartitionsToTxn or Produce v12's implicit add,
      // EndTxn, the markers) at ~10 commits a second, not just idempotent produce.
      await section(kind, `${tag} ProducerPerformance transactional`, async () => {
        const topic = "tp-p8-txn";
        await createTopic(b, topic, 8);
        const out = await withCpu(b, () => loads.producerPerformance({ bootstrap: b.bootstrap, topic, records: cfg.records, warmupRecords: Math.floor(cfg.records / 5), acks: "all", transactionalId: `bench-${kind}-r${r}`, transactionDurationMs: 100 }));
        res.clients["ProducerPerformance-transactional-100ms"] = out;
        log(`${kind} ${tag}: ProducerPerformance 8p transactional (commit every 100 ms): ${f1(out.mbPerSec)} MB/s, ${Math.round(out.recordsPerSec)} rec/s, broker CPU ${out.brokerCpuSeconds.toFixed(1)} s`);
      });
    }
    if (!cfg.skip.has("consume")) {
      for (const m of CONSUME_MATRIX) {
        const key = `p${m.partitions}-${m.compression}`;
        if (!res.produce[`${key}-acks1`]) continue; // reads what ProducerPerformance wrote with acks=1
        await section(kind, `${tag} Java consumer ${key}`, async () => {
          const out = await withCpu(b, () => loads.assignConsumer({ bootstrap: b.bootstrap, topic: `tp-${key}-acks1`, records: cfg.records }));
          res.consume[key] = out;
          log(`${kind} ${tag}: Java assign() consumer ${m.partitions}p ${m.compression}: ${f1(out.mbPerSec)} MB/s, broker CPU ${out.brokerCpuSeconds.toFixed(1)} s`);
        });
      }
    }
    if (!cfg.skip.has("group") && res.produce["p8-none-acks1"]) {
      // A consumer group reading the 8-partition topic: the classic protocol and KIP-848's.
      for (const protocol of ["classic", "consumer"]) {
        await section(kind, `${tag} ConsumerPerformance group ${protocol}`, async () => {
          const out = await loads.groupConsumer({ bootstrap: b.bootstrap, topic: "tp-p8-none-acks1", records: cfg.records, protocol });
          res.clients[`group-${protocol}`] = out;
          log(`${kind} ${tag}: ConsumerPerformance 8p group.protocol=${protocol}: ${f1(out.mbPerSec)} MB/s, group formed in ${out.rebalanceMs} ms`);
        });
      }
    }
    if (!cfg.skip.has("rebalance")) {
      // 10 members forming a group over 100 partitions, then one leaving: until every partition is owned again.
      await section(kind, `${tag} group rebalance`, async () => {
        await createTopic(b, "rebalance-100", 100);
        for (const protocol of ["classic", "consumer"]) {
          const out = await loads.rebalance({ bootstrap: b.bootstrap, topic: "rebalance-100", partitions: 100, members: 10, protocol });
          res.rebalance[protocol] = out;
          log(`${kind} ${tag}: group.protocol=${protocol}, 10 members over 100 partitions: formed in ${out.formMs} ms, after a leave ${out.leaveMs} ms`);
        }
      });
    }
    if (!cfg.skip.has("latency")) {
      for (const acks of ["1", "all"]) {
        await section(kind, `${tag} produce latency acks=${acks}`, async () => {
          const topic = `lat-acks${acks}`;
          await createTopic(b, topic, 1);
          const out = await loads.producerPerformance({ bootstrap: b.bootstrap, topic, records: cfg.latencyRecords, warmupRecords: Math.min(10_000, Math.floor(cfg.latencyRecords / 3)), throughput: 10_000, acks });
          res.latency[`acks${acks}`] = out;
          log(`${kind} ${tag}: produce latency at 10,000 rec/s acks=${acks}: p50 ${out.p50} ms, p99 ${out.p99} ms, p99.9 ${out.p999} ms (achieved ${Math.round(out.recordsPerSec)} rec/s)`);
        });
      }
    }
    if (!cfg.skip.has("e2e")) {
      for (const acks of ["1", "all"]) {
        await section(kind, `${tag} EndToEndLatency acks=${acks}`, async () => {
          const topic = `e2e-acks${acks}`;
          await createTopic(b, topic, 1);
          const out = await loads.endToEndLatency({ bootstrap: b.bootstrap, topic, records: cfg.e2eRecords, acks });
          res.e2e[`acks${acks}`] = out;
          log(`${kind} ${tag}: EndToEndLatency acks=${acks}: avg ${out.avgMs.toFixed(3)} ms, p50 ${out.p50} ms, p99 ${out.p99} ms, p99.9 ${out.p999} ms${out.note ? ` (${out.note})` : ""}`);
        });
      }
    }
    if (!cfg.skip.has("rtt")) {
      // The broker's own request latency, without a client library: one Produce (v3, acks=1 and all,
      // one uncompressed 16 KiB batch of 16 records of 1 KiB) in flight at a time on one connection.
      for (const acks of [1, -1]) {
        await section(kind, `${tag} produce round trip acks=${acks}`, async () => {
          const topic = `rtt-acks${acks}`;
          await createTopic(b, topic, 1);
          const batch = recordBatchOf(16, cfg.recordSize);
          const times = await withConnection(b, async (c) => {
            const out = [];
            for (let i = 0; i < cfg.rttRequests + 200; i++) {
              const t = performance.now();
              const [err] = await c.produce(topic, [[0, batch]], acks);
              if (err !== 0) throw new Error(`Produce error ${err}`);
              if (i >= 200) out.push(performance.now() - t);
            }
            return out.sort((x, y) => x - y);
          });
          const key = acks === 1 ? "acks1" : "acksall";
          res.rtt[key] = { p50: percentile(times, 0.5), p99: percentile(times, 0.99), p999: percentile(times, 0.999), avgMs: times.reduce((a, x) => a + x, 0) / times.length, n: times.length };
          log(`${kind} ${tag}: Produce round trip (16 KiB batch, one in flight) acks=${acks === 1 ? "1" : "all"}: p50 ${res.rtt[key].p50.toFixed(3)} ms, p99 ${res.rtt[key].p99.toFixed(3)} ms`);
        });
      }
    }
    if (!cfg.skip.has("kcat")) {
      for (const [acks, compression] of [["1", "none"], ["all", "lz4"]]) {
        await section(kind, `${tag} kcat acks=${acks} ${compression}`, async () => {
          const topic = `kcat-${compression}-acks${acks}`;
          await createTopic(b, topic, 8);
          const p = await withCpu(b, () => loads.kcatProduce({ bootstrap: b.bootstrap, topic, records: cfg.clientRecords, acks, compression }));
          res.clients[`kcat-produce-${compression}-acks${acks}`] = p;
          const c = await withCpu(b, () => loads.kcatConsume({ bootstrap: b.bootstrap, topic, records: cfg.clientRecords }));
          res.clients[`kcat-consume-${compression}`] = c;
          log(`${kind} ${tag}: kcat 8p acks=${acks} ${compression}: produce ${f1(p.mbPerSec)} MB/s, consume ${f1(c.mbPerSec)} MB/s`);
        });
      }
    }
    if (!cfg.skip.has("kafkajs")) {
      for (const acks of ["1", "all"]) {
        await section(kind, `${tag} kafkajs acks=${acks}`, async () => {
          const topic = `kafkajs-acks${acks}`;
          await createTopic(b, topic, 8);
          const p = await withCpu(b, () => loads.kafkajsProduce({ bootstrap: b.bootstrap, topic, records: cfg.clientRecords, acks }));
          res.clients[`kafkajs-produce-acks${acks}`] = p;
          log(`${kind} ${tag}: kafkajs 8p acks=${acks} none: produce ${f1(p.mbPerSec)} MB/s`);
        });
      }
    }
    res.peakRssMiB = memory(b.pid).hwmMiB;
    res.endRssMiB = memory(b.pid).rssMiB;
    log(`${kind} r${r}: peak RSS ${f1(res.peakRssMiB)} MiB`);
  } finally {
    const s = await b.stop();
    res.stopMs = s.stopMs;
    rmSync(dir, { recursive: true, force: true });
  }
  return res;
}

// ---------------------------------------------------------------- many partitions
// Kafka's controller refuses to create more than 10,000 metadata records in one operation ("excessively
// large batch operation": a 10,000-partition topic is 10,001 records), so the partitions come as topics
// of at most 1,000 partitions each: big-000, big-001, ...
const BIG_TOPIC_SIZE = 1000;
function bigTopics(n) {
  const out = [];
  for (let i = 0; i * BIG_TOPIC_SIZE < n; i++) out.push({ name: `big-${String(i).padStart(3, "0")}`, partitions: Math.min(BIG_TOPIC_SIZE, n - i * BIG_TOPIC_SIZE) });
  return out;
}

/** Open descriptors of a process and its "Max open files" soft limit, from /proc. */
function openFiles(pid) {
  let fds = NaN;
  let limit = NaN;
  try { fds = readdirSync(`/proc/${pid}/fd`).length; } catch {}
  try { limit = Number(/Max open files\s+(\d+)/.exec(readFileSync(`/proc/${pid}/limits`, "utf8"))?.[1]); } catch {}
  return { fds, limit };
}

/** The first line of a broker log that names an OS error (EMFILE, ENOSPC, Too many open files...). */
function brokerLogReason(path) {
  try {
    const text = readFileSync(path, "utf8");
    const m = /(EMFILE[^"\n]{0,160}|ENOSPC[^"\n]{0,160}|Too many open files[^"\n]{0,160}|OutOfMemoryError[^"\n]{0,160})/.exec(text);
    return m ? m[1] : "";
  } catch {
    return "";
  }
}

async function manyPartitions(kind) {
  const n = cfg.bigPartitions;
  const topics = bigTopics(n);
  const names = topics.map((t) => t.name);
  let last = topics[topics.length - 1];
  const res = { kind, partitions: n, requestedPartitions: n, topics: topics.length, restartMs: [], metadataMs: [], metadataAfterRestartMs: [] };
  const dir = join(work, `${kind}-big`);
  const prep = await prepare(kind, dir, brokerConfig);
  let b = await start(prep);
  try {
    await withConnection(b, async (c) => {
      const t0 = performance.now();
      // A broker that cannot create them all (e.g. out of file descriptors) is measured with the
      // topics it did create; the report gives the count it held and the reason.
      for (const t of [...topics]) {
        const r = await c.createTopic(t.name, t.partitions, {}, 600_000);
        if (r.error !== 0) {
          const why = brokerLogReason(b.logPath);
          res.createError = `CreateTopics ${t.name} (${t.partitions} partitions, after ${topics.indexOf(t) * BIG_TOPIC_SIZE} created): error ${r.error} ${r.message ?? ""}${why ? ` — broker log: ${why}` : ""}`;
          errors.push(`${kind} with ${n} partitions: ${res.createError}`);
          log(`ERROR ${kind}: ${res.createError}; going on with the topics created before it`);
          topics.splice(topics.indexOf(t));
          break;
        }
      }
      if (!topics.length) throw new Error(res.createError);
      res.partitions = topics.reduce((a, t) => a + t.partitions, 0);
      names.splice(0, names.length, ...topics.map((t) => t.name));
      last = topics[topics.length - 1];
      res.createAckMs = performance.now() - t0;
      for (const t of topics) await waitLeaders(c, t.name, t.partitions, 600_000);
      res.createMs = performance.now() - t0;
      log(`${kind}: ${n} partitions in ${topics.length} topics have leaders ${f1(res.createMs / 1000)} s after the first CreateTopics (all answered after ${f1(res.createAckMs / 1000)} s)`);
      // One 1 KiB record into every partition, one Produce per topic (1,000 partitions). A partition
      // that is not ready yet (Kafka: NOT_LEADER_OR_FOLLOWER while its log is still being created
      // behind the metadata) is retried; the time covers every partition acknowledging.
      const value = Buffer.alloc(cfg.recordSize, 0x62);
      const p0 = performance.now();
      let retried = 0;
      for (const t of topics) {
        let todo = Array.from({ length: t.partitions }, (_, i) => i);
        while (todo.length) {
          const errs = await c.produce(t.name, todo.map((p) => [p, recordBatch(value)]), 1, 120_000);
          const failed = todo.filter((_, i) => errs[i] !== 0);
          if (failed.length && performance.now() - p0 > 600_000) throw new Error(`produce to ${t.name}: ${failed.length} partitions still answer with an error`);
          if (failed.length) { retried += failed.length; await sleep(100); }
          todo = failed;
        }
      }
      res.produceAllMs = performance.now() - p0;
      res.produceAllRetried = retried;
      res.createToAllAckedMs = performance.now() - t0;
      log(`${kind}: every one of ${n} partitions acknowledged a produce ${f1(res.createToAllAckedMs / 1000)} s after the first CreateTopics (${retried} partition retries)`);
      for (let i = 0; i < 3; i++) await c.metadataRaw(names);
      for (let i = 0; i < cfg.metadataSamples; i++) {
        const t = performance.now();
        res.metadataBytes = await c.metadataRaw(names);
        res.metadataMs.push(performance.now() - t);
      }
    });
    res.rssMiB = memory(b.pid).rssMiB;
    res.openFiles = openFiles(b.pid);
    log(`${kind}: ${res.openFiles.fds} open file descriptors (limit ${res.openFiles.limit}) with ${res.partitions} partitions`);
    log(`${kind}: Metadata for ${res.partitions} partitions (${Math.round(res.metadataBytes / 1024)} KiB): median ${res.metadataMs.length ? median(res.metadataMs).toFixed(2) : "-"} ms; RSS ${f1(res.rssMiB)} MiB`);
    for (let i = 0; i < cfg.restarts; i++) {
      const s = await b.stop({ timeoutMs: 180_000 });
      res.stopMs = s.stopMs;
      b = await start(prep, { probe: { topic: last.name, partition: last.partitions - 1, partitions: null }, timeoutMs: 600_000 });
      res.restartMs.push(b.startToFirstAckMs);
      await withConnection(b, async (c) => {
        const t = performance.now();
        await c.metadataRaw(names);
        res.metadataAfterRestartMs.push(performance.now() - t);
      });
      log(`${kind}: restart with ${res.partitions} partitions to the first acknowledged produce (${last.name}-${last.partitions - 1}): ${f1(b.startToFirstAckMs)} ms (clean stop took ${f1(s.stopMs)} ms)`);
    }
    res.rssAfterRestartMiB = memory(b.pid).rssMiB;
  } catch (e) {
    // keep what was measured before the failure; the report shows the reason
    res.error = e.message;
    if (b.alive()) {
      res.openFiles ??= openFiles(b.pid);
      res.rssMiB ??= memory(b.pid).rssMiB;
    }
    errors.push(`${kind} with ${n} partitions: ${e.message}`);
    log(`ERROR ${kind} with ${n} partitions: ${e.message.split("\n")[0]}`);
  } finally {
    // the last stop is not measured: SIGKILL saves Kafka's minutes-long controlled shutdown here
    b.child.kill("SIGKILL");
    await waitExit(b.child, 30_000);
    rmSync(dir, { recursive: true, force: true });
  }
  return res;
}

// ---------------------------------------------------------------- main
await measureLimits("start");
for (let r = 1; r <= cfg.runs; r++) {
  const order = r % 2 === 1 ? cfg.brokers : [...cfg.brokers].reverse();
  for (const kind of order) {
    log(`round ${r}/${cfg.runs}: ${kind}`);
    try {
      rounds.push(await round(kind, r));
    } catch (e) {
      errors.push(`${kind} round ${r}: ${e.message}`);
      log(`ERROR ${kind} round ${r}: ${e.message}`);
    }
  }
}
function finish(final) {
  meta.finishedAt = new Date().toISOString();
  meta.minutes = (Date.now() - T0) / 60000;
  meta.loadAtEnd = loadAverage();
  meta.loadMean = loadSamples.length ? loadSamples.reduce((a, b) => a + b, 0) / loadSamples.length : loadAverage()[0];
  meta.loadMax = loadSamples.length ? Math.max(...loadSamples) : loadAverage()[0];
  meta.complete = final;
  return writeReport({ meta, limits, rounds, big, errors }, cfg.out, { readme: cfg.readme ? join(ROOT, "README.md") : null });
}
if (!cfg.skip.has("partitions") && rounds.length) {
  // The rounds' figures are written now, so an interrupted many-partitions phase loses only itself.
  const files = finish(false);
  log(`rounds done; report so far in ${files.join(", ")}`);
}
if (!cfg.skip.has("partitions")) {
  for (const kind of cfg.brokers) {
    log(`${kind}: ${cfg.bigPartitions} partitions`);
    try {
      big.push(await manyPartitions(kind));
    } catch (e) {
      // only a failure to start the broker gets here
      errors.push(`${kind} with ${cfg.bigPartitions} partitions: ${e.message}`);
      log(`ERROR ${kind} with ${cfg.bigPartitions} partitions: ${e.message.split("\n")[0]}`);
    }
  }
}
await measureLimits("end");
const files = finish(true);
rmSync(work, { recursive: true, force: true });
log(`done in ${meta.minutes.toFixed(1)} min; ${files.join(", ")}`);
process.stdout.write(`\n${files.summary}\n`);
if (errors.length) {
  process.stdout.write(`\n${errors.length} error(s):\n${errors.join("\n")}\n`);
  process.exitCode = 1;
}
