/**
 * The partition log's data path: append/read round trip, the four offsets, read_committed and the last
 * stable offset, reads from any offset (the offset index) and ListOffsets by timestamp (the time index).
 */
import { describe, expect, it } from "vitest";
import { ListOffsetsTimestamp } from "../../src/index.js";
import { asStored, batch, batchesAt, readAll, sized, T0, topicLog, withStorage } from "./harness.js";
import type { ConformanceTarget } from "./harness.js";

export function logContract(target: ConformanceTarget): void {
  describe("partition log: append, read, offsets, indexes", () => {
    const t = withStorage(target);

    it("gives back appended batches byte for byte at the offsets it assigned", async () => {
      const log = await topicLog(t.s, "rt");
      const sent = [batch([{ key: "a", value: "1" }]), batch([{ key: "b" }, { key: "c", value: null }, { key: null, value: "3" }]), sized("d", 5000)];
      const copies = sent.map((b) => Buffer.from(b));
      const results = [];
      for (const b of sent) results.push(await log.append(b, { leaderEpoch: 4 }));
      expect(results.map((r) => [r.baseOffset, r.lastOffset, r.error])).toEqual([[0, 0, undefined], [1, 3, undefined], [4, 4, undefined]]);
      for (let i = 0; i < copies.length; i++) {
        const got = await batchesAt(log, results[i]!.baseOffset);
        expect(got[0]!.equals(asStored(copies[i]!, results[i]!.baseOffset, 4))).toBe(true);
      }
      expect(await readAll(log)).toEqual([
        { offset: 0, key: "a", value: "1", timestamp: T0 },
        { offset: 1, key: "b", value: "v", timestamp: T0 },
        { offset: 2, key: "c", value: null, timestamp: T0 },
        { offset: 3, key: null, value: "3", timestamp: T0 },
        { offset: 4, key: "d", value: "x".repeat(5000), timestamp: T0 },
      ]);
    });

    it("keeps logStartOffset ≤ lastStableOffset ≤ highWatermark = logEndOffset, and reads past the end are out of range", async () => {
      const log = await topicLog(t.s, "offsets");
      expect([log.logStartOffset, log.lastStableOffset, log.highWatermark, log.logEndOffset]).toEqual([0, 0, 0, 0]);
      for (let i = 0; i < 5; i++) await log.append(batch([{ key: `k${i}` }, { key: `k${i}` }]));
      expect([log.logStartOffset, log.lastStableOffset, log.highWatermark, log.logEndOffset]).toEqual([0, 10, 10, 10]);
      const atEnd = await log.read(10, { maxBytes: 1 << 20 });
      expect(atEnd.error).toBeUndefined();
      expect(atEnd.bytes).toBe(0);
      expect([atEnd.logStartOffset, atEnd.lastStableOffset, atEnd.highWatermark, atEnd.logEndOffset]).toEqual([0, 10, 10, 10]);
      atEnd.release();
      expect((await log.read(11, { maxBytes: 1 << 20 })).error).toBe("OFFSET_OUT_OF_RANGE");
      expect((await log.read(-1, { maxBytes: 1 << 20 })).error).toBe("OFFSET_OUT_OF_RANGE");
      expect(log.sizeInBytes).toBeGreaterThan(0);
    });

    it("holds the last stable offset at an open transaction until its marker; read_committed stops there and reports aborts", async () => {
      const log = await topicLog(t.s, "txn");
      await log.append(batch([{ key: "plain" }]));
      const txn = { producerId: 7, producerEpoch: 0, transactional: true };
      expect((await log.append(batch([{ key: "t1" }, { key: "t2" }], { ...txn, baseSequence: 0 }))).baseOffset).toBe(1);
      await log.append(batch([{ key: "after" }]));
      expect([log.lastStableOffset, log.highWatermark]).toEqual([1, 4]);
      expect((await readAll(log, { isolation: "READ_COMMITTED" })).map((r) => r.key)).toEqual(["plain"]);

      const marker = await log.appendTxnMarker({ producerId: 7, producerEpoch: 0, coordinatorEpoch: 0, commit: false });
      expect(marker.error).toBeUndefined();
      expect(marker.baseOffset).toBe(4);
      expect([log.lastStableOffset, log.highWatermark, log.logEndOffset]).toEqual([5, 5, 5]);
      const r = await log.read(0, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" });
      expect(r.abortedTransactions).toEqual([{ producerId: 7, firstOffset: 1 }]);
      r.release();
      // read_uncommitted returns the aborted records too (the client drops them by the list above).
      expect((await readAll(log)).map((x) => x.key)).toEqual(["plain", "t1", "t2", "after"]);
    });

    it("starts a read at any offset with the batch holding it, across segments", async () => {
      const log = await topicLog(t.s, "index", { "segment.bytes": "2048", "index.interval.bytes": "128" });
      const bases: number[] = [];
      for (let i = 0; i < 60; i++) bases.push((await log.append(batch(Array.from({ length: 1 + (i % 3) }, (_, j) => ({ key: `k${i}-${j}`, value: "y".repeat(40) }))))).baseOffset);
      const end = log.logEndOffset;
      for (let offset = 0; offset < end; offset++) {
        const first = (await batchesAt(log, offset))[0]!;
        const base = Number(first.readBigInt64BE(0));
        const last = base + first.readInt32BE(23);
        expect(base <= offset && offset <= last, `read at ${offset} began with batch ${base}..${last}`).toBe(true);
        expect(bases).toContain(base);
      }
    });

    it("finds the first record at or after a timestamp, and the earliest, latest and max-timestamp offsets", async () => {
      const log = await topicLog(t.s, "times", { "segment.bytes": "1024", "index.interval.bytes": "64" });
      for (let i = 0; i < 40; i++) await log.append(batch([{ key: `k${i}`, value: "z".repeat(60), timestamp: T0 + 10 * i }]));
      for (const i of [0, 1, 17, 39]) {
        expect((await log.offsetForTimestamp(T0 + 10 * i))?.offset).toBe(i);
        expect((await log.offsetForTimestamp(T0 + 10 * i - 5))?.offset).toBe(i);
      }
      expect(await log.offsetForTimestamp(T0 + 10 * 39 + 1)).toBeNull();
      expect((await log.offsetForTimestamp(ListOffsetsTimestamp.EARLIEST))?.offset).toBe(0);
      expect((await log.offsetForTimestamp(ListOffsetsTimestamp.LATEST))?.offset).toBe(40);
      const max = await log.offsetForTimestamp(ListOffsetsTimestamp.MAX_TIMESTAMP);
      expect([max?.offset, max?.timestamp]).toEqual([39, T0 + 390]);
    });
  });
}
