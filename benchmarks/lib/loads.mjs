// The client loads, each run as its own process against a bootstrap address, each returning figures
// parsed from its own output:
//   ProducerPerformance, EndToEndLatency  Kafka 4.4's tools (kafka-tools jar), Java client defaults
//   AssignConsumer                        benchmarks/java/AssignConsumer.java (assign(), no group)
//   ConsumerPerformance                   Kafka 4.4's tool, a consumer group (classic or KIP-848 protocol)
//   RebalanceBench                        benchmarks/java/RebalanceBench.java: 10 members over 100 partitions
//   kcat -P / kcat -C                     librdkafka
//   loads/kafkajs-produce.mjs             kafkajs 2.2.4
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, statSync, writeFileSync, openSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { ROOT, kafkaLibs } from "./brokers.mjs";
import { run } from "./proc.mjs";

const BENCH = join(ROOT, "benchmarks");
export const CACHE = join(BENCH, ".cache");
const TOOLS_LOG4J = join(ROOT, "scripts/kafka/log4j2-tools.properties");

function javaArgs(extraCp = []) {
  return ["-Xmx512m", "-Djava.awt.headless=true", `-Dlog4j2.configurationFile=${TOOLS_LOG4J}`, "-cp", [`${kafkaLibs()}/*`, ...extraCp].join(":")];
}

function fail(what, res) {
  return new Error(`${what} failed (exit ${res.code}):\n${res.stdout.slice(-2000)}\n${res.stderr.slice(-3000)}`);
}

/**
 * Kafka's ProducerPerformance. throughput -1 = as fast as it goes. With `transactionalId` it produces
 * in transactions (idempotent, acks=all), committing every `transactionDurationMs`. Its last line:
 * "N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency, a ms 50th, b ms 95th, c ms 99th, d ms 99.9th."
 * (MB there is 1024*1024 bytes.)
 */
export async function producerPerformance({ bootstrap, topic, records, recordSize = 1024, throughput = -1, acks, compression = "none", warmupRecords = 0, props = {}, transactionalId = null, transactionDurationMs = null }) {
  const producerProps = { "bootstrap.servers": bootstrap, acks: String(acks), "compression.type": compression, ...props };
  const args = [
    ...javaArgs(),
    "org.apache.kafka.tools.ProducerPerformance",
    "--topic", topic, "--num-records", String(records), "--record-size", String(recordSize), "--throughput", String(throughput),
    ...(warmupRecords > 0 ? ["--warmup-records", String(warmupRecords)] : []),
    // transactions: a commit each transactionDurationMs (the tool's default is 3,000 ms)
    ...(transactionalId ? ["--transactional-id", transactionalId, "--transaction-duration-ms", String(transactionDurationMs ?? 3000)] : []),
    "--producer-props", ...Object.entries(producerProps).map(([k, v]) => `${k}=${v}`),
  ];
  const res = await run("java", args, { timeoutMs: 900_000 });
  const line = (steady) => new RegExp(`(\\d+) ${steady ? "steady state " : ""}records sent, ([\\d.]+) records/sec \\(([\\d.]+) MB/sec\\), ([\\d.]+) ms avg latency, ([\\d.]+) ms max latency, (\\d+) ms 50th, (\\d+) ms 95th, (\\d+) ms 99th, (\\d+) ms 99\\.9th`).exec(res.stdout);
  const all = line(false);
  // With --warmup-records the tool prints a second line for the records after the warm-up: use it.
  const m = (warmupRecords > 0 && line(true)) || all;
  if (res.code !== 0 || !m) throw fail("ProducerPerformance", res);
  const sent = Number(all[1]);
  if (sent !== records) throw fail(`ProducerPerformance sent ${sent} of ${records}`, res);
  return {
    records: sent,
    measuredRecords: Number(m[1]),
    recordsPerSec: Number(m[2]),
    mbPerSec: (Number(m[2]) * recordSize) / 1e6,
    avgMs: Number(m[4]),
    maxMs: Number(m[5]),
    p50: Number(m[6]),
    p95: Number(m[7]),
    p99: Number(m[8]),
    p999: Number(m[9]),
    bytes: sent * recordSize,
    wallSeconds: res.seconds,
  };
}

