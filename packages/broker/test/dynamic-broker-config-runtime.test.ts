/**
 * Dynamic broker configs that act on running machinery (issue 18, item 2), over the wire on a
 * ManualClock broker: `producer.id.expiration.ms` (the next expiry check uses the new value),
 * `transaction.partition.verification.enable` (the next transactional produce is verified or not),
 * `log.cleaner.backoff.ms` (the cleaner's timer restarts on the new interval) and
 * `log.cleaner.dedupe.buffer.size` (the next pass's map bound). Kafka 4.4's refusals and messages were
 * taken from kafka-configs against a real Kafka 4.4 broker.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ApiKey, ErrorCode, buildRecordBatch } from "@odradek/codec";
import type { LogDirs } from "@odradek/storage";
import { ManualClock, startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { ConfigSource } from "../src/config.js";
import { TestClient } from "./helpers.js";

/** DescribeConfigs resource type BROKER. */
const BROKER = 4;

let clock: ManualClock;
let broker: RunningBroker;
let c: TestClient;
let node: string;

beforeAll(async () => {
  clock = new ManualClock(1_800_000_000_000);
  broker = await startBroker({
    clock,
    config: { "producer.id.expiration.check.interval.ms": "10000", "transaction.state.log.num.partitions": "1", "offsets.topic.num.partitions": "1", "share.coordinator.state.topic.num.partitions": "1" },
  });
  c = await TestClient.connect(broker.port);
  node = String(broker.broker.node.nodeId);
  const r = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "rt", numPartitions: 3, replicationFactor: 1 }], timeoutMs: 1000 });
  expect(r.topics.map((t) => t.errorCode)).toEqual([0]);
});
afterAll(async () => {
  await c.close();
  await broker.close();
});

const setConfig = async (name: string, value: string) =>
  (await c.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName: node, configs: [{ name, configOperation: 0, value }] }], validateOnly: false })).responses[0]!;

async function described(name: string) {
  const r = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: BROKER, resourceName: node, configurationKeys: [name] }], includeSynonyms: true, includeDocumentation: false });
  const x = r.results[0]!.configs[0]!;
  return { value: x.value, source: x.configSource, readOnly: x.readOnly, synonyms: x.synonyms.map((s) => [s.name, s.value, s.source]) };
}

/** The file backend's log dirs (one here), for the cleaner's state (not part of the port). */
const managers = () => (broker.broker.logs as LogDirs).managers;

