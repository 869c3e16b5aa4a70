/**
 * DescribeConfigs for the broker resource, against what Kafka 4.4 answers (checked with the Java
 * Admin, includeSynonyms, on scripts/kafka/start.sh's broker): a key set at start-up such as
 * `advertised.listeners` is STATIC_BROKER_CONFIG, read-only, not default, with itself as the only
 * synonym (no default value exists); an unset key with a default is DEFAULT_CONFIG and default.
 * odradek has no dynamic broker configs, so every broker config is read-only (Kafka reports the
 * dynamically updatable ones, e.g. `message.max.bytes`, as not read-only).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey } from "@odradek/codec";
import { startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient } from "./helpers.js";

const STATIC_BROKER_CONFIG = 4;
const DEFAULT_CONFIG = 5;

let broker: RunningBroker;
let c: TestClient;

beforeAll(async () => {
  broker = await startBroker({ config: { "advertised.listeners": "PLAINTEXT://127.0.0.1:19092" } });
  c = await TestClient.connect(broker.port);
});
afterAll(async () => {
  await c.close();
  await broker.close();
});

describe("DescribeConfigs, broker resource", () => {
  it("reports advertised.listeners set at start-up as a static, read-only config", async () => {
    const r = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 4, resourceName: String(broker.broker.node.nodeId), configurationKeys: ["advertised.listeners", "message.max.bytes"] }], includeSynonyms: true, includeDocumentation: false });
    const res = r.results[0]!;
    expect(res.errorCode).toBe(0);
    const adv = res.configs.find((x) => x.name === "advertised.listeners")!;
    expect(adv).toMatchObject({ value: "PLAINTEXT://127.0.0.1:19092", configSource: STATIC_BROKER_CONFIG, readOnly: true, isSensitive: false });
    expect(adv.synonyms.map((s) => [s.name, s.value, s.source])).toEqual([["advertised.listeners", "PLAINTEXT://127.0.0.1:19092", STATIC_BROKER_CONFIG]]);
    const mmb = res.configs.find((x) => x.name === "message.max.bytes")!;
    expect(mmb).toMatchObject({ value: "1048588", configSource: DEFAULT_CONFIG, readOnly: false }); // dynamic in Kafka 4.4
    expect(mmb.synonyms.map((s) => s.source)).toEqual([DEFAULT_CONFIG]);
    // Metadata advertises the same address.
    const md = await c.request(ApiKey.Metadata, 12, { topics: [], allowAutoTopicCreation: false });
    expect(md.brokers[0]).toMatchObject({ host: "127.0.0.1", port: 19092 });
  });

  it("reports the listener it bound (port 0 resolved) as static when listeners was not set (not read-only: dynamic per broker, as Kafka 4.4)", async () => {
    const r = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: 4, resourceName: String(broker.broker.node.nodeId), configurationKeys: ["listeners"] }], includeSynonyms: true, includeDocumentation: false });
    const l = r.results[0]!.configs.find((x) => x.name === "listeners")!;
    expect(l).toMatchObject({ value: `PLAINTEXT://127.0.0.1:${broker.port}`, configSource: STATIC_BROKER_CONFIG, readOnly: false });
  });
});