/** Compiles benchmarks/java/NAME.java into the cache when its class is missing or older; returns the class dir. */
function compileJava(name) {
  const out = join(CACHE, "java");
  const src = join(BENCH, `java/${name}.java`);
  const cls = join(out, `${name}.class`);
  if (!existsSync(cls) || statSync(cls).mtimeMs < statSync(src).mtimeMs) {
    mkdirSync(out, { recursive: true });
    execFileSync("javac", ["-d", out, "-cp", `${kafkaLibs()}/*`, src], { stdio: "inherit" });
  }
  return out;
}
const compileConsumer = () => compileJava("AssignConsumer");

/** benchmarks/java/RebalanceBench.java: a group of `members` forming over `partitions`, then one leaving (ms). */
export async function rebalance({ bootstrap, topic, partitions, members, protocol }) {
  const args = [...javaArgs([compileJava("RebalanceBench")]), "RebalanceBench", bootstrap, topic, String(partitions), String(members), protocol];
  const res = await run("java", args, { timeoutMs: 300_000 });
  const line = res.stdout.split("\n").find((l) => l.startsWith("{"));
  if (res.code !== 0 || !line) throw fail("RebalanceBench", res);
  return { ...JSON.parse(line), wallSeconds: res.seconds };
}

/** Reads `records` records from every partition of `topic` from the beginning (Java client, assign()). */
export async function assignConsumer({ bootstrap, topic, records, props = {} }) {
  const args = [...javaArgs([compileConsumer()]), "AssignConsumer", bootstrap, topic, String(records), ...Object.entries(props).map(([k, v]) => `${k}=${v}`)];
  const res = await run("java", args, { timeoutMs: 600_000 });
  const line = res.stdout.split("\n").find((l) => l.startsWith("{"));
  if (res.code !== 0 || !line) throw fail("AssignConsumer", res);
  const r = JSON.parse(line);
  return { ...r, mbPerSec: r.bytes / r.seconds / 1e6, recordsPerSec: r.records / r.seconds, wallSeconds: res.seconds };
}

/**
 * Kafka's ConsumerPerformance in a fresh group (`group.protocol` classic or consumer): joins, reads
 * `records` records from the beginning, commits. Its CSV line (with --hide-header): start.time,
 * end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms,
 * fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec (MB = 1024*1024 bytes).
 */
export async function groupConsumer({ bootstrap, topic, records, protocol, recordSize = 1024 }) {
  const group = `bench-${protocol}-${topic}-${Date.now()}`;
  const args = [
    ...javaArgs(),
    "org.apache.kafka.tools.ConsumerPerformance",
    "--bootstrap-server", bootstrap, "--topic", topic, "--num-records", String(records), "--group", group, "--hide-header", "--timeout", "120000",
    "--command-property", `group.protocol=${protocol}`, "--command-property", "auto.offset.reset=earliest",
  ];
  const res = await run("java", args, { timeoutMs: 600_000 });
  const line = res.stdout.split("\n").map((l) => l.split(",").map((x) => x.trim())).find((c) => c.length >= 10 && /^\d+$/.test(c[4] ?? ""));
  if (res.code !== 0 || !line) throw fail("ConsumerPerformance", res);
  const consumed = Number(line[4]);
  if (consumed < records) throw fail(`ConsumerPerformance read ${consumed} of ${records}`, res);
  const fetchSeconds = Number(line[7]) / 1000;
  return {
    records: consumed, bytes: consumed * recordSize, rebalanceMs: Number(line[6]),
    // Throughput over the fetch time (after the group formed); the join time is its own figure.
    mbPerSec: (consumed * recordSize) / fetchSeconds / 1e6, recordsPerSec: consumed / fetchSeconds, wallSeconds: res.seconds,
  };
}

/**
 * Kafka's EndToEndLatency: produce one record (acks as given), poll it back (assign(), fetch.max.wait.ms=0),
 * repeat. Prints "Avg latency: X ms" and "Percentiles: 50th = a, 99th = b, 99.9th = c" (whole ms).
 */
export async function endToEndLatency({ bootstrap, topic, records, acks, recordSize = 1024 }) {
  const args = [
    ...javaArgs(),
    "org.apache.kafka.tools.EndToEndLatency",
    "--bootstrap-server", bootstrap, "--topic", topic, "--num-records", String(records), "--producer-acks", String(acks), "--record-size", String(recordSize),
  ];
  const res = await run("java", args, { timeoutMs: 600_000 });
  const avg = /Avg latency: ([\d.]+) ms/.exec(res.stdout);
  const pct = /Percentiles: 50th = (\d+), 99th = (\d+), 99\.9th = (\d+)/.exec(res.stdout);
  if (!avg || !pct) throw fail("EndToEndLatency", res);
  // The tool closes its consumer with a group.id set; against a broker without FindCoordinator that
  // last step fails after every figure has been printed. The figures stand; the note says so.
  const note = res.code !== 0 ? /not support FIND_COORDINATOR/.test(res.stderr + res.stdout) ? "exit 1 at close: no FindCoordinator" : `exit ${res.code} after printing` : undefined;
  return { note, avgMs: Number(avg[1]), p50: Number(pct[1]), p99: Number(pct[2]), p999: Number(pct[3]), wallSeconds: res.seconds };
}

