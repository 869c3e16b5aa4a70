// Starting and stopping the two brokers under test, each as one process whose pid we own, so that
// /proc/PID gives its CPU time and memory.
//
// Apache Kafka 4.4: the jars that scripts/kafka/fetch.sh brings from Maven Central, one KRaft node
// (broker + controller in one JVM) with the same server.properties and JVM flags as
// scripts/kafka/start.sh (heap from KAFKA_HEAP_OPTS, default -Xms256m -Xmx1g, G1). The storage is
// formatted by `kafka.tools.StorageTool format` before the first start (timed separately: it is
// Kafka's install step, not part of its start).
// odradek: `node packages/cli/bin/odradek.js --port P --data-dir D --set k=v ...`.
//
// Both get the same broker settings (SHARED_CONFIG plus the caller's), e.g. the flush settings.
import { spawn, execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, openSync, writeFileSync, closeSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { firstAckedProduce } from "./wire.mjs";
import { freePort, run, sleep, waitExit } from "./proc.mjs";

export const ROOT = resolve(new URL("../..", import.meta.url).pathname);
const KAFKA_SCRIPTS = join(ROOT, "scripts/kafka");

/** Settings passed to both brokers (Kafka's defaults, written out so the report can list them). */
export const SHARED_CONFIG = {
  "num.partitions": "1",
  "auto.create.topics.enable": "true",
  "log.segment.bytes": "1073741824",
  "log.retention.hours": "168",
};

let libsDir = null;
export function kafkaLibs() {
  if (!libsDir) {
    const out = execFileSync(join(KAFKA_SCRIPTS, "fetch.sh"), { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] });
    libsDir = out.trim().split("\n").pop();
  }
  return libsDir;
}

export function kafkaJvmFlags(dataDir) {
  const heap = (process.env.KAFKA_HEAP_OPTS ?? "-Xms256m -Xmx1g").split(/\s+/).filter(Boolean);
  return [
    ...heap,
    "-XX:+UseG1GC",
    "-XX:MaxGCPauseMillis=20",
    "-Djava.awt.headless=true",
    `-Dlog4j2.configurationFile=${join(KAFKA_SCRIPTS, "log4j2.properties")}`,
    `-Dkafka.logs.dir=${dataDir}`,
  ];
}

function kafkaProperties({ port, controllerPort, logDirs, config }) {
  const lines = {
    "process.roles": "broker,controller",
    "node.id": "1",
    "controller.quorum.voters": `1@127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    "advertised.listeners": `PLAINTEXT://127.0.0.1:${port}`,
    "controller.listener.names": "CONTROLLER",
    "inter.broker.listener.name": "PLAINTEXT",
    "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
    "log.dirs": logDirs,
    "default.replication.factor": "1",
    "min.insync.replicas": "1",
    "offsets.topic.replication.factor": "1",
    "offsets.topic.num.partitions": "1",
    "transaction.state.log.replication.factor": "1",
    "transaction.state.log.min.isr": "1",
    "transaction.state.log.num.partitions": "1",
    "share.coordinator.state.topic.replication.factor": "1",
    "share.coordinator.state.topic.min.isr": "1",
    "share.coordinator.state.topic.num.partitions": "1",
    "group.initial.rebalance.delay.ms": "0",
    ...config,
  };
  return `# Written by benchmarks/lib/brokers.mjs (as scripts/kafka/start.sh does)\n${Object.entries(lines).map(([k, v]) => `${k}=${v}`).join("\n")}\n`;
}

/**
 * Prepares a broker in a fresh data directory without starting it. For Kafka this writes
 * server.properties and formats the storage (returns formatSeconds).
 */
