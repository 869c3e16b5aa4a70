// Turns the raw figures of one `pnpm bench` run into: results.json (everything), report.md (every
// table), chart.svg (hand-written SVG, no dependency) and, on request, the summary table in the
// root README between <!-- bench:start --> and <!-- bench:end -->.
import { mkdirSync, writeFileSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { median, percentile } from "./proc.mjs";

const KINDS = ["kafka", "odradek"];

function roundsOf(data, kind) {
  return data.rounds.filter((r) => r.kind === kind);
}
const med = (xs) => median(xs.filter((x) => x !== undefined && x !== null));
const sum = (xs) => xs.reduce((a, b) => a + b, 0);

/** CPU seconds of the broker per GB (10^9 bytes) moved, over a set of runs of one round; median over rounds. */
function cpuPerGB(rounds, pick) {
  return med(
    rounds.map((r) => {
      const runs = pick(r).filter(Boolean);
      if (!runs.length) return undefined;
      return sum(runs.map((x) => x.brokerCpuSeconds)) / (sum(runs.map((x) => x.bytes)) / 1e9);
    }),
  );
}

export function aggregate(data) {
  const agg = {};
  for (const kind of KINDS) {
    const rs = roundsOf(data, kind);
    const big = data.big.find((b) => b.kind === kind);
    const a = { rounds: rs.length, produce: {}, consume: {}, latency: {}, e2e: {}, clients: {} };
    const keys = (field) => [...new Set(rs.flatMap((r) => Object.keys(r[field] ?? {})))];
    for (const field of ["produce", "consume", "clients"]) {
      for (const k of keys(field)) {
        const runs = rs.map((r) => r[field][k]).filter(Boolean);
        a[field][k] = {
          mbPerSec: med(runs.map((x) => x.mbPerSec)),
          recordsPerSec: med(runs.map((x) => x.recordsPerSec)),
          cpuPerGB: med(runs.map((x) => x.brokerCpuSeconds / (x.bytes / 1e9))),
          p99: med(runs.map((x) => x.p99)),
          n: runs.length,
        };
      }
    }
    a.rebalance = {};
    for (const protocol of ["classic", "consumer"]) {
      const runs = rs.map((r) => r.rebalance?.[protocol]).filter(Boolean);
      if (runs.length) a.rebalance[protocol] = { formMs: med(runs.map((x) => x.formMs)), leaveMs: med(runs.map((x) => x.leaveMs)), n: runs.length };
    }
    for (const field of ["latency", "e2e", "rtt"]) {
      for (const k of keys(field)) {
        const runs = rs.map((r) => r[field]?.[k]).filter(Boolean);
        a[field] ??= {};
        a[field][k] = {
          p50: med(runs.map((x) => x.p50)),
          p99: med(runs.map((x) => x.p99)),
          p999: med(runs.map((x) => x.p999)),
          avgMs: med(runs.map((x) => x.avgMs)),
          recordsPerSec: med(runs.map((x) => x.recordsPerSec)),
          n: runs.length,
        };
      }
    }
    a.cpuPerGBProduce = cpuPerGB(rs, (r) => Object.values(r.produce));
    a.cpuPerGBConsume = cpuPerGB(rs, (r) => Object.values(r.consume));
    a.coldStartMs = med(rs.map((r) => r.coldStartMs));
    a.formatSeconds = med(rs.map((r) => r.formatSeconds));
    a.idleRssMiB = med(rs.map((r) => r.idleRssMiB));
    a.peakRssMiB = med(rs.map((r) => r.peakRssMiB));
    a.stopMs = med(rs.map((r) => r.stopMs));
    if (big) {
      const sorted = [...big.metadataMs].sort((x, y) => x - y);
      a.big = {
        partitions: big.partitions,
        requestedPartitions: big.requestedPartitions ?? big.partitions,
        createError: big.createError,
        error: big.error,
        openFiles: big.openFiles,
        createMs: big.createMs,
        createToAllAckedMs: big.createToAllAckedMs,
        produceAllMs: big.produceAllMs,
        metadataP50: median(big.metadataMs),
        metadataP99: percentile(sorted, 0.99),
        metadataBytes: big.metadataBytes,
        restartMs: median(big.restartMs),
        restarts: big.restartMs.length,
        rssMiB: big.rssMiB,
        stopMs: big.stopMs,
      };
    }
    agg[kind] = a;
  }
  const lb = data.limits.loopback;
  agg.limits = {
    loopbackMBps: median(lb.map((x) => x.mbPerSec)),
    loopbackTool: lb[0]?.tool ?? "-",
    seqWriteMBps: median(data.limits.seqWrite),
    syncedWritesPerSec: median(data.limits.syncedWrites.map((x) => x.perSec)),
    syncedWriteMs: median(data.limits.syncedWrites.map((x) => x.msEach)),
    samples: lb.length,
  };
  return agg;
}

// ---------------------------------------------------------------- rows
const g = (path) => (a) => path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), a);

