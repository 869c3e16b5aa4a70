/**
 * Dynamic broker configs over the wire: IncrementalAlterConfigs and AlterConfigs on BROKER resources
 * (this node's id and the cluster default ""), Kafka 4.4's validation and messages, the effect on
 * topics without an override of their own (no restart), DescribeConfigs' sources and synonym order,
 * and persistence across a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiKey, ErrorCode } from "@odradek/codec";
import { startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import type { UnifiedLog } from "@odradek/storage";
import { TestClient, buildBatch } from "./helpers.js";

const BROKER = 4;
const TOPIC = 2;
const DYNAMIC_BROKER_CONFIG = 2;
const DYNAMIC_DEFAULT_BROKER_CONFIG = 3;
const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;

let dir: string;
let broker: RunningBroker;
let c: TestClient;
let node: string;

async function start(): Promise<void> {
  broker = await startBroker({ dataDir: dir, config: { "log.retention.hours": "100", "auto.create.topics.enable": "false" } });
  c = await TestClient.connect(broker.port);
  node = String(broker.broker.node.nodeId);
}
async function stop(): Promise<void> {
  await c.close();
  await broker.close();
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odradek-dynconf-"));
  await start();
  const r = await c.request(ApiKey.CreateTopics, 7, {
    topics: [
      { name: "plain", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] },
      { name: "own", numPartitions: 1, replicationFactor: 1, assignments: [], configs: [{ name: "retention.ms", value: "5555" }] },
    ],
    timeoutMs: 5000,
    validateOnly: false,
  });
  expect(r.topics.map((t) => t.errorCode)).toEqual([0, 0]);
});
afterAll(async () => {
  await stop();
  rmSync(dir, { recursive: true, force: true });
});

type Op = { name: string; configOperation: number; value: string | null };
const incremental = async (resourceName: string, configs: Op[], validateOnly = false) =>
  (await c.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName, configs }], validateOnly })).responses[0]!;
const set = (name: string, value: string): Op => ({ name, configOperation: 0, value });

async function describeConfigs(resourceType: number, resourceName: string, keys: string[] | null) {
  const r = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType, resourceName, configurationKeys: keys }], includeSynonyms: true, includeDocumentation: false });
  expect(r.results[0]!.errorCode).toBe(0);
  return r.results[0]!.configs.map((x) => ({ name: x.name, value: x.value, source: x.configSource, readOnly: x.readOnly, synonyms: x.synonyms.map((s) => [s.name, s.value, s.source]) }));
}

/** The file backend's partition log, for its config and segments (not part of the port). */
const logOf = (topic: string) => broker.broker.topics.topic(topic)!.partitions[0]!.log as UnifiedLog;

