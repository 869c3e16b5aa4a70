/**
 * TopicRegistry over the in-memory storage backend: creations are durable and reserve their name at
 * once, deletions hide the topic at once, partitions and configs change through the metadata store,
 * and a reload restores the topics and removes logs whose topic is gone.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { buildRecordBatch } from "@odradek/codec";
import { memoryStorage } from "@odradek/storage";
import type { Storage, StorageBackend } from "@odradek/storage";
import { silentLogger } from "./logger.js";
import { TopicExistsError, TopicRegistry } from "./topic-registry.js";

let backend: StorageBackend;
let storage: Storage;
let topics: TopicRegistry;

const openRegistry = async () => {
  storage = await backend.open({ nodeId: 1, logStore: { schedule: false } });
  topics = new TopicRegistry(storage.metadata, storage.logs, silentLogger);
  await topics.load();
};

beforeEach(async () => {
  backend = memoryStorage();
  await openRegistry();
});
afterEach(async () => {
  await topics.drained();
  await storage.close();
});

describe("TopicRegistry", () => {
  it("creates a topic durably with its logs, and reserves the name while the creation runs", async () => {
    const creating = topics.createTopic("orders", 3, new Map([["cleanup.policy", "compact"]]));
    expect(topics.hasTopic("orders")).toBe(true);
    expect(topics.topic("orders")).toBeUndefined();
    await expect(topics.createTopic("orders", 1, new Map())).rejects.toBeInstanceOf(TopicExistsError);
    expect(topics.collidingTopic("orders")).toBeNull();
    const t = await creating;
    expect(await topics.awaitTopic("orders")).toBe(t);
    expect(topics.topicById(t.id)).toBe(t);
    expect(t.partitions.map((p) => [p.index, p.log.partition])).toEqual([[0, 0], [1, 1], [2, 2]]);
    expect(storage.metadata.topic("orders")).toEqual({ topicId: t.id, partitions: 3, configs: { "cleanup.policy": "compact" } });
    await topics.createTopic("my.topic", 1, new Map());
    expect(topics.collidingTopic("my_topic")).toBe("my.topic");
  });

  it("hides a deleted topic at once and removes its logs and metadata once the deletion resolves", async () => {
    const t = await topics.createTopic("gone", 2, new Map());
    const deleting = topics.deleteTopic(t);
    expect([topics.hasTopic("gone"), topics.topicById(t.id), topics.partition("gone", 0)]).toEqual([false, undefined, undefined]);
    await deleting;
    expect(storage.metadata.topic("gone")).toBeUndefined();
    expect(storage.logs.allLogs()).toEqual([]);
    // Deleting it again is a no-op; the name is free again.
    await topics.deleteTopic(t);
    expect((await topics.createTopic("gone", 1, new Map())).id).not.toBe(t.id);
  });

  it("adds partitions and changes configs through the metadata store, and applies configs to the open logs", async () => {
    const t = await topics.createTopic("grow", 1, new Map([["segment.bytes", "1000"]]));
    await topics.addPartitions(t, 3);
    await topics.addPartitions(t, 2);
    expect(t.partitions.length).toBe(3);
    expect(storage.metadata.topic("grow")?.partitions).toBe(3);
    for (let i = 0; i < 10; i++) await t.partitions[0]!.log.append(buildRecordBatch({ records: [{ key: `k${i}`, value: "v".repeat(300), timestamp: 1 }] }));
    expect(await storage.logs.runRetention(2)).toBe(0);
    await topics.setTopicConfigs(t, new Map([["segment.bytes", "1000"], ["retention.bytes", "1000"]]));
    expect(t.configs.get("retention.bytes")).toBe("1000");
    expect(storage.metadata.topic("grow")?.configs).toEqual({ "segment.bytes": "1000", "retention.bytes": "1000" });
    expect(await storage.logs.runRetention(2)).toBeGreaterThan(0);
  });

  it("restores the topics on load and removes logs whose topic the metadata does not hold", async () => {
    const t = await topics.createTopic("kept", 2, new Map([["retention.ms", "1000"]]));
    await storage.logs.getOrCreateLog("orphan", 0);
    await storage.logs.getOrCreateLog("kept", 5);
    await storage.close();
    await openRegistry();
    const again = topics.topic("kept")!;
    expect([again.id, again.partitions.length, [...again.configs]]).toEqual([t.id, 2, [["retention.ms", "1000"]]]);
    expect(storage.logs.allLogs().map((l) => `${l.topic}-${l.partition}`).sort()).toEqual(["kept-0", "kept-1"]);
  });
});
