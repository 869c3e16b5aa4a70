/**
 * The broker metadata store and the storage around it: topics, producer ids, features, client quotas
 * and the quorum counters round-trip through a reopen (and a crash where the backend can simulate
 * one); meta.properties keeps the node's identity; the log store opens, lists and deletes logs; a
 * locked backend refuses a second open.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Storage } from "../../src/index.js";
import { batch, open, topicLog } from "./harness.js";
import type { ConformanceTarget, Harness } from "./harness.js";

export function metadataContract(target: ConformanceTarget): void {
  describe("metadata store, meta.properties, log store", () => {
    let h: Harness;
    let s: Storage;
    beforeEach(async () => {
      h = target.create();
      s = await open(h.backend);
    });
    afterEach(async () => {
      await s.close();
      h.cleanup();
    });

    const reopen = async () => {
      await s.close();
      s = await open(h.backend);
    };

    it("round-trips topics: ids, partition counts and configs; a deleted topic stays deleted", async () => {
      const a = await s.metadata.createTopic("a", 3, { "cleanup.policy": "compact" });
      const b = await s.metadata.createTopic("b", 1);
      await expect(s.metadata.createTopic("a", 1)).rejects.toThrow();
      expect(a.topicId).not.toBe(b.topicId);
      await s.metadata.setPartitionCount("a", 5);
      await s.metadata.setTopicConfigs("b", { "retention.ms": "1000" });
      await s.metadata.createTopic("gone", 1);
      await s.metadata.deleteTopic("gone");
      const before = new Map(s.metadata.topics());
      await reopen();
      expect(new Map(s.metadata.topics())).toEqual(before);
      expect(s.metadata.topic("a")).toEqual({ topicId: a.topicId, partitions: 5, configs: { "cleanup.policy": "compact" } });
      expect(s.metadata.topic("b")?.configs).toEqual({ "retention.ms": "1000" });
      expect(s.metadata.topic("gone")).toBeUndefined();
    });

    it("never hands out a producer id twice, across reopens", async () => {
      const ids: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 5; i++) ids.push(await s.metadata.allocateProducerId());
        await reopen();
      }
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    });

    it("round-trips feature levels and client quotas, and counts every change and every new leader epoch", async () => {
      const epoch = await s.metadata.beginLeaderEpoch();
      const q0 = s.metadata.quorum();
      expect(q0.leaderEpoch).toBe(epoch);
      await s.metadata.setFeatures({ "transaction.version": 2, "group.version": 1 });
      const quotas = [{ entity: { user: "alice", "client-id": null }, values: { producer_byte_rate: 1024 } }];
      await s.metadata.setClientQuotas(quotas);
      expect(s.metadata.quorum().changes).toBe(q0.changes + 2);
      await reopen();
      expect(s.metadata.features()).toEqual({ "transaction.version": 2, "group.version": 1 });
      expect(s.metadata.clientQuotas()).toEqual(quotas);
      expect(s.metadata.quorum()).toEqual({ leaderEpoch: epoch, changes: q0.changes + 2 });
      expect(await s.metadata.beginLeaderEpoch()).toBe(epoch + 1);
    });

    it("loses no resolved metadata change and no producer id in a crash", async (ctx) => {
      if (!h.crash) return ctx.skip();
      const t = await s.metadata.createTopic("durable", 2, { "segment.bytes": "4096" });
      const id = await s.metadata.allocateProducerId();
      await s.metadata.setFeatures({ "transaction.version": 2 });
      s = await open(await h.crash(s));
      expect(s.metadata.topic("durable")).toEqual({ topicId: t.topicId, partitions: 2, configs: { "segment.bytes": "4096" } });
      expect(s.metadata.features()).toEqual({ "transaction.version": 2 });
      expect(await s.metadata.allocateProducerId()).toBeGreaterThan(id);
    });

    it("keeps the cluster id and directory id of meta.properties, and refuses another node id", async () => {
      const meta = s.meta;
      expect(meta.nodeId).toBe(1);
      await reopen();
      expect(s.meta).toEqual(meta);
      await s.close();
      await expect(h.backend.open({ nodeId: 2 })).rejects.toThrow(/node 1/);
      s = await open(h.backend);
    });

    it("opens, lists and deletes partition logs; a deleted log stays deleted after a reopen", async () => {
      const log = await topicLog(s, "many", {}, 3);
      await log.append(batch([{ key: "x" }]));
      await s.logs.getOrCreateLog("many", 1);
      await s.logs.getOrCreateLog("many", 2);
      expect(await s.logs.getOrCreateLog("many", 0)).toBe(log);
      expect(s.logs.getLog("many", 3)).toBeUndefined();
      expect(s.logs.allLogs().map((l) => l.partition).sort()).toEqual([0, 1, 2]);
      await s.logs.deleteLogs([{ topic: "many", partition: 1 }, { topic: "unknown", partition: 0 }]);
      expect(s.logs.getLog("many", 1)).toBeUndefined();
      await s.logs.checkpoint();
      await reopen();
      expect(s.logs.allLogs().map((l) => l.partition).sort()).toEqual([0, 2]);
      expect(s.logs.getLog("many", 0)!.logEndOffset).toBe(1);
    });

    it("refuses a second open while the first holds the lock (backends with a lock)", async (ctx) => {
      if (!s.lock) return ctx.skip();
      await expect(h.backend.open({ nodeId: 1 })).rejects.toThrow(/locked/);
      await reopen();
    });
  });
}