export async function prepare(kind, dataDir, config = {}) {
  mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const merged = { ...SHARED_CONFIG, ...config };
  if (kind === "kafka") {
    let controllerPort = await freePort();
    while (controllerPort === port) controllerPort = await freePort();
    const props = join(dataDir, "server.properties");
    writeFileSync(props, kafkaProperties({ port, controllerPort, logDirs: join(dataDir, "kafka-logs"), config: merged }));
    const clusterId = randomBytes(16).toString("base64url");
    const libs = kafkaLibs();
    const fmt = await run("java", [...kafkaJvmFlags(dataDir), "-cp", `${libs}/*`, "kafka.tools.StorageTool", "format", "-t", clusterId, "-c", props]);
    if (fmt.code !== 0) throw new Error(`Kafka storage format failed:\n${fmt.stdout}\n${fmt.stderr}`);
    return { kind, dataDir, port, controllerPort, props, config: merged, formatSeconds: fmt.seconds };
  }
  return { kind, dataDir, port, config: merged, formatSeconds: 0 };
}

/**
 * Starts a prepared broker and times it to its first acknowledged produce (the probe: connect,
 * create `probe.topic` when probe.partitions is given, produce one 1 KiB record with acks=1 to
 * probe.partition until it is acknowledged). Returns a handle with pid, bootstrap, stop().
 */
export async function start(prepared, { probe = { topic: "bench-cold", partitions: 1, partition: 0 }, timeoutMs = 180_000, nodeArgs = [], env = {} } = {}) {
  const { kind, dataDir, port } = prepared;
  const logPath = join(dataDir, `${kind}-${Date.now()}.log`);
  const logFd = openSync(logPath, "a");
  let cmd;
  let args;
  if (kind === "kafka") {
    cmd = "java";
    args = [...kafkaJvmFlags(dataDir), "-cp", `${kafkaLibs()}/*`, "kafka.Kafka", prepared.props];
  } else {
    cmd = process.execPath;
    args = [...nodeArgs, join(ROOT, "packages/cli/bin/odradek.js"), "--port", String(port), "--data-dir", join(dataDir, "odradek")];
    for (const [k, v] of Object.entries(prepared.config)) args.push("--set", `${k}=${v}`);
  }
  const t0 = performance.now();
  const child = spawn(cmd, args, { stdio: ["ignore", kind === "odradek" ? "pipe" : logFd, logFd], env: { ...process.env, ...env } });
  closeSync(logFd);
  let readyLine = null;
  if (child.stdout) {
    child.stdout.setEncoding("utf8").on("data", (d) => {
      const m = /ready (?:on )?\S+ in (\d+) ms/.exec(d);
      if (m && readyLine === null) readyLine = Number(m[1]);
    });
  }
  const alive = () => child.exitCode === null && child.signalCode === null;
  let ack;
  try {
    ack = await firstAckedProduce({ host: "127.0.0.1", port, ...probe, deadline: Date.now() + timeoutMs, isAlive: alive });
  } catch (e) {
    child.kill("SIGKILL");
    const tail = readFileSync(logPath, "utf8").split("\n").slice(-30).join("\n");
    throw new Error(`${kind} did not start: ${e.message}\n--- ${logPath}:\n${tail}`);
  }
  const handle = {
    kind,
    pid: child.pid,
    child,
    host: "127.0.0.1",
    port,
    bootstrap: `127.0.0.1:${port}`,
    dataDir,
    logPath,
    prepared,
    startToFirstAckMs: ack.t - t0,
    probeAttempts: ack.attempts,
    selfReportedReadyMs: () => readyLine,
    alive,
    async stop({ timeoutMs: stopTimeout = 60_000 } = {}) {
      if (!alive()) return { stopMs: 0 };
      const s0 = performance.now();
      child.kill("SIGTERM");
      if (!(await waitExit(child, stopTimeout))) {
        child.kill("SIGKILL");
        await waitExit(child, 10_000);
      }
      return { stopMs: performance.now() - s0 };
    },
  };
  return handle;
}

/** Waits until every partition of `topic` has a leader (Metadata v4), returns the ms it took. */
export async function waitLeaders(conn, topic, partitions, timeoutMs = 300_000) {
  const t0 = performance.now();
  for (;;) {
    const md = await conn.metadata([topic]);
    const t = md.topics[0];
    if (t && t.error === 0 && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0)) {
      return performance.now() - t0;
    }
    if (performance.now() - t0 > timeoutMs) throw new Error(`${topic}: not every partition has a leader after ${timeoutMs} ms`);
    await sleep(50);
  }
}
