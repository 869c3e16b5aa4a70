/**
 * `listeners` as a dynamic per-broker config (config-listeners.ts), over real TCP: Kafka 4.4's
 * refusals and messages (taken from kafka-configs --alter against a single-node Kafka 4.4), a new
 * listener name opening at once and serving requests, its removal closing it and its connections, a
 * port change of an existing name ignored (as Kafka), and the listener opening again after a restart.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiKey, ErrorCode } from "@odradek/codec";
import { startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { ConfigSource } from "../src/config.js";
import { TestClient } from "./helpers.js";

/** DescribeConfigs resource type BROKER. */
const BROKER = 4;

let dir: string;
let broker: RunningBroker;
let c: TestClient;
let node: string;
let primary: string;

async function start(port = 0): Promise<void> {
  broker = await startBroker({ dataDir: dir, port });
  c = await TestClient.connect(broker.port);
  node = String(broker.broker.node.nodeId);
  primary = `PLAINTEXT://127.0.0.1:${broker.port}`;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odradek-listeners-"));
  await start();
});
afterAll(async () => {
  await c.close();
  await broker.close();
  rmSync(dir, { recursive: true, force: true });
});

const alter = async (resourceName: string, configs: Record<string, string>) =>
  (await c.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName, configs: Object.entries(configs).map(([name, value]) => ({ name, configOperation: 0, value })) }], validateOnly: false })).responses[0]!;

/** A port nothing listens on (bound and released). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Whether a TCP connection to the port is accepted. */
function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: "127.0.0.1" }, () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

const MAP = "PLAINTEXT:PLAINTEXT,EXTRA:PLAINTEXT";

describe("dynamic listeners", () => {
  it("refuses what Kafka 4.4 refuses, with its messages (INVALID_REQUEST)", async () => {
    const p = await freePort();
    const cases: [string, Record<string, string>, string][] = [
      ["", { listeners: primary }, "Cannot update these configs at default cluster level, broker id must be specified: [listeners]"],
      ["", { "listener.security.protocol.map": MAP }, "Cannot update these configs at default cluster level, broker id must be specified: [listener.security.protocol.map]"],
      [node, { listeners: `${primary},EXTRA://127.0.0.1:${p}` }, `Error creating broker listeners from '[${primary}, EXTRA://127.0.0.1:${p}]': No security protocol defined for listener EXTRA`],
      [node, { listeners: "garbage" }, "Error creating broker listeners from '[garbage]': Unable to parse garbage to a broker endpoint"],
      [node, { "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,EXTRA:BOGUS" }, "Invalid security protocol `BOGUS` defined in listener.security.protocol.map"],
      [node, { "listener.security.protocol.map": MAP, listeners: `${primary},EXTRA://127.0.0.1:${p},EXTRA://127.0.0.1:${p + 1}` }, `Error creating broker listeners from '[${primary}, EXTRA://127.0.0.1:${p}, EXTRA://127.0.0.1:${p + 1}]': Each listener must have a different name, listeners: [${primary}, EXTRA://127.0.0.1:${p}, EXTRA://127.0.0.1:${p + 1}]`],
      [node, { "listener.security.protocol.map": MAP, listeners: `${primary},EXTRA://127.0.0.1:${broker.port}` }, `Error creating broker listeners from '[${primary}, EXTRA://127.0.0.1:${broker.port}]': If you have two listeners on the same port then one needs to be IPv4 and the other IPv6, listeners: [${primary}, EXTRA://127.0.0.1:${broker.port}], port: ${broker.port}`],
      [node, { "listener.security.protocol.map": MAP, listeners: `EXTRA://127.0.0.1:${p}` }, "requirement failed: advertised.listeners listener names must be equal to or a subset of the ones defined in listeners. Found PLAINTEXT. The valid options based on the current configuration are EXTRA"],
      [node, { "listener.security.protocol.map": "PLAINTEXT:SSL" }, "Invalid value org.apache.kafka.common.config.ConfigException: Security protocol cannot be updated for existing listener ListenerName(PLAINTEXT) for configuration Invalid dynamic configuration"],
      [node, { "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,EXTRA:SSL", listeners: `${primary},EXTRA://127.0.0.1:${p}` }, "Invalid dynamic configuration: listener EXTRA uses security protocol SSL; this broker serves PLAINTEXT only"],
    ];
    for (const [resource, configs, message] of cases) expect(await alter(resource, configs), JSON.stringify(configs)).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: message });
    expect(await accepts(p)).toBe(false);
    expect(broker.broker.config.dynamicBroker.size).toBe(0);
  });

  it("a new listener name opens at once and serves; DescribeConfigs shows it as DYNAMIC_BROKER_CONFIG", async () => {
    const p = await freePort();
    const listeners = `${primary},EXTRA://127.0.0.1:${p}`;
    expect((await alter(node, { "listener.security.protocol.map": MAP, listeners })).errorCode).toBe(0);
    const extra = await TestClient.connect(p);
    const v = await extra.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
    expect(v.errorCode).toBe(0);
    const d = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: BROKER, resourceName: node, configurationKeys: ["listeners"] }], includeSynonyms: true, includeDocumentation: false });
    const x = d.results[0]!.configs[0]!;
    expect({ value: x.value, source: x.configSource, readOnly: x.readOnly, synonyms: x.synonyms.map((s) => [s.name, s.value, s.source]) }).toEqual({
      value: listeners,
      source: ConfigSource.DYNAMIC_BROKER_CONFIG,
      readOnly: false,
      synonyms: [["listeners", listeners, ConfigSource.DYNAMIC_BROKER_CONFIG], ["listeners", primary, ConfigSource.STATIC_BROKER_CONFIG], ["listeners", "PLAINTEXT://127.0.0.1:9092", ConfigSource.DEFAULT_CONFIG]],
    });
    // Removing it closes the listener and its connections; the first listener stays.
    expect((await alter(node, { listeners: primary })).errorCode).toBe(0);
    await extra.closed;
    expect(await accepts(p)).toBe(false);
    expect(await accepts(broker.port)).toBe(true);
  });

  it("a port change of a listener that stays is not applied until a restart (as Kafka); a dynamic listener opens again after a restart", async () => {
    const [p, q] = [await freePort(), await freePort()];
    expect((await alter(node, { listeners: `${primary},EXTRA://127.0.0.1:${p}` })).errorCode).toBe(0);
    expect(await accepts(p)).toBe(true);
    expect((await alter(node, { listeners: `${primary},EXTRA://127.0.0.1:${q}` })).errorCode).toBe(0);
    expect([await accepts(p), await accepts(q)]).toEqual([true, false]);
    const port = broker.port;
    await c.close();
    await broker.close();
    expect(await accepts(p)).toBe(false);
    await start(port);
    expect([await accepts(p), await accepts(q)]).toEqual([false, true]);
  });
});
