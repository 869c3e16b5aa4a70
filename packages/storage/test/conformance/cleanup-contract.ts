/**
 * What removes records: retention by size and by time (whole segments, oldest first, never past the
 * data), compaction (the newest value of each key survives; tombstones go after delete.retention.ms),
 * truncation and DeleteRecords (the log start offset), and a topic's configs changed after its logs
 * opened.
 */
import { describe, expect, it } from "vitest";
import { ListOffsetsTimestamp } from "../../src/index.js";
import type { PartitionLog, Storage } from "../../src/index.js";
import { batch, DAY, HOUR, readAll, sized, T0, topicLog, withStorage } from "./harness.js";
import type { ConformanceTarget } from "./harness.js";

/** Offsets from the log start to the log end, with none missing. */
async function expectContiguous(log: PartitionLog): Promise<void> {
  const offsets = (await readAll(log)).map((r) => r.offset);
  expect(offsets).toEqual(Array.from({ length: log.logEndOffset - log.logStartOffset }, (_, i) => log.logStartOffset + i));
}

/** Compaction passes until one changes nothing (at most 10), all as of `now`. */
async function compact(s: Storage, log: PartitionLog, now: number): Promise<void> {
  await log.flush();
  for (let i = 0, before = -1; i < 10 && before !== log.sizeInBytes; i++) {
    before = log.sizeInBytes;
    await s.logs.runCleaner(now);
  }
}

