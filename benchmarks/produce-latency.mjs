#!/usr/bin/env node
// The produce figures of issue #6 in isolation, both brokers in one run (alternating order):
// ProducerPerformance at a fixed 10,000 records/s (1 partition, acks=1 and all; p50/p99) and flat out
// (8 partitions, acks=1, 1 KiB records, Java client defaults). For odradek the broker's own view is
// printed next to it: per Produce request, the time it waited behind earlier requests of its
// connection, the time to handle it and the time for the response to reach the kernel
// (`lib/request-timing.mjs`, preloaded through `--import`). Cases rtt1/rtt8: the wire client sends one
// Produce at a time (acks=1, one 16 KiB batch of 16 records for each of 1 or 8 partitions), µs timings:
// the broker's own request latency without a client library in front of it.
//
//   node benchmarks/produce-latency.mjs [--brokers kafka,odradek] [--latency-records 30000]
//                                       [--records 50000] [--cases lat1,latall,p8] [--cpu-prof DIR]
//                                       [--client-metrics] [--warmup-records 30000] [--rtt-requests 3000]
// --client-metrics: the Java producer's own split of the latency (`--print-metrics`): the time records
// waited in its accumulator (record-queue-time) and its Produce requests' round trip (request-latency).
// --cpu-prof runs odradek under `node --cpu-prof` (profile covers the whole run; read it with
// `node benchmarks/profile.mjs --analyze-dir DIR`).
import { mkdirSync, rmSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT, prepare, start, waitLeaders } from "./lib/brokers.mjs";
import { Connection, recordBatchOf } from "./lib/wire.mjs";
import { cpuSeconds, loadAverage, sleep, run } from "./lib/proc.mjs";
import { kafkaLibs } from "./lib/brokers.mjs";
import * as loads from "./lib/loads.mjs";

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  return i < 0 ? dflt : argv[i + 1];
};
const brokers = opt("--brokers", "kafka,odradek").split(",");
const latencyRecords = Number(opt("--latency-records", 30_000));
const records = Number(opt("--records", 50_000));
const cases = opt("--cases", "lat1,latall,p8").split(",");
const cpuProf = opt("--cpu-prof", null);
const clientMetrics = argv.includes("--client-metrics");
const work = join(ROOT, "benchmarks/.cache/produce-latency");
const log = (m) => process.stdout.write(`[produce-latency load ${loadAverage()[0].toFixed(1)}] ${m}\n`);

async function createTopic(b, name, partitions) {
  const c = await Connection.open(b.host, b.port);
  try {
    const r = await c.createTopic(name, partitions);
    if (r.error !== 0 && r.error !== 36) throw new Error(`CreateTopics ${name}: error ${r.error} ${r.message ?? ""}`);
    await waitLeaders(c, name, partitions);
  } finally {
    c.close();
  }
}

/** ProducerPerformance with --print-metrics; the figures the Java producer keeps about itself. */
async function producerMetrics(b, topic, c) {
  const args = ["-Xmx512m", "-Djava.awt.headless=true", `-Dlog4j2.configurationFile=${join(ROOT, "scripts/kafka/log4j2-tools.properties")}`, "-cp", `${kafkaLibs()}/*`,
    "org.apache.kafka.tools.ProducerPerformance", "--topic", topic, "--num-records", String(c.latency ? latencyRecords : records), "--record-size", "1024", "--throughput", String(c.throughput),
    "--print-metrics", "--producer-props", `bootstrap.servers=${b.bootstrap}`, `acks=${c.acks}`];
  const res = await run("java", args, { timeoutMs: 300_000 });
  const metric = (name) => {
    const m = new RegExp(`producer-metrics:${name}:\\{client-id=[^}]*\\}\\s*:\\s*([\\d.E+-]+)`).exec(res.stdout);
    return m ? Number(m[1]) : NaN;
  };
  const line = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th/.exec(res.stdout);
  return {
    summary: line ? `${line[2]} rec/s, avg ${line[4]} ms, p50 ${line[6]} p99 ${line[8]} ms` : `no summary (exit ${res.code})`,
    recordQueueTimeAvg: metric("record-queue-time-avg"),
    recordQueueTimeMax: metric("record-queue-time-max"),
    requestLatencyAvg: metric("request-latency-avg"),
    requestLatencyMax: metric("request-latency-max"),
    recordsPerRequestAvg: metric("records-per-request-avg"),
    requestsInFlight: metric("requests-in-flight"),
  };
}

const CASES = {
  lat1: { partitions: 1, acks: "1", throughput: 10_000, latency: true },
  latall: { partitions: 1, acks: "all", throughput: 10_000, latency: true },
  p8: { partitions: 8, acks: "1", throughput: -1, latency: false },
  rtt1: { partitions: 1, rtt: true },
  rtt8: { partitions: 8, rtt: true },
};
const rttRequests = Number(opt("--rtt-requests", 3000));
const warmupRecords = Number(opt("--warmup-records", 30_000)); // ProducerPerformance, 8 partitions, unmeasured