describe("dynamic broker configs at runtime", () => {
  it("refuses bad values with Kafka 4.4's messages (INVALID_REQUEST)", async () => {
    const refused = {
      "producer.id.expiration.ms=-1": "Invalid value -1 for configuration producer.id.expiration.ms: Value must be at least 1",
      "producer.id.expiration.ms=abc": "Invalid value abc for configuration producer.id.expiration.ms: Not a number of type INT",
      "transaction.partition.verification.enable=maybe": "Invalid value maybe for configuration transaction.partition.verification.enable: Expected value to be either true or false",
      "log.cleaner.dedupe.buffer.size=1000": "requirement failed: log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread.",
      "log.cleaner.dedupe.buffer.size=-1": "requirement failed: log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread.",
      "log.cleaner.dedupe.buffer.size=1048576": "requirement failed: log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread.",
      "log.cleaner.backoff.ms=-5": "Invalid value -5 for configuration log.cleaner.backoff.ms: Value must be at least 0",
    };
    for (const [kv, message] of Object.entries(refused)) {
      const [k, v] = kv.split("=") as [string, string];
      expect(await setConfig(k, v), kv).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: message });
    }
    expect(broker.broker.config.dynamicBroker.size).toBe(0);
  });

  it("producer.id.expiration.ms: the next expiry check uses the new value; described as dynamic", async () => {
    const init = await c.request(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    const producerId = init.producerId;
    const batch = buildRecordBatch({ producerId: Number(producerId), producerEpoch: 0, baseSequence: 0, baseTimestamp: clock.now(), records: [{ key: null, value: Buffer.from("v"), timestamp: clock.now() }] });
    const p = await c.request(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 1000, topicData: [{ name: "rt", partitionData: [{ index: 2, records: batch }] }] });
    expect(p.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
    const producers = async () => (await c.request(ApiKey.DescribeProducers, 0, { topics: [{ name: "rt", partitionIndexes: [2] }] })).topics[0]!.partitions[0]!.activeProducers.map((x) => x.producerId);
    await clock.advanceAsync(100_000); // past the new expiration, far below the default day
    expect(await producers()).toEqual([producerId]);
    expect((await setConfig("producer.id.expiration.ms", "60000")).errorCode).toBe(0);
    expect(await described("producer.id.expiration.ms")).toEqual({ value: "60000", source: ConfigSource.DYNAMIC_BROKER_CONFIG, readOnly: false, synonyms: [["producer.id.expiration.ms", "60000", ConfigSource.DYNAMIC_BROKER_CONFIG], ["producer.id.expiration.ms", "86400000", ConfigSource.DEFAULT_CONFIG]] });
    await clock.advanceAsync(10_000); // the next check
    expect(await producers()).toEqual([]);
  });

  it("transaction.partition.verification.enable: off, a transactional produce to an unadded partition is taken; on again, refused", async () => {
    const transactionalId = "verify-toggle";
    let init: { errorCode: number; producerId: bigint; producerEpoch: number };
    do init = await c.request(ApiKey.InitProducerId, 4, { transactionalId, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
    while (init.errorCode === ErrorCode.COORDINATOR_LOAD_IN_PROGRESS || init.errorCode === ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(init.errorCode).toBe(0);
    const send = async (partition: number) => {
      const records = buildRecordBatch({ producerId: Number(init.producerId), producerEpoch: init.producerEpoch, baseSequence: 0, transactional: true, baseTimestamp: clock.now(), records: [{ key: null, value: Buffer.from("t"), timestamp: clock.now() }] });
      const r = await c.request(ApiKey.Produce, 11, { transactionalId, acks: -1, timeoutMs: 1000, topicData: [{ name: "rt", partitionData: [{ index: partition, records }] }] });
      return r.responses[0]!.partitionResponses[0]!.errorCode;
    };
    expect(await send(0)).toBe(ErrorCode.INVALID_TXN_STATE);
    expect((await setConfig("transaction.partition.verification.enable", "false")).errorCode).toBe(0);
    expect((await described("transaction.partition.verification.enable")).synonyms).toEqual([["transaction.partition.verification.enable", "false", ConfigSource.DYNAMIC_BROKER_CONFIG], ["transaction.partition.verification.enable", "true", ConfigSource.DEFAULT_CONFIG]]);
    expect(await send(0)).toBe(0);
    const r = await c.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName: node, configs: [{ name: "transaction.partition.verification.enable", configOperation: 1, value: null }] }], validateOnly: false });
    expect(r.responses[0]!.errorCode).toBe(0);
    expect(await send(1)).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it("log.cleaner.backoff.ms and log.cleaner.dedupe.buffer.size reach the running cleaner", async () => {
    const m = managers()[0]!;
    const runs = vi.spyOn(m, "runCleaner");
    try {
      expect((await setConfig("log.cleaner.backoff.ms", "1000")).errorCode).toBe(0);
      runs.mockClear(); // the timer restarted: the first run is one new backoff from now
      await clock.advanceAsync(999);
      expect(runs).toHaveBeenCalledTimes(0);
      await clock.advanceAsync(1);
      expect(runs).toHaveBeenCalledTimes(1);
      await clock.advanceAsync(3_000);
      expect(runs).toHaveBeenCalledTimes(4);
    } finally {
      runs.mockRestore();
    }
    expect((await setConfig("log.cleaner.dedupe.buffer.size", String(2 * 1024 * 1024))).errorCode).toBe(0);
    expect(m.cleaner.maxMapEntries).toBe((2 * 1024 * 1024) / 128);
  });
});

describe("dynamic cleaner settings after a restart", () => {
  it("the cleaner starts on the persisted log.cleaner.backoff.ms and map bound", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-dynconf-restart-"));
    try {
      const first = await startBroker({ dataDir: dir, clock: new ManualClock(1_800_000_000_000) });
      const client = await TestClient.connect(first.port);
      const configs = [
        { name: "log.cleaner.backoff.ms", configOperation: 0, value: "2000" },
        { name: "log.cleaner.dedupe.buffer.size", configOperation: 0, value: String(4 * 1024 * 1024) },
      ];
      const r = await client.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: BROKER, resourceName: String(first.broker.node.nodeId), configs }], validateOnly: false });
      expect(r.responses[0]!.errorCode).toBe(0);
      await client.close();
      await first.close();
      const restartClock = new ManualClock(1_800_000_000_000);
      const again = await startBroker({ dataDir: dir, clock: restartClock });
      try {
        const m = (again.broker.logs as LogDirs).managers[0]!;
        expect(m.cleaner.maxMapEntries).toBe((4 * 1024 * 1024) / 128);
        const runs = vi.spyOn(m, "runCleaner");
        await restartClock.advanceAsync(2_000); // the persisted backoff, not the default 15 s
        expect(runs).toHaveBeenCalledTimes(1);
        runs.mockRestore();
      } finally {
        await again.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