/** Every figure: label, unit, which direction is better, how to read it, the limit next to it, the issue's target. */
function rows(agg) {
  const L = agg.limits;
  const lb = `loopback ${fmt(L.loopbackMBps, 0)} MB/s`;
  const P = agg.kafka.big?.requestedPartitions ?? agg.odradek.big?.requestedPartitions ?? 10000;
  const out = [];
  const add = (id, label, unit, better, get, extra = {}) => out.push({ id, label, unit, better, get, ...extra });
  add("prod-1", "produce MB/s, ProducerPerformance, 1 partition, acks=1, none", "MB/s", "higher", g("produce.p1-none-acks1.mbPerSec"), { short: "produce MB/s 1p acks=1", limit: lb, target: "≥ 1.25", summary: true });
  add("prod-8", "produce MB/s, ProducerPerformance, 8 partitions, acks=1, none", "MB/s", "higher", g("produce.p8-none-acks1.mbPerSec"), { short: "produce MB/s 8p acks=1", limit: lb, target: "≥ 1.25", summary: true });
  add("prod-8-all-lz4", "produce MB/s, ProducerPerformance, 8 partitions, acks=all, lz4", "MB/s", "higher", g("produce.p8-lz4-acksall.mbPerSec"), { short: "produce MB/s 8p acks=all lz4", limit: lb, target: "≥ 1.25", summary: true });
  add("prod-8-rps", "produce records/s, ProducerPerformance, 8 partitions, acks=1, none", "rec/s", "higher", g("produce.p8-none-acks1.recordsPerSec"), { short: "produce rec/s 8p acks=1", target: "≥ 1.25", summary: true });
  add("prod-8-txn", "transactional produce MB/s, ProducerPerformance --transactional-id, 8 partitions, a commit every 100 ms", "MB/s", "higher", g("clients.ProducerPerformance-transactional-100ms.mbPerSec"), { short: "transactional produce MB/s 8p", limit: lb, summary: true });
  add("cons-8", "consume MB/s, Java assign() consumer, 8 partitions, none", "MB/s", "higher", g("consume.p8-none.mbPerSec"), { short: "consume MB/s Java 8p", limit: lb, target: "≥ 1.25", summary: true });
  add("cons-1-lz4", "consume MB/s, Java assign() consumer, 1 partition, lz4", "MB/s", "higher", g("consume.p1-lz4.mbPerSec"), { short: "consume MB/s Java 1p lz4", limit: lb, target: "≥ 1.25" });
  add("kcat-p", "produce MB/s, kcat (librdkafka), 8 partitions, acks=1, none", "MB/s", "higher", g("clients.kcat-produce-none-acks1.mbPerSec"), { short: "kcat produce MB/s", limit: lb, summary: true });
  add("kcat-p-lz4", "produce MB/s, kcat (librdkafka), 8 partitions, acks=all, lz4", "MB/s", "higher", g("clients.kcat-produce-lz4-acksall.mbPerSec"), { short: "kcat produce MB/s acks=all lz4", limit: lb });
  add("kcat-c", "consume MB/s, kcat (librdkafka), 8 partitions, none", "MB/s", "higher", g("clients.kcat-consume-none.mbPerSec"), { short: "kcat consume MB/s", limit: lb, summary: true });
  add("group-classic", "consume MB/s, ConsumerPerformance in a group (classic protocol), 8 partitions, none", "MB/s", "higher", g("clients.group-classic.mbPerSec"), { short: "group consume MB/s classic", limit: lb, summary: true });
  add("rebal-classic-form", "group of 10 forming over 100 partitions, classic protocol (ms, lower is better)", "ms", "lower", g("rebalance.classic.formMs"), { short: "rebalance form classic ms", summary: true });
  add("rebal-classic-leave", "one of 10 leaving, until 100 partitions are owned again, classic protocol (ms, lower is better)", "ms", "lower", g("rebalance.classic.leaveMs"), { short: "rebalance leave classic ms" });
  add("rebal-848-form", "group of 10 forming over 100 partitions, KIP-848 protocol (ms, lower is better)", "ms", "lower", g("rebalance.consumer.formMs"), { short: "rebalance form 848 ms", summary: true });
  add("rebal-848-leave", "one of 10 leaving, until 100 partitions are owned again, KIP-848 protocol (ms, lower is better)", "ms", "lower", g("rebalance.consumer.leaveMs"), { short: "rebalance leave 848 ms" });
  add("group-848", "consume MB/s, ConsumerPerformance in a group (KIP-848 protocol), 8 partitions, none", "MB/s", "higher", g("clients.group-consumer.mbPerSec"), { short: "group consume MB/s 848", limit: lb, summary: true });
  add("kafkajs-p", "produce MB/s, kafkajs, 8 partitions, acks=1, none", "MB/s", "higher", g("clients.kafkajs-produce-acks1.mbPerSec"), { short: "kafkajs produce MB/s", limit: lb, summary: true });
  add("kafkajs-p-all", "produce MB/s, kafkajs, 8 partitions, acks=all, none", "MB/s", "higher", g("clients.kafkajs-produce-acksall.mbPerSec"), { short: "kafkajs produce MB/s acks=all", limit: lb });
  for (const acks of ["1", "all"]) {
    for (const [q, name] of [["p50", "p50"], ["p99", "p99"], ["p999", "p99.9"]]) {
      add(`lat-${acks}-${q}`, `produce latency ${name} at 10,000 rec/s, 1 partition, acks=${acks}`, "ms", "lower", g(`latency.acks${acks}.${q}`), {
        short: `produce latency ${name} @10k/s acks=${acks}`,
        target: q === "p99" ? "≤ 1" : undefined,
        summary: acks === "all",
      });
    }
  }
  for (const acks of ["1", "all"]) {
    add(`e2e-${acks}-avg`, `end-to-end latency avg, EndToEndLatency, acks=${acks}`, "ms", "lower", g(`e2e.acks${acks}.avgMs`), { short: `end-to-end avg acks=${acks}`, summary: acks === "all", digits: 3 });
    add(`e2e-${acks}-p99`, `end-to-end latency p99, EndToEndLatency, acks=${acks}`, "ms", "lower", g(`e2e.acks${acks}.p99`), { short: `end-to-end p99 acks=${acks}`,});
  }
  for (const acks of ["1", "all"]) {
    add(`rtt-${acks}`, `Produce round trip p50, one 16 KiB batch in flight, acks=${acks} (wire client)`, "ms", "lower", g(`rtt.acks${acks}.p50`), { short: `Produce round trip p50 acks=${acks}`, digits: 3, summary: acks === "1" });
    add(`rtt-${acks}-99`, `Produce round trip p99, one 16 KiB batch in flight, acks=${acks} (wire client)`, "ms", "lower", g(`rtt.acks${acks}.p99`), { short: `Produce round trip p99 acks=${acks}`, digits: 3 });
  }
  add("cpu-p", "broker CPU s per GB produced (ProducerPerformance runs)", "s/GB", "lower", g("cpuPerGBProduce"), { short: "broker CPU s/GB produce", target: "≤ 0.8", summary: true });
  add("cpu-c", "broker CPU s per GB consumed (Java consumer runs)", "s/GB", "lower", g("cpuPerGBConsume"), { short: "broker CPU s/GB consume", target: "≤ 0.8", summary: true });
  add("rss-idle", "idle RSS after start", "MiB", "lower", g("idleRssMiB"), { short: "idle RSS", target: "≤ 60 MB", summary: true });
  add("rss-peak", "peak RSS (VmHWM) after the loads", "MiB", "lower", g("peakRssMiB"), { short: "peak RSS", summary: true });
  add("cold", "cold start: spawn to first acknowledged produce", "ms", "lower", g("coldStartMs"), { short: "cold start to first ack", target: "≤ 150 ms", summary: true, digits: 0 });
  add("big-create", `${P} partitions: CreateTopics until every partition acknowledges a produce`, "ms", "lower", g("big.createToAllAckedMs"), { short: "many partitions: create", digits: 0, summary: true });
  add("big-md", `${P} partitions: Metadata latency p50`, "ms", "lower", g("big.metadataP50"), { short: "many partitions: Metadata p50", summary: true, digits: 2 });
  add("big-md99", `${P} partitions: Metadata latency p99`, "ms", "lower", g("big.metadataP99"), { short: "many partitions: Metadata p99", digits: 2 });
  add("big-restart", `${P} partitions: restart, spawn to first acknowledged produce`, "ms", "lower", g("big.restartMs"), { short: "many partitions: restart", summary: true, digits: 0 });
  add("big-rss", `${P} partitions: RSS`, "MiB", "lower", g("big.rssMiB"), { short: "many partitions: RSS",});
  return out;
}