describe("dynamic broker configs", () => {
  it("refuses what Kafka 4.4 refuses, with its errors and messages", async () => {
    expect(await incremental(node, [set("log.retention.hours", "1")])).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Cannot update these configs dynamically: [log.retention.hours]" });
    expect(await incremental("", [set("num.partitions", "3"), set("log.dirs", "/x")])).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Cannot update these configs dynamically: [num.partitions, log.dirs]" });
    expect(await incremental(node, [set("log.retention.ms", "abc")])).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Invalid value abc for configuration log.retention.ms: Not a number of type LONG" });
    expect(await incremental(node, [set("log.segment.bytes", "3")])).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Invalid value 3 for configuration log.segment.bytes: Value must be at least 14" });
    expect(await incremental("7", [set("log.retention.ms", "1")])).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${node}, but received 7` });
    expect(await incremental(node, [{ name: "log.retention.ms", configOperation: 2, value: "1" }])).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: "Config value append is not allowed for config key: log.retention.ms" });
    expect(await incremental(node, [set("log.retention.ms", "1")], true)).toMatchObject({ errorCode: 0 });
    expect(await describeConfigs(BROKER, "", null)).toEqual([]);
    expect(broker.broker.config.dynamicBroker.size).toBe(0);
  });

  it("sets a cluster default: described under \"\" and the node, picked up by a topic without an override", async () => {
    expect((await incremental("", [set("log.retention.ms", "1000")])).errorCode).toBe(0);
    expect(await describeConfigs(BROKER, "", null)).toEqual([{ name: "log.retention.ms", value: "1000", source: DYNAMIC_DEFAULT_BROKER_CONFIG, readOnly: false, synonyms: [["log.retention.ms", "1000", DYNAMIC_DEFAULT_BROKER_CONFIG]] }]);
    const [ms, hours] = await describeConfigs(BROKER, node, ["log.retention.ms", "log.retention.hours"]).then((l) => [l.find((x) => x.name === "log.retention.ms")!, l.find((x) => x.name === "log.retention.hours")!]);
    expect(ms).toEqual({ name: "log.retention.ms", value: "1000", source: DYNAMIC_DEFAULT_BROKER_CONFIG, readOnly: false, synonyms: [["log.retention.ms", "1000", DYNAMIC_DEFAULT_BROKER_CONFIG], ["log.retention.hours", "100", STATIC_BROKER_CONFIG], ["log.retention.hours", "168", DEFAULT_CONFIG]] });
    expect(hours).toEqual({ name: "log.retention.hours", value: "100", source: STATIC_BROKER_CONFIG, readOnly: true, synonyms: [["log.retention.hours", "100", STATIC_BROKER_CONFIG], ["log.retention.hours", "168", DEFAULT_CONFIG]] });
    const [plain] = await describeConfigs(TOPIC, "plain", ["retention.ms"]);
    expect(plain).toMatchObject({ value: "1000", source: DYNAMIC_DEFAULT_BROKER_CONFIG, synonyms: [["log.retention.ms", "1000", DYNAMIC_DEFAULT_BROKER_CONFIG], ["log.retention.hours", "100", STATIC_BROKER_CONFIG], ["log.retention.hours", "168", DEFAULT_CONFIG]] });
    expect(logOf("plain").config.retentionMs).toBe(1000);
    expect(logOf("own").config.retentionMs).toBe(5555);
  });

  it("sets a per-broker value over the cluster default; message.max.bytes and log.segment.bytes act at once", async () => {
    expect((await incremental(node, [set("log.retention.ms", "2000"), set("message.max.bytes", "300"), set("log.segment.bytes", "1024")])).errorCode).toBe(0);
    const [ms] = await describeConfigs(BROKER, node, ["log.retention.ms"]);
    expect(ms!.synonyms).toEqual([["log.retention.ms", "2000", DYNAMIC_BROKER_CONFIG], ["log.retention.ms", "1000", DYNAMIC_DEFAULT_BROKER_CONFIG], ["log.retention.hours", "100", STATIC_BROKER_CONFIG], ["log.retention.hours", "168", DEFAULT_CONFIG]]);
    expect(logOf("plain").config.retentionMs).toBe(2000);
    const produce = (value: Buffer) => c.request(ApiKey.Produce, 9, { acks: 1, timeoutMs: 1000, topicData: [{ name: "plain", partitionData: [{ index: 0, records: buildBatch([{ value }]) }] }] }).then((r) => r.responses[0]!.partitionResponses[0]!.errorCode);
    expect(await produce(Buffer.alloc(400))).toBe(ErrorCode.MESSAGE_TOO_LARGE);
    for (let i = 0; i < 8; i++) expect(await produce(Buffer.alloc(200))).toBe(0);
    expect(logOf("plain").segments.size).toBeGreaterThan(1);
    // DELETE goes back to the cluster default.
    expect((await incremental(node, [{ name: "log.retention.ms", configOperation: 1, value: null }])).errorCode).toBe(0);
    expect(logOf("plain").config.retentionMs).toBe(1000);
  });

  it("AlterConfigs replaces a resource's whole set", async () => {
    const r = await c.request(ApiKey.AlterConfigs, 2, { resources: [{ resourceType: BROKER, resourceName: node, configs: [{ name: "log.cleanup.policy", value: "compact" }] }], validateOnly: false });
    expect(r.responses[0]!.errorCode).toBe(0);
    expect([...broker.broker.config.dynamicBroker]).toEqual([["log.cleanup.policy", "compact"]]);
    const [policy] = await describeConfigs(TOPIC, "plain", ["cleanup.policy"]);
    expect(policy).toMatchObject({ value: "compact", source: DYNAMIC_BROKER_CONFIG });
    const bad = await c.request(ApiKey.AlterConfigs, 2, { resources: [{ resourceType: BROKER, resourceName: "", configs: [{ name: "log.retention.minutes", value: "5" }] }], validateOnly: false });
    expect(bad.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Cannot update these configs dynamically: [log.retention.minutes]" });
  });

  it("keeps dynamic configs across a restart", async () => {
    const before = [await describeConfigs(BROKER, "", null), await describeConfigs(BROKER, node, ["log.cleanup.policy", "log.retention.ms"])];
    await stop();
    await start();
    expect([await describeConfigs(BROKER, "", null), await describeConfigs(BROKER, node, ["log.cleanup.policy", "log.retention.ms"])]).toEqual(before);
    expect(logOf("plain").config.retentionMs).toBe(1000);
    expect(logOf("plain").config.cleanupPolicy).toContain("compact");
  });
});
