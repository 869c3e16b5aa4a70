/**
 * The broker on the storage engine: record-exact ListOffsets inside one batch, topic segment and
 * retention configs taking effect, and a real process killed with SIGKILL keeping every batch it
 * acknowledged with `log.flush.interval.messages=1`.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey } from "@odradek/codec";
import type { UnifiedLog } from "@odradek/storage";
import { startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient, buildBatch, parseBatches } from "./helpers.js";

const cli = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "cli", "bin", "odradek.js");

async function createTopic(c: TestClient, name: string, partitions: number, configs: Record<string, string> = {}) {
  const r = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }], timeoutMs: 1000 });
  expect(r.topics[0]!.errorCode).toBe(0);
}

async function produce(c: TestClient, topic: string, records: Buffer) {
  const r = await c.request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 1000, topicData: [{ name: topic, partitionData: [{ index: 0, records }] }] });
  return r.responses[0]!.partitionResponses[0]!;
}

async function listOffset(c: TestClient, topic: string, timestamp: bigint) {
  const r = await c.request(ApiKey.ListOffsets, 8, { replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: 0, timestamp, currentLeaderEpoch: -1 }] }] });
  return r.topics[0]!.partitions[0]!;
}

async function until(what: string, cond: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("broker on the storage engine", () => {
  let b: RunningBroker;
  let c: TestClient;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "odradek-storage-"));
    // A cleaner map of 12 keys (log.cleaner.dedupe.buffer.size / 128 bytes per key, log-configs.ts).
    b = await startBroker({ dataDir: dir, config: { "log.retention.check.interval.ms": "100", "log.cleaner.dedupe.buffer.size": String(12 * 128) } });
    c = await TestClient.connect(b.port);
  });
  afterAll(async () => {
    await c.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("finds the first record at or after a timestamp inside one batch", async () => {
    await createTopic(c, "ts", 1);
    const t0 = BigInt(Date.now() - 60_000);
    const records = Array.from({ length: 10 }, (_, i) => ({ value: Buffer.from(`v${i}`), timestampDelta: i * 1000 }));
    expect((await produce(c, "ts", buildBatch(records, { baseTimestamp: t0 }))).errorCode).toBe(0);
    expect(await listOffset(c, "ts", t0 + 4500n)).toMatchObject({ errorCode: 0, offset: 5n, timestamp: t0 + 5000n });
    expect(await listOffset(c, "ts", t0)).toMatchObject({ offset: 0n, timestamp: t0 });
    expect(await listOffset(c, "ts", t0 + 100_000n)).toMatchObject({ offset: -1n, timestamp: -1n });
    expect(await listOffset(c, "ts", -3n)).toMatchObject({ offset: 9n, timestamp: t0 + 9000n });
  });

  it("rolls segments by segment.bytes and deletes old ones by retention.bytes", async () => {
    await createTopic(c, "ret", 1, { "segment.bytes": "4096", "retention.bytes": "8192" });
    const value = Buffer.alloc(900, 120);
    for (let i = 0; i < 40; i++) expect((await produce(c, "ret", buildBatch([{ value }]))).errorCode).toBe(0);
    const segments = () => readdirSync(join(dir, "ret-0")).filter((f) => f.endsWith(".log")).sort();
    // The retention task (every 100 ms here) deletes whole closed segments until what is left is
    // within retention.bytes plus the active segment.
    const kept = () => segments().reduce((n, f) => n + statSync(join(dir, "ret-0", f)).size, 0);
    await until("retention deletes old segments", async () => kept() <= 8192 + 4096);
    const start = (await listOffset(c, "ret", -2n)).offset;
    expect(start).toBeGreaterThan(0n);
    expect((await listOffset(c, "ret", -1n)).offset).toBe(40n);
    expect(segments().length).toBeGreaterThanOrEqual(2);
    expect(segments()[0]).toBe(`${String(start).padStart(20, "0")}.log`);
    // reading from the new start works; below it is out of range
    const fetch = async (offset: bigint) =>
      (await c.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: "ret", partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }], forgottenTopicsData: [] })).responses[0]!.partitions[0]!;
    expect((await fetch(0n)).errorCode).toBe(1); // OFFSET_OUT_OF_RANGE
    const r = await fetch(start);
    expect(r.errorCode).toBe(0);
    expect(parseBatches(r.records)[0]!.baseOffset).toBe(start);
  });

  it("compacts in passes bounded by log.cleaner.dedupe.buffer.size", async () => {
    await createTopic(c, "cmp", 1, { "cleanup.policy": "compact", "segment.bytes": "4096" });
    const value = Buffer.alloc(300, 97);
    for (let i = 0; i < 60; i++) expect((await produce(c, "cmp", buildBatch([{ key: Buffer.from(`k${i % 15}`), value }]))).errorCode).toBe(0);
    const log = b.broker.logs.getLog("cmp", 0) as UnifiedLog;
    await log.roll();
    await log.flush();
    const count = async () => {
      let n = 0;
      let offset = 0n;
      for (;;) {
        const r = (await c.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: "cmp", partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }], forgottenTopicsData: [] })).responses[0]!.partitions[0]!;
        const batches = parseBatches(r.records);
        if (batches.length === 0) return n;
        for (const x of batches) n += x.count;
        offset = batches[batches.length - 1]!.baseOffset + BigInt(batches[batches.length - 1]!.count);
      }
    };
    expect(log.segments.values().length).toBeGreaterThan(4);
    await b.broker.logs.runCleaner();
    // One pass maps one segment of ~12 keys: the first removes nothing, and nothing is fully compacted yet.
    expect(await count()).toBe(60);
    for (let i = 0; i < 10; i++) await b.broker.logs.runCleaner();
    expect(await count()).toBe(15);
  });
});

/** Starts the CLI on a data dir and resolves its port once the ready line is printed. */
function startCli(dataDir: string, extra: string[]): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [cli, "--port", "0", "--data-dir", dataDir, ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /ready on [^\s:]+:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on("exit", (code) => reject(new Error(`odradek exited ${code} before ready`)));
  });
}