export function fmt(x, digits) {
  if (x === undefined || x === null || !Number.isFinite(x)) return "–";
  if (digits === undefined) digits = Math.abs(x) >= 100 ? 0 : Math.abs(x) >= 10 ? 1 : 2;
  return x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
function ratio(o, k) {
  if (!Number.isFinite(o) || !Number.isFinite(k) || k === 0) return NaN;
  return o / k;
}
function ratioCell(row, o, k) {
  const r = ratio(o, k);
  if (!Number.isFinite(r)) return "–";
  const good = row.better === "higher" ? r >= 1 : r <= 1;
  return `${r.toFixed(2)}× ${good ? "✓" : "✗"}`;
}

function comparable(row, agg) {
  if (!row.id.startsWith("big-")) return true;
  return agg.kafka.big?.partitions === agg.odradek.big?.partitions;
}

function table(agg, list) {
  const head = "| figure | Kafka 4.4 | odradek | odradek / Kafka | target | limit (same run) |\n|---|--:|--:|--:|--:|---|";
  const body = list.map((row) => {
    const k = row.get(agg.kafka);
    const o = row.get(agg.odradek);
    const same = comparable(row, agg);
    const held = (x) => (same || !x.big ? "" : ` (${fmt(x.big.partitions, 0)} partitions)`);
    return `| ${row.label} (${row.unit}${row.better === "lower" ? ", lower is better" : ""}) | ${fmt(k, row.digits)}${held(agg.kafka)} | ${fmt(o, row.digits)}${held(agg.odradek)} | ${same ? ratioCell(row, o, k) : "not comparable"} | ${row.target ?? ""} | ${row.limit ?? ""} |`;
  });
  return [head, ...body].join("\n");
}

function header(data, agg) {
  const m = data.meta;
  const L = agg.limits;
  const java = (m.java.split("\n")[0] ?? "").trim();
  return [
    `Run ${m.startedAt.replace("T", " ").slice(0, 16)} UTC, ${fmt(m.minutes, 1)} min, odradek \`${m.git.head}\`${m.git.dirtyFilesInPackages ? ` + ${m.git.dirtyFilesInPackages} uncommitted files under packages/` : ""}; ` +
      `${m.cpus} cores (${m.cpuModel.trim()}), ${fmt(m.memGiB, 0)} GiB; Node ${m.node}, ${java}, kcat with ${m.kcat || "librdkafka"}.`,
    m.note ? `Note: ${m.note}.\n\n` : "",
    m.complete === false ? "**Partial report**: written after the rounds, before the many-partitions phase finished.\n\n" : "",
    `**Load average** (1 min) at start ${m.loadAtStart.map((x) => x.toFixed(2)).join(" / ")}, mean ${fmt(m.loadMean, 2)}, max ${fmt(m.loadMax, 2)}, at end ${m.loadAtEnd[0].toFixed(2)} — ` +
      `the machine is shared with other developers' test runs, and clients and broker share its ${m.cpus} cores.`,
    `Medians of ${m.cfg.runs} round(s) (each round starts each broker fresh, in alternating order); ${fmt(m.cfg.records, 0)} records of 1 KiB per throughput run; ` +
      `same broker settings for both: ${Object.entries(m.sharedConfig).map(([k, v]) => `\`${k}=${v}\``).join(", ")}${m.sharedConfig["log.flush.interval.messages"] ? "" : " (no flush setting: the page cache decides, Kafka's default)"}; Kafka heap \`${m.kafkaHeap}\`.`,
    `**Machine limits** measured in this run: loopback TCP ${fmt(L.loopbackMBps, 0)} MB/s (${L.loopbackTool === "iperf3" ? "iperf3, one stream" : "a Node loopback test, one socket (iperf3 unavailable)"}), ` +
      `sequential write ending with fdatasync ${fmt(L.seqWriteMBps, 0)} MB/s (dd bs=1M conv=fdatasync), synced 4 KiB writes ${fmt(L.syncedWritesPerSec, 0)}/s = ${fmt(L.syncedWriteMs, 2)} ms each (dd oflag=dsync).`,
  ].join("\n\n");
}