/** One Produce in flight at a time; times in ms after 300 unmeasured. */
async function roundTrips(b, topic, partitions) {
  const batch = recordBatchOf(16, 1024);
  const parts = Array.from({ length: partitions }, (_, i) => [i, batch]);
  const c = await Connection.open(b.host, b.port);
  try {
    const times = [];
    for (let i = 0; i < rttRequests + 300; i++) {
      const t = performance.now();
      const errs = await c.produce(topic, parts, 1);
      if (errs.some((e) => e !== 0)) throw new Error(`Produce errors ${errs}`);
      if (i >= 300) times.push(performance.now() - t);
    }
    times.sort((x, y) => x - y);
    const at = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
    const seconds = times.reduce((a, x) => a + x, 0) / 1000;
    return { p50: at(0.5), p99: at(0.99), p999: at(0.999), avgMs: (seconds * 1000) / times.length, mbPerSec: (times.length * partitions * 16 * 1024) / 1e6 / seconds, recordsPerSec: (times.length * partitions * 16) / seconds };
  } finally {
    c.close();
  }
}

async function runBroker(kind) {
  const dir = join(work, kind);
  rmSync(dir, { recursive: true, force: true });
  const prep = await prepare(kind, dir);
  const timingFile = join(dir, "request-timing.json");
  const b = await start(prep, kind === "odradek"
    ? { nodeArgs: ["--import", pathToFileURL(join(ROOT, "benchmarks/lib/request-timing.mjs")).href, ...(cpuProf ? ["--cpu-prof", "--cpu-prof-dir", cpuProf] : [])], env: { ODRADEK_REQUEST_TIMING: timingFile } }
    : {});
  const window = async () => {
    if (kind !== "odradek") return null;
    rmSync(timingFile, { force: true });
    process.kill(b.pid, "SIGUSR2");
    for (let i = 0; i < 100 && !existsSync(timingFile); i++) await sleep(20);
    await sleep(50);
    return existsSync(timingFile) ? JSON.parse(readFileSync(timingFile, "utf8")) : null;
  };
  const out = {};
  try {
    if (warmupRecords > 0) {
      await createTopic(b, "warmup", 8);
      await loads.producerPerformance({ bootstrap: b.bootstrap, topic: "warmup", records: warmupRecords, acks: "1" });
    }
    for (const name of cases) {
      const c = CASES[name];
      const topic = `pl-${name}`;
      await createTopic(b, topic, c.partitions);
      await window();
      const c0 = cpuSeconds(b.pid);
      const r = c.rtt
        ? await roundTrips(b, topic, c.partitions)
        : c.latency
        ? await loads.producerPerformance({ bootstrap: b.bootstrap, topic, records: latencyRecords, warmupRecords: Math.min(10_000, Math.floor(latencyRecords / 3)), throughput: c.throughput, acks: c.acks })
        : await loads.producerPerformance({ bootstrap: b.bootstrap, topic, records, warmupRecords: Math.floor(records / 5), acks: c.acks });
      const cpu = cpuSeconds(b.pid) - c0;
      const all = await window();
      const t = all?.["0"] ?? null;
      out[name] = { ...r, cpu, timing: all };
      if (clientMetrics && !c.rtt) {
        await createTopic(b, `${topic}-m`, c.partitions);
        const m = await producerMetrics(b, `${topic}-m`, c);
        out[name].clientMetrics = m;
        log(`${kind} ${name} again with --print-metrics (all ${c.latency ? latencyRecords : records} records): ${m.summary}; Java producer: record-queue-time avg ${m.recordQueueTimeAvg.toFixed(1)} max ${m.recordQueueTimeMax.toFixed(0)} ms, request-latency avg ${m.requestLatencyAvg.toFixed(2)} max ${m.requestLatencyMax.toFixed(0)} ms, records/request ${m.recordsPerRequestAvg.toFixed(1)}`);
      }
      const fmt = (s) => `p50 ${s.p50.toFixed(2)} p99 ${s.p99.toFixed(2)} max ${s.max.toFixed(1)}`;
      const ms = (x) => (c.rtt ? x.toFixed(3) : String(x));
      log(`${kind} ${name}: ${r.mbPerSec.toFixed(1)} MB/s ${Math.round(r.recordsPerSec)} rec/s, latency p50 ${ms(r.p50)} p99 ${ms(r.p99)} p99.9 ${ms(r.p999)} ms, broker CPU ${cpu.toFixed(1)} s` +
        (t ? `\n    broker per Produce (n=${t.handle.n}, ms): wait ${fmt(t.wait)} | handle ${fmt(t.handle)} | send ${fmt(t.send)}` : "") +
        Object.entries(all ?? {}).filter(([k]) => k !== "0").map(([k, x]) => `\n    other requests, API key ${k} (n=${x.handle.n}, ms): wait max ${x.wait.max.toFixed(1)} | handle max ${x.handle.max.toFixed(1)} | send max ${x.send.max.toFixed(1)}`).join(""));
    }
  } finally {
    await b.stop();
  }
  return out;
}

mkdirSync(work, { recursive: true });
const results = {};
for (const kind of brokers) results[kind] = await runBroker(kind);
if (results.kafka && results.odradek) {
  for (const name of cases) {
    const k = results.kafka[name];
    const o = results.odradek[name];
    if (!k || !o) continue;
    log(`${name}: MB/s odradek/Kafka ${(o.mbPerSec / k.mbPerSec).toFixed(2)}×; p50 ${o.p50} vs ${k.p50} ms; p99 ${o.p99} vs ${k.p99} ms`);
  }
}
