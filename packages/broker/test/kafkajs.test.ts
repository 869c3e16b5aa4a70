/**
 * kafkajs 2.2.4 against an in-process broker: admin operations and producing (none, gzip;
 * idempotent). kafkajs's consumer needs consumer groups (not built yet), so records are read
 * back with the codec-based test client's Fetch.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Kafka, CompressionTypes, logLevel } from "kafkajs";
import type { Admin } from "kafkajs";
import { ApiKey } from "@odradek/codec";
import { startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient, parseBatches } from "./helpers.js";

let broker: RunningBroker;
let kafka: Kafka;
let admin: Admin;
let raw: TestClient;

beforeAll(async () => {
  broker = await startBroker({ config: { "num.partitions": "2" } });
  kafka = new Kafka({ clientId: "kjs", brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 2 } });
  admin = kafka.admin();
  await admin.connect();
  raw = await TestClient.connect(broker.port);
});
afterAll(async () => {
  await admin.disconnect();
  await raw.close();
  await broker.close();
});

async function readAll(topic: string, partition: number): Promise<{ offsets: bigint[]; values: string[] }> {
  const r = await raw.request(ApiKey.Fetch, 11, {
    replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 10 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic, partitions: [{ partition, fetchOffset: 0n, partitionMaxBytes: 10 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
  });
  const p = r.responses[0]!.partitions[0]!;
  expect(p.errorCode).toBe(0);
  const batches = parseBatches(p.records);
  const offsets: bigint[] = [];
  for (const b of batches) for (let i = 0; i < b.count; i++) offsets.push(b.baseOffset + BigInt(i));
  return { offsets, values: batches.flatMap((b) => b.values) };
}

describe("kafkajs admin", () => {
  it("creates, lists, describes and deletes topics", async () => {
    expect(await admin.createTopics({ topics: [{ topic: "k1", numPartitions: 3 }, { topic: "k2" }], waitForLeaders: true })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic: "k1" }] })).toBe(false); // already exists: kafkajs returns false
    const topics = await admin.listTopics();
    expect(topics).toEqual(expect.arrayContaining(["k1", "k2"]));
    const md = await admin.fetchTopicMetadata({ topics: ["k1", "k2"] });
    expect(md.topics.find((t) => t.name === "k1")!.partitions.length).toBe(3);
    expect(md.topics.find((t) => t.name === "k2")!.partitions.length).toBe(2); // num.partitions
    const errType = async (p: Promise<unknown>) => {
      try {
        await p;
        return "none";
      } catch (err) {
        return (err as { errors?: { type: string }[] }).errors?.[0]?.type ?? String(err);
      }
    };
    expect(await errType(admin.createTopics({ topics: [{ topic: "bad name!" }] }))).toBe("INVALID_TOPIC_EXCEPTION");
    expect(await errType(admin.createTopics({ topics: [{ topic: "rf3", replicationFactor: 3 }] }))).toBe("INVALID_REPLICATION_FACTOR");
    expect(await errType(admin.createTopics({ topics: [{ topic: "p0", numPartitions: 0 }] }))).toBe("INVALID_PARTITIONS");
    expect(await errType(admin.createTopics({ topics: [{ topic: "badcfg", configEntries: [{ name: "retention.ms", value: "soon" }] }] }))).toBe("INVALID_CONFIG");
    await admin.deleteTopics({ topics: ["k2"] });
    expect(await admin.listTopics()).not.toContain("k2");
    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toEqual([{ nodeId: 1, host: "127.0.0.1", port: broker.port }]);
    expect(cluster.controller).toBe(1);
  });

  it("describes and alters configs", async () => {
    await admin.createTopics({ topics: [{ topic: "cfg", configEntries: [{ name: "retention.ms", value: "1000" }] }] });
    const d = await admin.describeConfigs({ resources: [{ type: 2, name: "cfg" }], includeSynonyms: true });
    const entries = d.resources[0]!.configEntries;
    const retention = entries.find((e) => e.configName === "retention.ms")!;
    expect(retention.configValue).toBe("1000");
    expect(retention.configSource).toBe(1); // DYNAMIC_TOPIC_CONFIG
    expect(entries.find((e) => e.configName === "cleanup.policy")).toMatchObject({ configValue: "delete", isDefault: true });
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: "cfg", configEntries: [{ name: "cleanup.policy", value: "compact" }] }] });
    const d2 = await admin.describeConfigs({ resources: [{ type: 2, name: "cfg", configNames: ["cleanup.policy", "retention.ms"] }], includeSynonyms: false });
    const e2 = d2.resources[0]!.configEntries;
    expect(e2.find((e) => e.configName === "cleanup.policy")!.configValue).toBe("compact");
    expect(e2.find((e) => e.configName === "retention.ms")!.configValue).toBe("604800000"); // AlterConfigs replaces the whole set
    await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: 2, name: "cfg", configEntries: [{ name: "no.such.config", value: "1" }] }] })).rejects.toThrow();
    const broker1 = await admin.describeConfigs({ resources: [{ type: 4, name: "1" }], includeSynonyms: false });
    expect(broker1.resources[0]!.configEntries.find((e) => e.configName === "num.partitions")!.configValue).toBe("2");
  });

  it("creates partitions and fetches offsets", async () => {
    await admin.createTopics({ topics: [{ topic: "grow", numPartitions: 1 }] });
    await admin.createPartitions({ topicPartitions: [{ topic: "grow", count: 4 }] });
    const md = await admin.fetchTopicMetadata({ topics: ["grow"] });
    expect(md.topics[0]!.partitions.length).toBe(4);
    await expect(admin.createPartitions({ topicPartitions: [{ topic: "grow", count: 2 }] })).rejects.toThrow();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: "grow", messages: [{ value: "a", partition: 0 }, { value: "b", partition: 0 }, { value: "c", partition: 3 }] });
    await producer.disconnect();
    const offsets = await admin.fetchTopicOffsets("grow");
    const byP = new Map(offsets.map((o) => [o.partition, o]));
    expect(byP.get(0)).toMatchObject({ offset: "2", low: "0", high: "2" });
    expect(byP.get(3)).toMatchObject({ offset: "1", high: "1" });
    expect(byP.get(1)).toMatchObject({ offset: "0", high: "0" });
    const byTs = await admin.fetchTopicOffsetsByTimestamp("grow", Date.now() - 60_000);
    expect(byTs.find((o) => o.partition === 0)!.offset).toBe("0");
    await admin.deleteTopicRecords({ topic: "grow", partitions: [{ partition: 0, offset: "1" }] });
    const after = await admin.fetchTopicOffsets("grow");
    expect(after.find((o) => o.partition === 0)).toMatchObject({ low: "1", high: "2" });
  });
});

describe("kafkajs producer", () => {
  for (const [name, compression] of [["none", CompressionTypes.None], ["gzip", CompressionTypes.GZIP]] as const) {
    it(`produces with compression ${name}, exact contents and offsets`, async () => {
      const topic = `p-${name}`;
      await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
      const producer = kafka.producer();
      await producer.connect();
      const values = Array.from({ length: 250 }, (_, i) => `${name}-${i}-${"x".repeat(i % 17)}`);
      const r1 = await producer.send({ topic, compression, acks: -1, messages: values.slice(0, 100).map((value) => ({ value })) });
      expect(r1[0]).toMatchObject({ errorCode: 0, baseOffset: "0" });
      const r2 = await producer.send({ topic, compression, acks: 1, messages: values.slice(100).map((value, i) => ({ key: `k${i}`, value })) });
      expect(r2[0]).toMatchObject({ errorCode: 0, baseOffset: "100" });
      await producer.disconnect();
      const got = await readAll(topic, 0);
      expect(got.values).toEqual(values);
      expect(got.offsets).toEqual(values.map((_, i) => BigInt(i)));
    });
  }

  it("produces with an idempotent producer", async () => {
    await admin.createTopics({ topics: [{ topic: "idem-kjs", numPartitions: 1 }] });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    for (let i = 0; i < 5; i++) await producer.send({ topic: "idem-kjs", acks: -1, messages: [{ value: `m${i}` }, { value: `n${i}` }] });
    await producer.disconnect();
    const got = await readAll("idem-kjs", 0);
    expect(got.values).toEqual(["m0", "n0", "m1", "n1", "m2", "n2", "m3", "n3", "m4", "n4"]);
  });

  it("auto-creates a topic on first produce", async () => {
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    await producer.send({ topic: "auto-created", messages: [{ value: "hello", partition: 0 }] });
    await producer.disconnect();
    expect((await readAll("auto-created", 0)).values).toEqual(["hello"]);
  });
});