function detailTables(data, agg) {
  const out = [];
  const k = agg.kafka;
  const o = agg.odradek;
  out.push("## Produce throughput, Kafka's ProducerPerformance (Java client defaults, 1 KiB records)\n");
  out.push("| partitions | acks | compression | Kafka MB/s | Kafka rec/s | Kafka CPU s/GB | odradek MB/s | odradek rec/s | odradek CPU s/GB | MB/s ratio | CPU ratio |\n|--:|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const key of Object.keys({ ...k.produce, ...o.produce })) {
    const [, p, c, a] = /p(\d+)-(\w+)-acks(\w+)/.exec(key);
    const kk = k.produce[key] ?? {};
    const oo = o.produce[key] ?? {};
    out.push(`| ${p} | ${a} | ${c} | ${fmt(kk.mbPerSec)} | ${fmt(kk.recordsPerSec, 0)} | ${fmt(kk.cpuPerGB)} | ${fmt(oo.mbPerSec)} | ${fmt(oo.recordsPerSec, 0)} | ${fmt(oo.cpuPerGB)} | ${fmt(ratio(oo.mbPerSec, kk.mbPerSec))}× | ${fmt(ratio(oo.cpuPerGB, kk.cpuPerGB))}× |`);
  }
  out.push("\n## Consume throughput, Java consumer with assign() (benchmarks/java/AssignConsumer.java), from the beginning of the topics above (acks=1)\n");
  out.push("| partitions | compression | Kafka MB/s | Kafka CPU s/GB | odradek MB/s | odradek CPU s/GB | MB/s ratio | CPU ratio |\n|--:|---|--:|--:|--:|--:|--:|--:|");
  for (const key of Object.keys({ ...k.consume, ...o.consume })) {
    const [, p, c] = /p(\d+)-(\w+)/.exec(key);
    const kk = k.consume[key] ?? {};
    const oo = o.consume[key] ?? {};
    out.push(`| ${p} | ${c} | ${fmt(kk.mbPerSec)} | ${fmt(kk.cpuPerGB)} | ${fmt(oo.mbPerSec)} | ${fmt(oo.cpuPerGB)} | ${fmt(ratio(oo.mbPerSec, kk.mbPerSec))}× | ${fmt(ratio(oo.cpuPerGB, kk.cpuPerGB))}× |`);
  }
  out.push("\n## Other clients (8 partitions)\n");
  out.push("| load | Kafka MB/s | Kafka CPU s/GB | odradek MB/s | odradek CPU s/GB | MB/s ratio |\n|---|--:|--:|--:|--:|--:|");
  for (const key of Object.keys({ ...k.clients, ...o.clients })) {
    const kk = k.clients[key] ?? {};
    const oo = o.clients[key] ?? {};
    out.push(`| ${key} | ${fmt(kk.mbPerSec)} | ${fmt(kk.cpuPerGB)} | ${fmt(oo.mbPerSec)} | ${fmt(oo.cpuPerGB)} | ${fmt(ratio(oo.mbPerSec, kk.mbPerSec))}× |`);
  }
  out.push("\n## Latency (ms; ProducerPerformance and EndToEndLatency report whole milliseconds, the wire client's round trip is timed in µs)\n");
  out.push("| test | Kafka p50 | Kafka p99 | Kafka p99.9 | Kafka avg | odradek p50 | odradek p99 | odradek p99.9 | odradek avg |\n|---|--:|--:|--:|--:|--:|--:|--:|--:|");
  for (const [field, label] of [["latency", "produce at 10,000 rec/s, 1 partition"], ["e2e", "end to end (EndToEndLatency), 1 partition"], ["rtt", "Produce round trip, wire client, one 16 KiB batch in flight"]]) {
    const digits = field === "rtt" ? 3 : 0;
    for (const key of Object.keys({ ...k[field], ...o[field] })) {
      const kk = k[field][key] ?? {};
      const oo = o[field][key] ?? {};
      out.push(`| ${label}, ${key.replace("acks", "acks=")} | ${fmt(kk.p50, digits)} | ${fmt(kk.p99, digits)} | ${fmt(kk.p999, digits)} | ${fmt(kk.avgMs, 3)} | ${fmt(oo.p50, digits)} | ${fmt(oo.p99, digits)} | ${fmt(oo.p999, digits)} | ${fmt(oo.avgMs, 3)} |`);
    }
  }
  out.push("\n## Start, stop, memory\n");
  out.push("| figure | Kafka 4.4 | odradek |\n|---|--:|--:|");
  out.push(`| storage format before the first start (s; Kafka only, not in the cold start) | ${fmt(k.formatSeconds, 2)} | – |`);
  out.push(`| cold start: spawn → first acknowledged produce (ms) | ${fmt(k.coldStartMs, 0)} | ${fmt(o.coldStartMs, 0)} |`);
  out.push(`| idle RSS (MiB) | ${fmt(k.idleRssMiB, 0)} | ${fmt(o.idleRssMiB, 0)} |`);
  out.push(`| peak RSS, VmHWM after the loads (MiB) | ${fmt(k.peakRssMiB, 0)} | ${fmt(o.peakRssMiB, 0)} |`);
  out.push(`| clean stop after the loads (ms) | ${fmt(k.stopMs, 0)} | ${fmt(o.stopMs, 0)} |`);
  if (k.big || o.big) {
    const P = (k.big ?? o.big).requestedPartitions ?? (k.big ?? o.big).partitions;
    out.push(`\n## ${fmt(P, 0)} partitions (topics of 1,000 partitions: Kafka's controller refuses a 10,000-partition topic in one operation; one 1 KiB record in each partition before the restarts)\n`);
    for (const [name, x] of [["Kafka", k.big], ["odradek", o.big]]) {
      if (x?.createError) out.push(`**${name} held only ${fmt(x.partitions, 0)} partitions**: ${x.createError}\n`);
      if (x?.error) out.push(`**${name} failed in this phase**: ${x.error.split("\n")[0]}\n`);
    }
    out.push("| figure | Kafka 4.4 | odradek |\n|---|--:|--:|");
    out.push(`| partitions held (asked for ${fmt(P, 0)}) | ${fmt(k.big?.partitions, 0)} | ${fmt(o.big?.partitions, 0)} |`);
    out.push(`| open file descriptors with them (limit) | ${fmt(k.big?.openFiles?.fds, 0)} (${fmt(k.big?.openFiles?.limit, 0)}) | ${fmt(o.big?.openFiles?.fds, 0)} (${fmt(o.big?.openFiles?.limit, 0)}) |`);
    out.push(`| CreateTopics until Metadata shows a leader for every partition (ms) | ${fmt(k.big?.createMs, 0)} | ${fmt(o.big?.createMs, 0)} |`);
    out.push(`| CreateTopics until every partition has acknowledged a produce (ms) | ${fmt(k.big?.createToAllAckedMs, 0)} | ${fmt(o.big?.createToAllAckedMs, 0)} |`);
    out.push(`| of which: one record into every partition, one Produce per topic, retried until accepted (ms) | ${fmt(k.big?.produceAllMs, 0)} | ${fmt(o.big?.produceAllMs, 0)} |`);
    out.push(`| Metadata v4 for those topics, p50 (ms) | ${fmt(k.big?.metadataP50, 2)} | ${fmt(o.big?.metadataP50, 2)} |`);
    out.push(`| Metadata v4 for those topics, p99 (ms) | ${fmt(k.big?.metadataP99, 2)} | ${fmt(o.big?.metadataP99, 2)} |`);
    out.push(`| Metadata response size (KiB) | ${fmt((k.big?.metadataBytes ?? NaN) / 1024, 0)} | ${fmt((o.big?.metadataBytes ?? NaN) / 1024, 0)} |`);
    out.push(`| RSS with the partitions (MiB) | ${fmt(k.big?.rssMiB, 0)} | ${fmt(o.big?.rssMiB, 0)} |`);
    out.push(`| clean stop (ms) | ${fmt(k.big?.stopMs, 0)} | ${fmt(o.big?.stopMs, 0)} |`);
    out.push(`| restart: spawn → first acknowledged produce to the last partition (ms, median of ${k.big?.restarts ?? o.big?.restarts}) | ${fmt(k.big?.restartMs, 0)} | ${fmt(o.big?.restartMs, 0)} |`);
  }
  return out.join("\n");
}