describe("a killed broker process (SIGKILL)", () => {
  it("keeps every batch it acknowledged with log.flush.interval.messages=1", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-kill-"));
    try {
      const first = await startCli(dir, ["--set", "log.flush.interval.messages=1"]);
      const c = await TestClient.connect(first.port);
      await createTopic(c, "durable", 1);
      // acknowledged appends, then more in flight when the process dies
      let acked = 0;
      for (; acked < 200; acked++) expect((await produce(c, "durable", buildBatch([{ value: Buffer.from(`a${acked}`) }]))).errorCode).toBe(0);
      const inflight = Array.from({ length: 50 }, (_, i) => produce(c, "durable", buildBatch([{ value: Buffer.from(`b${i}`) }])).catch(() => null));
      first.child.kill("SIGKILL");
      const late = (await Promise.all(inflight)).filter((r) => r?.errorCode === 0).length;
      await c.close().catch(() => {});
      const second = await startCli(dir, []);
      const c2 = await TestClient.connect(second.port);
      const end = (await listOffset(c2, "durable", -1n)).offset;
      expect(end).toBeGreaterThanOrEqual(BigInt(acked + late));
      const values: string[] = [];
      for (let offset = 0n; offset < end; ) {
        const r = (await c2.request(ApiKey.Fetch, 12, { replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, topics: [{ topic: "durable", partitions: [{ partition: 0, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }], forgottenTopicsData: [] })).responses[0]!.partitions[0]!;
        const batches = parseBatches(r.records);
        for (const x of batches) values.push(...x.values);
        offset = batches[batches.length - 1]!.baseOffset + BigInt(batches[batches.length - 1]!.count);
      }
      expect(values.slice(0, acked)).toEqual(Array.from({ length: acked }, (_, i) => `a${i}`));
      await c2.close();
      second.child.kill("SIGTERM");
      await new Promise((r) => second.child.on("exit", r));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