/** A file of `records` lines, each `size` random uppercase letters (the payload ProducerPerformance uses). */
export function payloadFile(records, size = 1024) {
  const path = join(CACHE, `payload-${records}x${size}.txt`);
  if (existsSync(path) && statSync(path).size === records * (size + 1)) return path;
  mkdirSync(CACHE, { recursive: true });
  const fd = openSync(path, "w");
  const chunkLines = 1000;
  const line = Buffer.alloc(size + 1);
  let seed = 12345;
  for (let done = 0; done < records; done += chunkLines) {
    const n = Math.min(chunkLines, records - done);
    const chunk = Buffer.alloc(n * (size + 1));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < size; j++) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        line[j] = 65 + ((seed >>> 16) % 26);
      }
      line[size] = 10;
      line.copy(chunk, i * (size + 1));
    }
    writeSync(fd, chunk);
  }
  closeSync(fd);
  return path;
}

/** kcat -P: every line of the payload file is one record; timed from process start to exit (all delivered). */
export async function kcatProduce({ bootstrap, topic, records, acks, compression = "none", recordSize = 1024 }) {
  const file = payloadFile(records, recordSize);
  // Without keys librdkafka sticks to one partition per batch (sticky.partitioning.linger.ms), so ~30
  // batches over 8 partitions leave one empty in ~15% of topics, and kcat -C then waits out
  // fetch.wait.max.ms on it (500 ms, on Kafka as on odradek). A random partition per record fills all 8.
  const args = ["-P", "-b", bootstrap, "-t", topic, "-l", "-X", `acks=${acks}`, "-X", "sticky.partitioning.linger.ms=0", "-z", compression, file];
  const res = await run("kcat", args, { timeoutMs: 600_000 });
  if (res.code !== 0 || /fail|error/i.test(res.stderr)) throw fail("kcat -P", res);
  return { records, bytes: records * recordSize, seconds: res.seconds, mbPerSec: (records * recordSize) / res.seconds / 1e6, recordsPerSec: records / res.seconds };
}

/** kcat -C over every partition from the beginning, exits at the end of each (-e); output to /dev/null. */
export async function kcatConsume({ bootstrap, topic, records, recordSize = 1024 }) {
  const args = ["-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-c", String(records), "-f", "%o\\n"];
  const res = await run("kcat", args, { timeoutMs: 600_000 });
  const got = res.stdout.split("\n").filter(Boolean).length;
  if (res.code !== 0 || got !== records) throw fail(`kcat -C (${got} of ${records} records)`, res);
  return { records, bytes: records * recordSize, seconds: res.seconds, mbPerSec: (records * recordSize) / res.seconds / 1e6, recordsPerSec: records / res.seconds };
}

/** kafkajs 2.2.4, installed on first use into benchmarks/.cache/npm (not a workspace dependency). */
export function kafkajsDir() {
  const dir = join(CACHE, "npm");
  if (!existsSync(join(dir, "node_modules/kafkajs/package.json"))) {
    mkdirSync(dir, { recursive: true });
    if (!existsSync(join(dir, "package.json"))) writeFileSync(join(dir, "package.json"), '{ "private": true }\n');
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefix", dir, "kafkajs@2.2.4"], { stdio: ["ignore", "ignore", "inherit"] });
  }
  return dir;
}

export async function kafkajsProduce({ bootstrap, topic, records, acks, recordSize = 1024, batch = 100, inFlight = 8 }) {
  kafkajsDir();
  const script = join(BENCH, "loads/kafkajs-produce.mjs");
  const res = await run(process.execPath, [script, bootstrap, topic, String(records), String(acks), String(recordSize), String(batch), String(inFlight)], { timeoutMs: 600_000 });
  const line = res.stdout.split("\n").find((l) => l.startsWith("{"));
  if (res.code !== 0 || !line) throw fail("kafkajs producer", res);
  const r = JSON.parse(line);
  return { ...r, mbPerSec: r.bytes / r.seconds / 1e6, recordsPerSec: r.records / r.seconds };
}