function perRound(data) {
  const out = ["## Every round (the figures the medians come from)\n", "| broker | round | cold start ms | idle RSS MiB | peak RSS MiB | produce MB/s (8 configs, matrix order) | consume MB/s (4 configs) |", "|---|--:|--:|--:|--:|---|---|"];
  for (const r of data.rounds) {
    out.push(`| ${r.kind} | ${r.round} | ${fmt(r.coldStartMs, 0)} | ${fmt(r.idleRssMiB, 0)} | ${fmt(r.peakRssMiB, 0)} | ${Object.values(r.produce).map((x) => fmt(x.mbPerSec, 1)).join(" / ")} | ${Object.values(r.consume).map((x) => fmt(x.mbPerSec, 1)).join(" / ")} |`);
  }
  return out.join("\n");
}

// ---------------------------------------------------------------- SVG
function esc(s) {
  return String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function chart(data, agg) {
  const W = 980;
  const k = agg.kafka;
  const o = agg.odradek;
  const bars = [];
  for (const key of Object.keys({ ...k.produce, ...o.produce })) {
    const [, p, c, a] = /p(\d+)-(\w+)-acks(\w+)/.exec(key);
    bars.push([`produce ${p}p acks=${a} ${c}`, k.produce[key]?.mbPerSec, o.produce[key]?.mbPerSec]);
  }
  for (const key of Object.keys({ ...k.consume, ...o.consume })) {
    const [, p, c] = /p(\d+)-(\w+)/.exec(key);
    bars.push([`consume ${p}p ${c} (Java)`, k.consume[key]?.mbPerSec, o.consume[key]?.mbPerSec]);
  }
  for (const key of Object.keys({ ...k.clients, ...o.clients })) bars.push([key.replace(/-/g, " "), k.clients[key]?.mbPerSec, o.clients[key]?.mbPerSec]);
  const max = Math.max(1, ...bars.flatMap(([, a, b]) => [a ?? 0, b ?? 0]));
  const scaleMax = niceCeil(max);
  const left = 230;
  const plotW = W - left - 90;
  const rowH = 26;
  const top1 = 84;
  const h1 = bars.length * rowH;
  const x = (v) => left + (Math.max(0, v) / scaleMax) * plotW;
  const parts = [];
  parts.push(`<text x="20" y="28" font-size="18" font-weight="bold">odradek vs Apache Kafka 4.4 — ${esc(data.meta.startedAt.slice(0, 16).replace("T", " "))} UTC, ${data.meta.cpus} cores, load avg ${fmt(data.meta.loadMean, 1)}</text>`);
  parts.push(`<text x="20" y="48" font-size="13" fill="#444">Throughput, MB/s (median of ${data.meta.cfg.runs} round(s), 1 KiB records, MB = 10^6 bytes). Machine limits in this run: loopback TCP ${fmt(agg.limits.loopbackMBps, 0)} MB/s (${esc(agg.limits.loopbackTool)}),</text>`);
  parts.push(`<text x="20" y="64" font-size="13" fill="#444">sequential write + fdatasync ${fmt(agg.limits.seqWriteMBps, 0)} MB/s. Kafka 4.4 in blue, odradek in orange.</text>`);
  for (let t = 0; t <= 4; t++) {
    const v = (scaleMax * t) / 4;
    parts.push(`<line x1="${x(v)}" y1="${top1 - 6}" x2="${x(v)}" y2="${top1 + h1}" stroke="#ddd"/>`);
    parts.push(`<text x="${x(v)}" y="${top1 + h1 + 16}" font-size="11" text-anchor="middle" fill="#666">${fmt(v, 0)}</text>`);
  }
  bars.forEach(([label, kv, ov], i) => {
    const y = top1 + i * rowH;
    parts.push(`<text x="${left - 8}" y="${y + 15}" font-size="12" text-anchor="end">${esc(label)}</text>`);
    parts.push(`<rect x="${left}" y="${y + 2}" width="${Math.max(0, x(kv ?? 0) - left)}" height="10" fill="#4f6d8f"/>`);
    parts.push(`<rect x="${left}" y="${y + 13}" width="${Math.max(0, x(ov ?? 0) - left)}" height="10" fill="#e07b39"/>`);
    parts.push(`<text x="${x(kv ?? 0) + 4}" y="${y + 11}" font-size="10" fill="#4f6d8f">${fmt(kv)}</text>`);
    parts.push(`<text x="${x(ov ?? 0) + 4}" y="${y + 22}" font-size="10" fill="#e07b39">${fmt(ov)}</text>`);
  });
  // ratios panel, log2 scale
  const list = rows(agg).filter((r) => r.summary);
  const top2 = top1 + h1 + 70;
  const rowH2 = 22;
  const h2 = list.length * rowH2;
  const mid = left + plotW / 2;
  const span = 5; // 2^-5 .. 2^5
  const xr = (r) => mid + (Math.max(-span, Math.min(span, Math.log2(r))) / span) * (plotW / 2);
  parts.push(`<text x="20" y="${top2 - 36}" font-size="13" fill="#444">odradek / Kafka, log scale. Green: odradek better (higher throughput; lower latency, CPU, memory, time). Red: worse.</text>`);
  parts.push(`<text x="20" y="${top2 - 20}" font-size="13" fill="#444">Bars are clipped at 32× and 1/32×; n/a where a figure is missing or not comparable.</text>`);
  for (const r of [1 / 32, 1 / 8, 1 / 2, 1, 2, 8, 32]) {
    parts.push(`<line x1="${xr(r)}" y1="${top2 - 6}" x2="${xr(r)}" y2="${top2 + h2}" stroke="${r === 1 ? "#333" : "#ddd"}"/>`);
    parts.push(`<text x="${xr(r)}" y="${top2 + h2 + 16}" font-size="11" text-anchor="middle" fill="#666">${r < 1 ? `1/${1 / r}` : r}×</text>`);
  }
  list.forEach((row, i) => {
    const y = top2 + i * rowH2;
    const r = comparable(row, agg) ? ratio(row.get(o), row.get(k)) : NaN;
    parts.push(`<text x="${left - 8}" y="${y + 14}" font-size="11" text-anchor="end">${esc(row.short ?? shortLabel(row.label))}</text>`);
    if (!Number.isFinite(r) || r <= 0) {
      parts.push(`<text x="${mid + 4}" y="${y + 14}" font-size="11" fill="#999">n/a</text>`);
      return;
    }
    const good = row.better === "higher" ? r >= 1 : r <= 1;
    const x0 = Math.min(xr(1), xr(r));
    const w = Math.abs(xr(r) - xr(1));
    parts.push(`<rect x="${x0}" y="${y + 3}" width="${Math.max(1, w)}" height="14" fill="${good ? "#3a9a5b" : "#c8463d"}"/>`);
    const tx = r >= 1 ? xr(r) + 4 : xr(r) - 4;
    parts.push(`<text x="${tx}" y="${y + 14}" font-size="10" text-anchor="${r >= 1 ? "start" : "end"}">${r.toFixed(2)}×</text>`);
  });
  const H = top2 + h2 + 52;
  const legendY = H - 14;
  parts.push(`<rect x="20" y="${legendY - 9}" width="12" height="10" fill="#4f6d8f"/><text x="36" y="${legendY}" font-size="12">Kafka 4.4</text>`);
  parts.push(`<rect x="120" y="${legendY - 9}" width="12" height="10" fill="#e07b39"/><text x="136" y="${legendY}" font-size="12">odradek ${esc(data.meta.git.head)}</text>`);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join("\n")}\n</svg>\n`;
}

function shortLabel(s) {
  return s
    .replace("ProducerPerformance, ", "")
    .replace("Java assign() consumer, ", "Java, ")
    .replace(" partitions", "p")
    .replace(" partition", "p")
    .replace("EndToEndLatency, ", "")
    .slice(0, 44);
}

function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

// ---------------------------------------------------------------- write
export function writeReport(data, outDir, { readme }) {
  mkdirSync(outDir, { recursive: true });
  const agg = aggregate(data);
  const all = rows(agg);
  const summaryRows = all.filter((r) => r.summary);
  const summary = table(agg, summaryRows);
  const files = [];
  writeFileSync(join(outDir, "results.json"), JSON.stringify({ ...data, aggregate: agg }, null, 1) + "\n");
  files.push(join(outDir, "results.json"));
  if (data.rounds.length) {
    writeFileSync(join(outDir, "chart.svg"), chart(data, agg));
    files.push(join(outDir, "chart.svg"));
  }
  const noRounds = data.rounds.length === 0;
  const details = detailTables(data, agg);
  const md = [
    "# odradek vs Apache Kafka 4.4 on this machine",
    "",
    header(data, agg),
    "",
    ...(noRounds
      ? ["(Only the many-partitions phase was run.)", "", details.slice(details.lastIndexOf("\n## ") + 1), ""]
      : [
          "![throughput and ratios](chart.svg)",
          "",
          "## Summary (medians; ✓ = odradek at least as good as Kafka in this figure)",
          "",
          table(agg, all),
          "",
          details,
          "",
          perRound(data),
          "",
        ]),
    data.errors.length ? `## Errors\n\n${data.errors.map((e) => `- ${e.split("\n")[0]}`).join("\n")}\n` : "",
    "What each figure means and how it is taken: [benchmarks/README.md](../README.md).",
    "",
  ].join("\n");
  writeFileSync(join(outDir, "report.md"), md);
  files.push(join(outDir, "report.md"));
  if (readme && data.rounds.length) {
    const text = readFileSync(readme, "utf8");
    const a = text.indexOf("<!-- bench:start -->");
    const b = text.indexOf("<!-- bench:end -->");
    if (a >= 0 && b > a) {
      const rel = relative(join(readme, ".."), outDir) || ".";
      const block = [
        "<!-- bench:start -->",
        `${data.meta.startedAt.slice(0, 16).replace("T", " ")} UTC, odradek \`${data.meta.git.head}\`, ${data.meta.cpus} shared cores (load average ${fmt(data.meta.loadMean, 1)} during the run), medians of ${data.meta.cfg.runs} round(s); full report and chart: [${rel}/report.md](${rel}/report.md).`,
        `Machine limits in the same run: loopback TCP ${fmt(agg.limits.loopbackMBps, 0)} MB/s (${agg.limits.loopbackTool}), sequential write + fdatasync ${fmt(agg.limits.seqWriteMBps, 0)} MB/s, synced 4 KiB writes ${fmt(agg.limits.syncedWritesPerSec, 0)}/s. ✓ = odradek at least as good as Kafka in that figure.${data.meta.complete === false ? " (Partial: written before the many-partitions phase finished.)" : ""}`,
        "",
        summary,
        "<!-- bench:end -->",
      ].join("\n");
      writeFileSync(readme, text.slice(0, a) + block + text.slice(b + "<!-- bench:end -->".length));
      files.push(readme);
    }
  }
  files.summary = summary;
  return files;
}
