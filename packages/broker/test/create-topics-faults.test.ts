/**
 * CreateTopics and CreatePartitions when opening a partition log fails part-way (EMFILE injected at
 * the file system's `open`): the logs that did open are closed, the topic is neither served nor in the
 * metadata (or keeps its partition count), and the same request succeeds afterwards. In memory; the
 * wrapper counts handles opened and closed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey, ErrorCode } from "@odradek/codec";
import { memoryStorage } from "@odradek/storage";
import type { BrokerMetadataStore, FileHandle } from "@odradek/storage";
import { startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient } from "./helpers.js";

let broker: RunningBroker;
let c: TestClient;

/** Handles under the partition directories of topics `ft` and `ft-grow`, opened and not yet closed. */
const live = new Set<FileHandle>();
let failOpen: RegExp | null = null;

beforeAll(async () => {
  // The broker's in-memory file system, shared by its log store and metadata store.
  const storage = memoryStorage();
  const fs = storage.fs;
  broker = await startBroker({ storage });
  c = await TestClient.connect(broker.port);
  const open = fs.open.bind(fs);
  fs.open = async (path, mode) => {
    if (failOpen?.test(path)) {
      failOpen = null;
      throw Object.assign(new Error(`EMFILE: too many open files, open '${path}'`), { code: "EMFILE" });
    }
    const h = await open(path, mode);
    if (!/\/ft(-grow)?-\d+\//.test(path)) return h;
    live.add(h);
    const close = h.close.bind(h);
    h.close = async () => {
      live.delete(h);
      await close();
    };
    return h;
  };
});
afterAll(async () => {
  await c.close();
  await broker.close();
});

describe("CreateTopics with a failure while opening partition logs", () => {
  it("closes the logs that opened, leaves no topic behind, and lets the name be created again", async () => {
    failOpen = /\/ft-5\/.*\.log$/;
    const r = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "ft", numPartitions: 8, replicationFactor: 1 }, { name: "ft-other", numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 });
    expect(failOpen).toBeNull();
    const [ft, other] = r.topics;
    expect(ft!.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(ft!.errorMessage).toMatch(/EMFILE/);
    // Another topic of the same request is still created.
    expect(other!.errorCode).toBe(ErrorCode.NONE);

    expect(live.size).toBe(0);
    expect(broker.broker.topics.topic("ft")).toBeUndefined();
    expect(broker.broker.topics.hasTopic("ft")).toBe(false);
    const metadata = (broker.broker as unknown as { metadata: BrokerMetadataStore }).metadata;
    expect(metadata.topics().has("ft")).toBe(false);
    expect(broker.broker.logs.allLogs().filter((l) => l.topic === "ft")).toEqual([]);
    const md = await c.request(ApiKey.Metadata, 12, { topics: [{ name: "ft" }], allowAutoTopicCreation: false });
    expect(md.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);

    const again = await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "ft", numPartitions: 8, replicationFactor: 1 }], timeoutMs: 1000 });
    expect(again.topics[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(broker.broker.topics.topic("ft")!.partitions.length).toBe(8);
    expect(live.size).toBe(8);
  });

  it("CreatePartitions keeps the old count and no new log when a new partition's log cannot open", async () => {
    await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "ft-grow", numPartitions: 2, replicationFactor: 1 }], timeoutMs: 1000 });
    const before = live.size;
    failOpen = /\/ft-grow-4\/.*\.log$/;
    const r = await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: "ft-grow", count: 6, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(failOpen).toBeNull();
    expect(r.results[0]!.errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
    expect(r.results[0]!.errorMessage).toMatch(/EMFILE/);
    expect(live.size).toBe(before);
    expect(broker.broker.topics.topic("ft-grow")!.partitions.length).toBe(2);
    const metadata = (broker.broker as unknown as { metadata: BrokerMetadataStore }).metadata;
    expect(metadata.topics().get("ft-grow")!.partitions).toBe(2);
    expect(broker.broker.logs.allLogs().filter((l) => l.topic === "ft-grow").map((l) => l.partition).sort()).toEqual([0, 1]);

    const again = await c.request(ApiKey.CreatePartitions, 3, { topics: [{ name: "ft-grow", count: 6, assignments: null }], timeoutMs: 1000, validateOnly: false });
    expect(again.results[0]!.errorCode).toBe(ErrorCode.NONE);
    expect(broker.broker.topics.topic("ft-grow")!.partitions.length).toBe(6);
    expect(live.size).toBe(before + 4);
  });
});