export function cleanupContract(target: ConformanceTarget): void {
  describe("partition log: retention, compaction, truncation, DeleteRecords", () => {
    const t = withStorage(target);

    it("retention.bytes deletes the oldest segments while the rest stays over the limit", async () => {
      const log = await topicLog(t.s, "by-size", { "segment.bytes": "1000", "retention.bytes": "3000" });
      for (let i = 0; i < 30; i++) await log.append(sized(`k${i}`, 300));
      const before = log.sizeInBytes;
      expect(await t.s.logs.runRetention(T0)).toBeGreaterThan(0);
      expect(log.sizeInBytes).toBeLessThan(before);
      expect(log.sizeInBytes).toBeGreaterThan(3000 - 1000);
      expect(log.logStartOffset).toBeGreaterThan(0);
      expect(log.logEndOffset).toBe(30);
      expect((await log.read(log.logStartOffset - 1, { maxBytes: 1 << 20 })).error).toBe("OFFSET_OUT_OF_RANGE");
      expect((await log.offsetForTimestamp(ListOffsetsTimestamp.EARLIEST))?.offset).toBe(log.logStartOffset);
      await expectContiguous(log);
      // Nothing more to delete: a second pass removes nothing.
      expect(await t.s.logs.runRetention(T0)).toBe(0);
    });

    it("retention.ms deletes segments whose newest record is older than now − retention.ms, then everything once all expire", async () => {
      const log = await topicLog(t.s, "by-time", { "retention.ms": String(DAY), "segment.ms": String(DAY) });
      for (let i = 0; i < 10; i++) await log.append(batch([{ key: `old${i}`, timestamp: T0 + i }]));
      // Three days on: segment.ms rolls a new segment at the first new batch.
      for (let i = 0; i < 10; i++) await log.append(batch([{ key: `new${i}`, timestamp: T0 + 3 * DAY + i }]));
      expect(await t.s.logs.runRetention(T0 + 3 * DAY)).toBeGreaterThan(0);
      expect(log.logStartOffset).toBe(10);
      expect((await readAll(log)).map((r) => r.key)).toEqual(Array.from({ length: 10 }, (_, i) => `new${i}`));
      // Not yet expired: kept.
      expect(await t.s.logs.runRetention(T0 + 4 * DAY - HOUR)).toBe(0);
      expect(log.logStartOffset).toBe(10);
      // Every record expired: all of it goes, and appends go on at the log end.
      await t.s.logs.runRetention(T0 + 5 * DAY);
      expect([log.logStartOffset, log.logEndOffset]).toEqual([20, 20]);
      expect((await log.append(batch([{ key: "next", timestamp: T0 + 5 * DAY }]))).baseOffset).toBe(20);
    });

    it("compaction keeps the newest value of every key, at its own offset", async () => {
      // One batch per segment (segment.bytes below two batches), so every batch but the last is in a closed segment.
      const log = await topicLog(t.s, "compacted", { "cleanup.policy": "compact", "segment.bytes": "500" });
      const newest = new Map<string, number>();
      for (let round = 0; round < 4; round++) {
        for (let k = 0; k < 5; k++) newest.set(`k${k}`, (await log.append(sized(`k${k}`, 300, T0, String(round)))).baseOffset);
      }
      await log.append(sized("end", 300));
      await compact(t.s, log, T0);
      const left = await readAll(log);
      expect(left.map((r) => [r.key, r.offset, r.value?.[0]])).toEqual([...[...newest].map(([k, o]) => [k, o, "3"]), ["end", 20, "x"]]);
      expect(log.logEndOffset).toBe(21);
      // A compacted log still reads from any offset: a removed one reads as the next that remains.
      expect((await readAll(log, { from: 1 }))[0]!.offset).toBe(newest.get("k0"));
    });

    it("compaction hides a key's older values behind its tombstone, and drops the tombstone after delete.retention.ms", async () => {
      const log = await topicLog(t.s, "tombstones", { "cleanup.policy": "compact", "segment.bytes": "500", "delete.retention.ms": String(HOUR) });
      await log.append(sized("a", 300));
      await log.append(sized("b", 300));
      await log.append(batch([{ key: "a", value: null }]));
      await log.append(sized("end", 300));
      await compact(t.s, log, T0);
      expect((await readAll(log)).map((r) => [r.key, r.value === null])).toEqual([["b", false], ["a", true], ["end", false]]);
      await compact(t.s, log, T0 + HOUR / 2);
      expect((await readAll(log)).map((r) => r.key)).toEqual(["b", "a", "end"]);
      await compact(t.s, log, T0 + 2 * HOUR);
      expect((await readAll(log)).map((r) => r.key)).toEqual(["b", "end"]);
    });

    it("truncateTo removes every record from the offset on; appends go on there, also after a reopen", async () => {
      const log = await topicLog(t.s, "truncate", { "segment.bytes": "1000" });
      for (let i = 0; i < 10; i++) await log.append(sized(`k${i}`, 200));
      await log.truncateTo(6);
      expect([log.logEndOffset, log.highWatermark]).toEqual([6, 6]);
      expect((await readAll(log)).map((r) => r.key)).toEqual(["k0", "k1", "k2", "k3", "k4", "k5"]);
      expect((await log.append(sized("again", 10))).baseOffset).toBe(6);
      await t.reopen();
      const reopened = t.s.logs.getLog("truncate", 0)!;
      expect((await readAll(reopened)).map((r) => r.key)).toEqual(["k0", "k1", "k2", "k3", "k4", "k5", "again"]);
    });

    it("advanceLogStartOffset (DeleteRecords) moves the start up to at most the high watermark, durably", async () => {
      const log = await topicLog(t.s, "delete-records", { "segment.bytes": "1000" });
      for (let i = 0; i < 10; i++) await log.append(sized(`k${i}`, 200));
      expect(await log.advanceLogStartOffset(4)).toEqual({ logStartOffset: 4 });
      expect((await log.read(3, { maxBytes: 1 << 20 })).error).toBe("OFFSET_OUT_OF_RANGE");
      expect((await readAll(log))[0]!.offset).toBe(4);
      expect((await log.advanceLogStartOffset(11)).error).toBe("OFFSET_OUT_OF_RANGE");
      expect(await log.advanceLogStartOffset(2)).toEqual({ logStartOffset: 4 });
      expect(log.logStartOffset).toBe(4);
      await t.reopen();
      const reopened = t.s.logs.getLog("delete-records", 0)!;
      expect(reopened.logStartOffset).toBe(4);
      expect((await reopened.offsetForTimestamp(ListOffsetsTimestamp.EARLIEST))?.offset).toBe(4);
      await expectContiguous(reopened);
    });

    it("applies a topic's changed configs to its open logs (updateTopicConfig after the metadata changed)", async () => {
      const log = await topicLog(t.s, "reconfigured", { "segment.bytes": "1000" });
      for (let i = 0; i < 20; i++) await log.append(sized(`k${i}`, 300));
      expect(await t.s.logs.runRetention(T0)).toBe(0);
      await t.s.metadata.setTopicConfigs("reconfigured", { "segment.bytes": "1000", "retention.bytes": "2000" });
      t.s.logs.updateTopicConfig("reconfigured");
      expect(await t.s.logs.runRetention(T0)).toBeGreaterThan(0);
      expect(log.logStartOffset).toBeGreaterThan(0);
    });
  });
}
