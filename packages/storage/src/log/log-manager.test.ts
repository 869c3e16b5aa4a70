import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { fsFactories, batchOf } from "../test-support/fixtures.js";
import type { FileSystem } from "../fs/file-system.js";
import { LogManager } from "./log-manager.js";
import { MetadataStore, PRODUCER_ID_BLOCK_SIZE } from "../metadata/metadata-store.js";
import { loadOrCreateMetaProperties } from "../metadata/meta-properties.js";
import { buildRecordBatch, iterateRecords } from "../record/records.js";
import { readBatchHeader } from "../record/batch.js";

describe.each(fsFactories)("LogManager, LogCleaner, MetadataStore ($name fs)", (factory) => {
  let fs: FileSystem;
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ fs, root, cleanup } = factory.make()));
  afterEach(() => cleanup());

  it("creates, reloads with checkpoints, and deletes partition logs", async () => {
    const m = await LogManager.open({ fs, dataDir: root, schedule: false });
    const a = await m.getOrCreateLog("my-topic", 0);
    const b = await m.getOrCreateLog("my-topic", 1);
    await a.append(batchOf(3));
    await b.append(batchOf(2));
    await a.advanceLogStartOffset(1);
    await m.close();
    const rp = (await fs.readFile(`${root}/recovery-point-offset-checkpoint`)).toString();
    expect(rp.split("\n").slice(0, 2)).toEqual(["0", "2"]);
    expect(rp).toContain("my-topic 0 3");
    const m2 = await LogManager.open({ fs, dataDir: root, schedule: false });
    expect(m2.getLog("my-topic", 0)?.logEndOffset).toBe(3);
    expect(m2.getLog("my-topic", 0)?.logStartOffset).toBe(1);
    expect(m2.getLog("my-topic", 1)?.logEndOffset).toBe(2);
    await m2.deleteLog("my-topic", 1);
    expect(await fs.stat(`${root}/my-topic-1`)).toBeNull();
    await m2.close();
  });

  it("compacts closed segments: newest per key, tombstones after delete.retention.ms, offsets kept", async () => {
    const configs = { "cleanup.policy": "compact", "segment.bytes": "600", "delete.retention.ms": "1000" };
    const m = await LogManager.open({ fs, dataDir: root, schedule: false, topicConfigs: () => configs });
    const log = await m.getOrCreateLog("c", 0);
    const t0 = 10_000;
    for (let i = 0; i < 40; i++) {
      const key = `key-${i % 5}`;
      const value = i === 36 ? null : `value-${i}`; // a tombstone for key-1
      await log.append(buildRecordBatch([{ key, value, timestamp: t0 + i }]));
    }
    await log.append(buildRecordBatch([{ key: "x", value: "y" }], { producerId: 3, producerEpoch: 0, baseSequence: 0 }));
    await log.roll();
    await log.flush();
    const before = log.sizeInBytes;
    const stats = await m.cleaner.clean(log, t0 + 100);
    expect(stats.recordsRemoved).toBe(35);
    expect(log.sizeInBytes).toBeLessThan(before);
    const seen = new Map<string, { offset: number; tombstone: boolean }>();
    const read = async () => {
      seen.clear();
      let offset = 0;
      while (offset < log.logEndOffset) {
        const r = await log.read(offset, { maxBytes: 1 << 20 });
        const buf = r.records[0];
        if (!buf) break;
        let pos = 0;
        while (pos < buf.length) {
          const h = readBatchHeader(buf, pos);
          for (const rec of iterateRecords(buf.subarray(pos + 61, pos + h.batchLength + 12), h.recordCount)) {
            seen.set(rec.key!.toString(), { offset: h.baseOffset + rec.offsetDelta, tombstone: rec.tombstone });
          }
          offset = h.baseOffset + h.lastOffsetDelta + 1;
          pos += h.batchLength + 12;
        }
      }
    };
    await read();
    expect([...seen.keys()].sort()).toEqual(["key-0", "key-1", "key-2", "key-3", "key-4", "x"]);
    expect(seen.get("key-1")).toEqual({ offset: 36, tombstone: true });
    expect(seen.get("key-4")!.offset).toBe(39);
    await m.cleaner.clean(log, t0 + 10_000); // past delete.retention.ms: the tombstone goes
    await read();
    expect(seen.has("key-1")).toBe(false);
    expect(log.logEndOffset).toBe(41);
    expect((await log.append(buildRecordBatch([{ key: "x", value: "z" }], { producerId: 3, producerEpoch: 0, baseSequence: 0 }))).duplicateOf).toEqual({ firstOffset: 40, lastOffset: 40 });
    await m.close();
    const names = await fs.readdir(`${root}/c-0`);
    expect(names.filter((n) => /\.(cleaned|swap|deleted)$/.test(n))).toEqual([]);
    // The clean section's end survives the restart (Kafka's cleaner-offset-checkpoint).
    const cleanedTo = (await fs.readFile(`${root}/cleaner-offset-checkpoint`)).toString();
    expect(cleanedTo).toBe("0\n1\nc 0 41\n");
    const m2 = await LogManager.open({ fs, dataDir: root, schedule: false, topicConfigs: () => configs });
    expect(m2.getLog("c", 0)!.logEndOffset).toBe(41); // the duplicate was not appended
    expect(m2.cleaner.cleanedOffset(m2.getLog("c", 0)!)).toBe(41);
    await m2.close();
  });

  it("completes an interrupted swap and drops leftover .cleaned/.deleted files on load", async () => {
    const m = await LogManager.open({ fs, dataDir: root, schedule: false });
    const log = await m.getOrCreateLog("s", 0);
    await log.append(batchOf(2));
    await m.close();
    const dir = `${root}/s-0`;
    const seg = await fs.readFile(`${dir}/00000000000000000000.log`);
    await fs.writeFile(`${dir}/00000000000000000000.log.swap`, seg);
    await fs.writeFile(`${dir}/00000000000000000000.log`, Buffer.alloc(10));
    await fs.writeFile(`${dir}/00000000000000000099.log.cleaned`, Buffer.alloc(10));
    await fs.writeFile(`${dir}/00000000000000000098.log.deleted`, Buffer.alloc(10));
    const m2 = await LogManager.open({ fs, dataDir: root, schedule: false });
    expect(m2.getLog("s", 0)!.logEndOffset).toBe(2);
    expect((await fs.readdir(dir)).filter((n) => n.includes(".log"))).toEqual(["00000000000000000000.log"]);
    await m2.close();
  });

  it("persists topics, configs and producer id blocks; meta.properties keeps the cluster id", async () => {
    const s = await MetadataStore.open(fs, root);
    const t = await s.createTopic("orders", 3, { "cleanup.policy": "compact" });
    expect(t.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const ids = [await s.allocateProducerId(), await s.allocateProducerId()];
    expect(ids).toEqual([0, 1]);
    const s2 = await MetadataStore.open(fs, root);
    expect(s2.topic("orders")).toEqual(t);
    expect(await s2.allocateProducerId()).toBe(PRODUCER_ID_BLOCK_SIZE);
    const meta = await loadOrCreateMetaProperties(fs, root, 1);
    expect((await loadOrCreateMetaProperties(fs, root, 1)).clusterId).toBe(meta.clusterId);
    await expect(loadOrCreateMetaProperties(fs, root, 2)).rejects.toThrow();
  });
});
