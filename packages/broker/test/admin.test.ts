/**
 * Metadata across versions, CreateTopics / DeleteTopics / CreatePartitions edge cases, configs
 * (sources and synonyms from broker-level settings, IncrementalAlterConfigs), DescribeLogDirs,
 * DescribeCluster, idle connections and shutdown during a long poll — through the codec client.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey, ZERO_UUID as ZERO } from "@odradek/codec";
import { startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient, buildBatch, waitClosed } from "./helpers.js";

let broker: RunningBroker;
let c: TestClient;

beforeAll(async () => {
  broker = await startBroker({ config: { "log.retention.hours": "2", "num.partitions": "3", "min.insync.replicas": "1" } });
  c = await TestClient.connect(broker.port);
});
afterAll(async () => {
  await c.close();
  await broker.close();
});

const create = (name: string, extra: Record<string, unknown> = {}, version = 7) =>
  c.request(ApiKey.CreateTopics, version, { topics: [{ name, numPartitions: -1, replicationFactor: -1, ...extra }], timeoutMs: 1000 }).then((r) => r.topics[0]!);

describe("Metadata", () => {
  it("auto-creates on request, honours allow_auto_topic_creation, and reports ids from v10", async () => {
    const none = await c.request(ApiKey.Metadata, 12, { topics: [{ name: "md-no-auto" }], allowAutoTopicCreation: false });
    expect(none.topics[0]!.errorCode).toBe(3);
    const r = await c.request(ApiKey.Metadata, 12, { topics: [{ name: "md-auto" }], allowAutoTopicCreation: true });
    const t = r.topics[0]!;
    expect(t.errorCode).toBe(0);
    expect(t.partitions.length).toBe(3);
    expect(t.topicId).not.toBe(ZERO);
    expect(r.clusterId).toBe(broker.broker.node.clusterId);
    expect(r.controllerId).toBe(1);
    expect(r.brokers).toMatchObject([{ nodeId: 1, host: "127.0.0.1", port: broker.port, rack: null }]);
    expect(t.partitions[0]).toMatchObject({ leaderId: 1, leaderEpoch: 0, replicaNodes: [1], isrNodes: [1] });
    const byId = await c.request(ApiKey.Metadata, 12, { topics: [{ topicId: t.topicId, name: null }], allowAutoTopicCreation: false });
    expect(byId.topics[0]!.name).toBe("md-auto");
    const badId = await c.request(ApiKey.Metadata, 12, { topics: [{ topicId: "AAAAAAAAAAAAAAAAAAAAAQ", name: null }], allowAutoTopicCreation: false });
    expect(badId.topics[0]!.errorCode).toBe(100); // UNKNOWN_TOPIC_ID
    const invalid = await c.request(ApiKey.Metadata, 9, { topics: [{ name: "bad/name" }], allowAutoTopicCreation: true });
    expect(invalid.topics[0]!.errorCode).toBe(17);
  });

  it("answers every version 0-12", async () => {
    for (let v = 0; v <= 12; v++) {
      const r = await c.request(ApiKey.Metadata, v, { topics: v === 0 ? [] : null, allowAutoTopicCreation: false });
      expect(r.topics.map((t) => t.name)).toContain("md-auto");
      expect(r.brokers[0]!.port).toBe(broker.port);
    }
  });

  it("answers DescribeCluster", async () => {
    const r = await c.request(ApiKey.DescribeCluster, 1, { includeClusterAuthorizedOperations: false, endpointType: 1 });
    expect(r).toMatchObject({ errorCode: 0, clusterId: broker.broker.node.clusterId, controllerId: 1, endpointType: 1 });
    expect(r.brokers.map((b) => b.brokerId)).toEqual([1]);
  });
});

describe("CreateTopics / DeleteTopics / CreatePartitions", () => {
  it("validates names, counts, replication and assignments with Kafka's codes", async () => {
    expect((await create("")).errorCode).toBe(17);
    expect((await create(".")).errorCode).toBe(17);
    expect((await create("x".repeat(250))).errorCode).toBe(17);
    expect((await create("ok.topic")).errorCode).toBe(0);
    expect((await create("ok_topic")).errorCode).toBe(17); // collides with ok.topic
    expect((await create("ok.topic")).errorCode).toBe(36);
    expect((await create("np", { numPartitions: 0 })).errorCode).toBe(37);
    expect((await create("rf", { replicationFactor: 2 })).errorCode).toBe(38);
    expect((await create("rf0", { replicationFactor: 0 })).errorCode).toBe(38);
    expect((await create("asg", { assignments: [{ partitionIndex: 0, brokerIds: [2] }] })).errorCode).toBe(39);
    expect((await create("asg2", { numPartitions: 2, assignments: [{ partitionIndex: 0, brokerIds: [1] }] })).errorCode).toBe(42);
    const asg = await create("asg3", { assignments: [{ partitionIndex: 0, brokerIds: [1] }, { partitionIndex: 1, brokerIds: [1] }] });
    expect(asg).toMatchObject({ errorCode: 0, numPartitions: 2, replicationFactor: 1 });
    expect((await create("cfg", { configs: [{ name: "nope", value: "1" }] })).errorCode).toBe(40);
    expect((await create("cfg", { configs: [{ name: "cleanup.policy", value: "sometimes" }] })).errorCode).toBe(40);
    const dup = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "d", numPartitions: 1, replicationFactor: 1 }, { name: "d", numPartitions: 1, replicationFactor: 1 }] });
    expect(dup.topics.map((t) => t.errorCode)).toEqual([42, 42]);
  });

  it("validate_only creates nothing; v5+ returns configs", async () => {
    const r = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "vo", numPartitions: 2, replicationFactor: 1, configs: [{ name: "retention.ms", value: "5000" }] }], validateOnly: true });
    expect(r.topics[0]).toMatchObject({ errorCode: 0, numPartitions: 2, topicId: ZERO });
    expect(r.topics[0]!.configs!.find((x) => x.name === "retention.ms")).toMatchObject({ value: "5000", configSource: 1 });
    expect(broker.broker.topics.topic("vo")).toBeUndefined();
  });

  it("deletes by name (v4) and by id (v6)", async () => {
    const a = await create("del-a");
    const b = await create("del-b");
    const r4 = await c.request(ApiKey.DeleteTopics, 4, { topicNames: ["del-a", "missing"], timeoutMs: 1000 });
    expect(r4.responses.map((x) => x.errorCode)).toEqual([0, 3]);
    const r6 = await c.request(ApiKey.DeleteTopics, 6, { topics: [{ name: null, topicId: b.topicId }, { name: null, topicId: a.topicId }], timeoutMs: 1000 });
    expect(r6.responses.map((x) => [x.name, x.errorCode])).toEqual([["del-b", 0], [null, 100]]);
    expect(broker.broker.topics.topic("del-b")).toBeUndefined();
  });

  it("grows partitions", async () => {
    await create("grow", { numPartitions: 1 });
    const r = await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: "grow", count: 3, assignments: null }, { name: "nope", count: 2, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(r.results.map((x) => x.errorCode)).toEqual([0, 3]);
    expect(broker.broker.topics.topic("grow")!.partitions.length).toBe(3);
    const same = await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: "grow", count: 3, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(same.results[0]!.errorCode).toBe(37);
    const bad = await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: "grow", count: 5, assignments: [{ brokerIds: [1] }] }], timeoutMs: 1000, validateOnly: false });
    expect(bad.results[0]!.errorCode).toBe(39);
  });
});

describe("configs", () => {
  // Kafka 4.4.0 with log.retention.hours=2 in server.properties (probed 2026-12-02): retention.ms is
  // 7200000 but DEFAULT_CONFIG with no synonyms (the ones before log.retention.ms are dropped); a
  // statically set log.segment.bytes gives [log.segment.bytes@4, log.segment.bytes@5], source 4.
  it("reports broker-level synonyms as Kafka does (STATIC_BROKER_CONFIG, hours synonyms dropped)", async () => {
    await create("syn");
    const r = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: "syn", configurationKeys: ["retention.ms", "segment.bytes"] }], includeSynonyms: true, includeDocumentation: false });
    const res = r.results[0]!;
    expect(res.errorCode).toBe(0);
    const ret = res.configs.find((x) => x.name === "retention.ms")!;
    expect(ret).toMatchObject({ value: "7200000", configSource: 5, configType: 5 });
    expect(ret.synonyms).toEqual([]);
    expect(res.configs.find((x) => x.name === "segment.bytes")).toMatchObject({ value: "1073741824", configSource: 5 });
    expect(res.configs.length).toBe(2);
    const unknown = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 2, resourceName: "zzz", configurationKeys: null }] });
    expect(unknown.results[0]!.errorCode).toBe(3);
    const otherBroker = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 4, resourceName: "7", configurationKeys: null }] });
    expect(otherBroker.results[0]!.errorCode).toBe(42);
  });

  it("applies IncrementalAlterConfigs operations", async () => {
    await create("inc");
    const alter = (configs: { name: string; configOperation: number; value: string | null }[], validateOnly = false) =>
      c.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 2, resourceName: "inc", configs }], validateOnly }).then((r) => r.responses[0]!);
    expect((await alter([{ name: "retention.ms", configOperation: 0, value: "1234" }])).errorCode).toBe(0);
    expect((await alter([{ name: "cleanup.policy", configOperation: 2, value: "compact" }])).errorCode).toBe(0);
    expect(broker.broker.topics.topic("inc")!.configs.get("cleanup.policy")).toBe("delete,compact");
    expect((await alter([{ name: "cleanup.policy", configOperation: 3, value: "delete" }])).errorCode).toBe(0);
    expect(broker.broker.topics.topic("inc")!.configs.get("cleanup.policy")).toBe("compact");
    expect((await alter([{ name: "retention.ms", configOperation: 2, value: "1" }])).errorCode).toBe(40);
    expect((await alter([{ name: "retention.ms", configOperation: 0, value: "abc" }])).errorCode).toBe(40);
    expect((await alter([{ name: "what.ever", configOperation: 0, value: "1" }])).errorCode).toBe(40);
    expect((await alter([{ name: "retention.ms", configOperation: 1, value: null }])).errorCode).toBe(0);
    expect(broker.broker.topics.topic("inc")!.configs.has("retention.ms")).toBe(false);
    expect((await alter([{ name: "max.message.bytes", configOperation: 0, value: "100" }], true)).errorCode).toBe(0);
    expect(broker.broker.topics.topic("inc")!.configs.has("max.message.bytes")).toBe(false);
    const brokerChange = await c.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: 4, resourceName: "1", configs: [{ name: "num.partitions", configOperation: 0, value: "5" }] }] });
    // num.partitions is not a dynamic broker config in Kafka 4.4 (dynamic-broker-config.ts).
    expect(brokerChange.responses[0]!).toMatchObject({ errorCode: 42, errorMessage: "Cannot update these configs dynamically: [num.partitions]" });
  });

  it("enforces a topic's max.message.bytes set by AlterConfigs", async () => {
    await create("small");
    const r = await c.request(ApiKey.AlterConfigs, 2, { resources: [{ resourceType: 2, resourceName: "small", configs: [{ name: "max.message.bytes", value: "100" }] }], validateOnly: false });
    expect(r.responses[0]!.errorCode).toBe(0);
    const p = await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 1000, topicData: [{ name: "small", partitionData: [{ index: 0, records: buildBatch([{ value: Buffer.alloc(200) }]) }] }] });
    expect(p.responses[0]!.partitionResponses[0]!.errorCode).toBe(10);
  });

  it("describes log dirs", async () => {
    await c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 1000, topicData: [{ name: "syn", partitionData: [{ index: 0, records: buildBatch([{ value: Buffer.from("x") }]) }] }] });
    const r = await c.request(ApiKey.DescribeLogDirs, 4, { topics: [{ topic: "syn", partitions: [0, 1, 99] }] });
    const dir = r.results[0]!;
    expect(dir.logDir).toBe("memory");
    expect(dir.topics[0]!.partitions.map((p) => p.partitionIndex)).toEqual([0, 1]);
    expect(dir.topics[0]!.partitions[0]!.partitionSize).toBeGreaterThan(60n);
  });
});

describe("connections", () => {
  it("closes idle connections after connections.max.idle.ms", async () => {
    const b = await startBroker({ config: { "connections.max.idle.ms": "300" } });
    const client = await TestClient.connect(b.port);
    await client.request(ApiKey.ApiVersions, 2, {});
    const t0 = Date.now();
    await waitClosed(client.socket, 5000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    await b.close();
  });

  it("answers a pending long poll when the broker stops, then exits", async () => {
    const b = await startBroker();
    const client = await TestClient.connect(b.port);
    await client.request(ApiKey.CreateTopics, 7, { topics: [{ name: "lp", numPartitions: 1, replicationFactor: 1 }] });
    const pending = client.request(ApiKey.Fetch, 12, {
      replicaId: -1, maxWaitMs: 30_000, minBytes: 1, maxBytes: 1 << 20, sessionId: 0, sessionEpoch: -1,
      topics: [{ topic: "lp", partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n }] }],
    });
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await b.close();
    const r = await pending;
    expect(r.responses[0]!.partitions[0]!.errorCode).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
    await waitClosed(client.socket);
  });

  it("keeps topics and producer ids across a restart on the same data directory", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-admin-"));
    try {
      let b = await startBroker({ dataDir: dir });
      let client = await TestClient.connect(b.port);
      const t = (await client.request(ApiKey.CreateTopics, 7, { topics: [{ name: "keep", numPartitions: 2, replicationFactor: 1, configs: [{ name: "retention.ms", value: "999" }] }] })).topics[0]!;
      const pid1 = (await client.request(ApiKey.InitProducerId, 4, { transactionalId: null, producerId: -1n, producerEpoch: -1 })).producerId;
      const batch = buildBatch([{ value: Buffer.from("a") }], { producerId: pid1, producerEpoch: 0, baseSequence: 0 });
      await client.request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 1000, topicData: [{ name: "keep", partitionData: [{ index: 1, records: batch }] }] });
      const clusterId = b.broker.node.clusterId;
      await client.close();
      await b.close();
      b = await startBroker({ dataDir: dir });
      client = await TestClient.connect(b.port);
      expect(b.broker.node.clusterId).toBe(clusterId);
      const md = await client.request(ApiKey.Metadata, 12, { topics: [{ name: "keep" }], allowAutoTopicCreation: false });
      expect(md.topics[0]).toMatchObject({ errorCode: 0, topicId: t.topicId });
      expect(md.topics[0]!.partitions.length).toBe(2);
      expect(b.broker.topics.topic("keep")!.configs.get("retention.ms")).toBe("999");
      const pid2 = (await client.request(ApiKey.InitProducerId, 4, { transactionalId: null, producerId: -1n, producerEpoch: -1 })).producerId;
      expect(pid2).toBeGreaterThan(pid1);
      // the retried batch is still recognised as a duplicate after the restart
      const dup = await client.request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 1000, topicData: [{ name: "keep", partitionData: [{ index: 1, records: batch }] }] });
      expect(dup.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: 0, baseOffset: 0n });
      expect(b.broker.topics.partition("keep", 1)!.log.logEndOffset).toBe(1);
      await client.close();
      await b.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
