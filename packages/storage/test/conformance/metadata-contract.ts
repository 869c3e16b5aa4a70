/**
 * The broker metadata store and the storage around it: topics, producer ids, features, client quotas
 * and the quorum counters round-trip through a reopen (and a crash where the backend can simulate
 * one); meta.properties keeps the node's identity; the log store opens, lists and deletes logs; a
 * locked backend refuses a second open.
 */
import { describe, expect, it } from "vitest";
import { batch, topicLog, withStorage } from "./harness.js";
import type { ConformanceTarget } from "./harness.js";

export function metadataContract(target: ConformanceTarget): void {
  describe("metadata store, meta.properties, log store", () => {
    const t = withStorage(target);

    it("round-trips topics: ids, partition counts and configs; a deleted topic stays deleted", async () => {
      const a = await t.s.metadata.createTopic("a", 3, { "cleanup.policy": "compact" });
      const b = await t.s.metadata.createTopic("b", 1);
      await expect(t.s.metadata.createTopic("a", 1)).rejects.toThrow();
      expect(a.topicId).not.toBe(b.topicId);
      await t.s.metadata.setPartitionCount("a", 5);
      await t.s.metadata.setTopicConfigs("b", { "retention.ms": "1000" });
      await t.s.metadata.createTopic("gone", 1);
      await t.s.metadata.deleteTopic("gone");
      const before = new Map(t.s.metadata.topics());
      await t.reopen();
      expect(new Map(t.s.metadata.topics())).toEqual(before);
      expect(t.s.metadata.topic("a")).toEqual({ topicId: a.topicId, partitions: 5, configs: { "cleanup.policy": "compact" } });
      expect(t.s.metadata.topic("b")?.configs).toEqual({ "retention.ms": "1000" });
      expect(t.s.metadata.topic("gone")).toBeUndefined();
    });

    it("never hands out a producer id twice, across reopens", async () => {
      const ids: number[] = [];
      for (let round = 0; round < 3; round++) {
        for (let i = 0; i < 5; i++) ids.push(await t.s.metadata.allocateProducerId());
        await t.reopen();
      }
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort((x, y) => x - y)).toEqual(ids);
    });

    it("round-trips feature levels and client quotas, and counts every change and every new leader epoch", async () => {
      const epoch = await t.s.metadata.beginLeaderEpoch();
      const q0 = t.s.metadata.quorum();
      expect(q0.leaderEpoch).toBe(epoch);
      await t.s.metadata.setFeatures({ "transaction.version": 2, "group.version": 1 });
      const quotas = [{ entity: { user: "alice", "client-id": null }, values: { producer_byte_rate: 1024 } }];
      await t.s.metadata.setClientQuotas(quotas);
      expect(t.s.metadata.quorum().changes).toBe(q0.changes + 2);
      await t.reopen();
      expect(t.s.metadata.features()).toEqual({ "transaction.version": 2, "group.version": 1 });
      expect(t.s.metadata.clientQuotas()).toEqual(quotas);
      expect(t.s.metadata.quorum()).toEqual({ leaderEpoch: epoch, changes: q0.changes + 2 });
      expect(await t.s.metadata.beginLeaderEpoch()).toBe(epoch + 1);
    });

    it("loses no resolved metadata change and no producer id in a crash", async (ctx) => {
      if (!t.h.crash) return ctx.skip();
      const durable = await t.s.metadata.createTopic("durable", 2, { "segment.bytes": "4096" });
      const id = await t.s.metadata.allocateProducerId();
      await t.s.metadata.setFeatures({ "transaction.version": 2 });
      await t.openInstead(await t.h.crash(t.s));
      expect(t.s.metadata.topic("durable")).toEqual({ topicId: durable.topicId, partitions: 2, configs: { "segment.bytes": "4096" } });
      expect(t.s.metadata.features()).toEqual({ "transaction.version": 2 });
      expect(await t.s.metadata.allocateProducerId()).toBeGreaterThan(id);
    });

    it("keeps the cluster id and directory id of meta.properties, and refuses another node id", async () => {
      const meta = t.s.meta;
      expect(meta.nodeId).toBe(1);
      await t.reopen();
      expect(t.s.meta).toEqual(meta);
      await t.s.close();
      await expect(t.h.backend.open({ nodeId: 2 })).rejects.toThrow(/node 1/);
      await t.openInstead(t.h.backend);
    });

    it("opens, lists and deletes partition logs; a deleted log stays deleted after a reopen", async () => {
      const log = await topicLog(t.s, "many", {}, 3);
      await log.append(batch([{ key: "x" }]));
      await t.s.logs.getOrCreateLog("many", 1);
      await t.s.logs.getOrCreateLog("many", 2);
      expect(await t.s.logs.getOrCreateLog("many", 0)).toBe(log);
      expect(t.s.logs.getLog("many", 3)).toBeUndefined();
      expect(t.s.logs.allLogs().map((l) => l.partition).sort()).toEqual([0, 1, 2]);
      await t.s.logs.deleteLogs([{ topic: "many", partition: 1 }, { topic: "unknown", partition: 0 }]);
      expect(t.s.logs.getLog("many", 1)).toBeUndefined();
      await t.s.logs.checkpoint();
      await t.reopen();
      expect(t.s.logs.allLogs().map((l) => l.partition).sort()).toEqual([0, 2]);
      expect(t.s.logs.getLog("many", 0)!.logEndOffset).toBe(1);
    });

    it("refuses a second open while the first holds the lock (backends with a lock)", async (ctx) => {
      if (!t.s.lock) return ctx.skip();
      await expect(t.h.backend.open({ nodeId: 1 })).rejects.toThrow(/locked/);
      await t.reopen();
    });
  });
}
