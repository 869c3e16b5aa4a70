/**
 * Several log dirs (`log.dirs`) and AlterReplicaLogDirs: partitions spread over two dirs on disk,
 * each dir with its own meta.properties and .lock; a partition moved while kafkajs produces to it
 * (idempotent) and consumes from it, with no record lost or duplicated; DescribeLogDirs reporting
 * both dirs; the errors Kafka gives; a restart finding every partition where it was moved to.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Kafka, logLevel } from "kafkajs";
import type { Consumer, Producer } from "kafkajs";
import { ApiKey, ErrorCode } from "@odradek/codec";
import { startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient, parseBatches } from "./helpers.js";

let root: string;
let dirs: string[];
let broker: RunningBroker;
let raw: TestClient;

const props = (dir: string) => Object.fromEntries(readFileSync(join(dir, "meta.properties"), "utf8").split("\n").filter((l) => l.includes("=")).map((l) => l.split("=") as [string, string]));

async function start(): Promise<void> {
  broker = await startBroker({ logDirs: dirs, config: { "auto.create.topics.enable": "false", "log.segment.bytes": "65536" } });
  raw = await TestClient.connect(broker.port);
}
async function stop(): Promise<void> {
  await raw.close();
  await broker.close();
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), "odradek-logdirs-"));
  dirs = [join(root, "a"), join(root, "b")];
  await start();
});
afterAll(async () => {
  await stop();
  rmSync(root, { recursive: true, force: true });
});

async function createTopic(name: string, partitions: number): Promise<void> {
  const r = await raw.request(ApiKey.CreateTopics, 7, { topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
  expect(r.topics[0]!.errorCode).toBe(0);
}

async function describeLogDirs(topics: { topic: string; partitions: number[] }[] | null) {
  const r = await raw.request(ApiKey.DescribeLogDirs, 4, { topics });
  expect(r.errorCode).toBe(0);
  return r.results.map((d) => ({ dir: d.logDir, total: d.totalBytes, topics: d.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ p: p.partitionIndex, size: p.partitionSize, future: p.isFutureKey })) })) }));
}

async function alter(path: string, topic: string, partitions: number[], version = 2) {
  const r = await raw.request(ApiKey.AlterReplicaLogDirs, version, { dirs: [{ path, topics: [{ name: topic, partitions }] }] });
  return r.results.flatMap((t) => t.partitions.map((p) => ({ topic: t.topicName, partition: p.partitionIndex, error: p.errorCode })));
}

async function readValues(topic: string, partition: number): Promise<string[]> {
  const values: string[] = [];
  let offset = 0n;
  for (;;) {
    const r = await raw.request(ApiKey.Fetch, 11, {
      replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 10 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
    });
    const p = r.responses[0]!.partitions[0]!;
    expect(p.errorCode).toBe(0);
    const batches = parseBatches(p.records);
    if (batches.length === 0) return values;
    for (const b of batches) values.push(...b.values);
    const last = batches[batches.length - 1]!;
    offset = last.baseOffset + BigInt(last.count);
  }
}

describe("two log dirs", () => {
  it("gives each dir its own meta.properties (one cluster, one node, two directory ids) and .lock", () => {
    const [a, b] = dirs.map(props);
    expect(a!["cluster.id"]).toBe(b!["cluster.id"]);
    expect(a!["node.id"]).toBe(b!["node.id"]);
    expect(a!["directory.id"]).not.toBe(b!["directory.id"]);
    for (const d of dirs) expect(existsSync(join(d, ".lock"))).toBe(true);
    expect(broker.broker.logs.dirs).toEqual(dirs);
  });

  it("spreads a topic's partitions over both dirs, the fewest-partitions dir first", async () => {
    await createTopic("spread", 4);
    const where = [0, 1, 2, 3].map((p) => broker.broker.logs.dirOf("spread", p));
    expect(where.filter((d) => d === dirs[0]).length).toBe(2);
    expect(where.filter((d) => d === dirs[1]).length).toBe(2);
    for (let p = 0; p < 4; p++) expect(existsSync(join(where[p]!, `spread-${p}`))).toBe(true);
    const described = await describeLogDirs([{ topic: "spread", partitions: [0, 1, 2, 3, 9] }]);
    expect(described.map((d) => d.dir)).toEqual(dirs);
    for (const d of described) {
      expect(d.total).toBeGreaterThan(0n);
      expect(d.topics[0]!.partitions.map((p) => p.p).sort()).toEqual([0, 1, 2, 3].filter((p) => where[p] === d.dir));
    }
  });

  it("answers LOG_DIR_NOT_FOUND for a path that is not a log dir and UNKNOWN_TOPIC_OR_PARTITION for a missing partition", async () => {
    expect(await alter(join(root, "c"), "spread", [0])).toEqual([{ topic: "spread", partition: 0, error: ErrorCode.LOG_DIR_NOT_FOUND }]);
    expect(await alter("b", "spread", [0], 1)).toEqual([{ topic: "spread", partition: 0, error: ErrorCode.LOG_DIR_NOT_FOUND }]);
    expect(await alter(dirs[1]!, "nope", [0])).toEqual([{ topic: "nope", partition: 0, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }]);
    expect(await alter(dirs[1]!, "spread", [7])).toEqual([{ topic: "spread", partition: 7, error: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }]);
    const here = broker.broker.logs.dirOf("spread", 0)!;
    expect(await alter(here, "spread", [0])).toEqual([{ topic: "spread", partition: 0, error: 0 }]);
    await broker.broker.logs.movesDone();
    expect(broker.broker.logs.dirOf("spread", 0)).toBe(here);
  });

  it("moves a partition while a producer writes and a consumer reads: nothing lost or duplicated", async () => {
    await createTopic("moving", 1);
    const kafka = new Kafka({ clientId: "logdirs", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 20, maxRetryTime: 200 } });
    const producer: Producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    const consumer: Consumer = kafka.consumer({ groupId: "logdirs-g", maxWaitTimeInMs: 50 });
    await producer.connect();
    await consumer.connect();
    await consumer.subscribe({ topic: "moving", fromBeginning: true });
    const seen: string[] = [];
    const total = 3000;
    let allSeen!: () => void;
    const done = new Promise<void>((r) => (allSeen = r));
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value!.toString());
        if (seen.length >= total) allSeen();
      },
    });
    const from = broker.broker.logs.dirOf("moving", 0)!;
    const to = dirs.find((d) => d !== from)!;
    const pad = "x".repeat(200);
    let moved: Promise<void> | null = null;
    for (let i = 0; i < total; i += 10) {
      const send = producer.send({ topic: "moving", messages: Array.from({ length: 10 }, (_, j) => ({ value: `${i + j}:${pad}` })) });
      if (i === 1500) {
        // Ask for the move while that send is in flight, then keep writing while it runs.
        expect(await alter(to, "moving", [0])).toEqual([{ topic: "moving", partition: 0, error: 0 }]);
        moved = broker.broker.logs.movesDone();
      }
      await send;
    }
    await moved;
    await done;
    await producer.disconnect();
    await consumer.disconnect();
    expect(broker.broker.logs.dirOf("moving", 0)).toBe(to);
    expect(existsSync(join(to, "moving-0"))).toBe(true);
    expect(existsSync(join(from, "moving-0"))).toBe(false);
    expect(readdirSync(from).filter((n) => n.startsWith("moving-0"))).toEqual([]);
    const values = seen.map((v) => Number(v.split(":")[0]));
    expect(values.length).toBe(total);
    expect(values).toEqual(Array.from({ length: total }, (_, i) => i));
    const stored = (await readValues("moving", 0)).map((v) => Number(v.split(":")[0]));
    expect(stored).toEqual(Array.from({ length: total }, (_, i) => i));
    const described = await describeLogDirs([{ topic: "moving", partitions: [0] }]);
    expect(described.find((d) => d.dir === to)!.topics[0]!.partitions).toEqual([{ p: 0, size: expect.any(BigInt), future: false }]);
    expect(described.find((d) => d.dir === from)!.topics).toEqual([]);
  });

  it("finds every partition where it was moved after a restart", async () => {
    const before = await describeLogDirs(null);
    await stop();
    await start();
    expect(await describeLogDirs(null)).toEqual(before);
    expect((await readValues("moving", 0)).length).toBe(3000);
    // And moves it back, then produces to it.
    const from = broker.broker.logs.dirOf("moving", 0)!;
    const to = dirs.find((d) => d !== from)!;
    expect(await alter(to, "moving", [0])).toEqual([{ topic: "moving", partition: 0, error: 0 }]);
    await broker.broker.logs.movesDone();
    expect(broker.broker.logs.dirOf("moving", 0)).toBe(to);
    expect((await readValues("moving", 0)).length).toBe(3000);
  });
});

describe("one in-memory log dir", () => {
  it("is \"memory\": a move there is a no-op, any other path LOG_DIR_NOT_FOUND", async () => {
    const b = await startBroker();
    const m = await TestClient.connect(b.port);
    try {
      await m.request(ApiKey.CreateTopics, 7, { topics: [{ name: "mem", numPartitions: 2, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
      const move = async (path: string) => (await m.request(ApiKey.AlterReplicaLogDirs, 2, { dirs: [{ path, topics: [{ name: "mem", partitions: [0, 1] }] }] })).results[0]!.partitions.map((p) => p.errorCode);
      expect(await move("memory")).toEqual([0, 0]);
      expect(await move("/odradek")).toEqual([ErrorCode.LOG_DIR_NOT_FOUND, ErrorCode.LOG_DIR_NOT_FOUND]);
      const d = await m.request(ApiKey.DescribeLogDirs, 4, { topics: null });
      expect(d.results.map((r) => [r.logDir, r.totalBytes, r.topics.map((t) => t.partitions.length)])).toEqual([["memory", -1n, [2]]]);
    } finally {
      await m.close();
      await b.close();
    }
  });
});
