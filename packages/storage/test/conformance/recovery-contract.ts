/**
 * What survives: a clean close and reopen keeps everything; a crash keeps a prefix of the acknowledged
 * batches holding every flushed one and never shows a torn write; idempotent producers' state (their
 * last sequences, so a retried batch is not appended twice) survives both, and expires by
 * producer.id.expiration.ms.
 */
import { describe, expect, it } from "vitest";
import type { PartitionLog } from "../../src/index.js";
import { batch, batchesAt, readAll, T0, topicLog, withStorage } from "./harness.js";
import type { ConformanceTarget } from "./harness.js";

const producer = (baseSequence: number, producerEpoch = 0) => ({ producerId: 42, producerEpoch, baseSequence });
const keys = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}` }));

export function recoveryContract(target: ConformanceTarget): void {
  describe("recovery and producer state", () => {
    const t = withStorage(target);

    /** Closes and opens the storage again; returns the partition's reopened log. */
    async function reopen(topic: string): Promise<PartitionLog> {
      await t.reopen();
      return t.s.logs.getLog(topic, 0)!;
    }

    it("keeps every batch, the offsets, the configs and the producers across a clean close and reopen", async () => {
      const log = await topicLog(t.s, "reopen", { "segment.bytes": "1000" });
      for (let i = 0; i < 12; i++) await log.append(batch(keys(3, `r${i}-`), producer(3 * i)));
      await log.advanceLogStartOffset(3);
      const before = { records: await readAll(log), offsets: [log.logStartOffset, log.lastStableOffset, log.highWatermark, log.logEndOffset], producers: log.producers() };
      const again = await reopen("reopen");
      expect(t.s.logs.allLogs().map((l) => `${l.topic}-${l.partition}`)).toEqual(["reopen-0"]);
      expect({ records: await readAll(again), offsets: [again.logStartOffset, again.lastStableOffset, again.highWatermark, again.logEndOffset], producers: again.producers() }).toEqual(before);
      expect(t.s.metadata.topic("reopen")?.configs).toEqual({ "segment.bytes": "1000" });
    });

    it("after a crash, keeps a prefix of the acknowledged batches holding every flushed one, without the torn write", async (ctx) => {
      if (!t.h.crash) return ctx.skip();
      const log = await topicLog(t.s, "crash", { "segment.bytes": "2000" });
      const acked: Buffer[] = [];
      for (let i = 0; i < 30; i++) {
        const r = await log.append(batch(keys(1 + (i % 3), `c${i}-`)));
        acked.push((await batchesAt(log, r.baseOffset))[0]!);
        if (i === 19) await log.flush();
      }
      const torn = batch(keys(4, "torn-"));
      const restarted = await t.h.crash(t.s, { log, batch: torn, keepBytes: torn.length - 7 });
      await t.openInstead(restarted);
      const again = t.s.logs.getLog("crash", 0)!;
      const got: Buffer[] = [];
      for (let offset = again.logStartOffset; offset < again.logEndOffset; ) {
        const b = (await batchesAt(again, offset))[0]!;
        got.push(b);
        offset = Number(b.readBigInt64BE(0)) + b.readInt32BE(23) + 1;
      }
      expect(got.length).toBeGreaterThanOrEqual(20);
      expect(got.length).toBeLessThanOrEqual(30);
      for (let i = 0; i < got.length; i++) expect(got[i]!.equals(acked[i]!), `batch ${i}`).toBe(true);
      expect(again.highWatermark).toBe(again.logEndOffset);
      expect((await readAll(again)).some((r) => r.key?.startsWith("torn-"))).toBe(false);
      // The log goes on right after what it recovered, readable through to the end.
      const end = again.logEndOffset;
      expect((await again.append(batch([{ key: "next" }]))).baseOffset).toBe(end);
      expect((await readAll(again, { from: end - 1 })).map((r) => r.offset)).toEqual([end - 1, end]);
      expect((await readAll(again)).at(-1)?.key).toBe("next");
    });

    it("does not append an idempotent producer's retried batch again, and fences sequence gaps and old epochs", async () => {
      const log = await topicLog(t.s, "idempotent");
      expect((await log.append(batch(keys(3, "a"), producer(0)))).baseOffset).toBe(0);
      expect((await log.append(batch(keys(2, "b"), producer(3)))).baseOffset).toBe(3);
      const retry = await log.append(batch(keys(2, "b"), producer(3)));
      expect(retry.duplicateOf).toEqual({ firstOffset: 3, lastOffset: 4 });
      expect(retry.baseOffset).toBe(3);
      expect(log.logEndOffset).toBe(5);
      expect((await log.append(batch(keys(1, "gap"), producer(10)))).error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
      expect((await log.append(batch(keys(1, "e1"), producer(0, 1)))).baseOffset).toBe(5);
      expect((await log.append(batch(keys(1, "e0"), producer(5, 0)))).error).toBe("INVALID_PRODUCER_EPOCH");
      expect(log.logEndOffset).toBe(6);
      expect(log.producers()).toEqual([expect.objectContaining({ producerId: 42, producerEpoch: 1, lastSequence: 0, currentTxnStartOffset: -1 })]);
    });

    it("still knows a producer's last batches after a reopen: the retry is a duplicate and the next sequence is taken", async () => {
      const log = await topicLog(t.s, "producer-reopen", { "segment.bytes": "1000" });
      for (let i = 0; i < 8; i++) await log.append(batch(keys(2, `p${i}-`), producer(2 * i)));
      const again = await reopen("producer-reopen");
      const retry = await again.append(batch(keys(2, "p7-"), producer(14)));
      expect(retry.duplicateOf).toEqual({ firstOffset: 14, lastOffset: 15 });
      expect(again.logEndOffset).toBe(16);
      expect((await again.append(batch(keys(1, "gap"), producer(20)))).error).toBe("OUT_OF_ORDER_SEQUENCE_NUMBER");
      expect((await again.append(batch(keys(1, "next"), producer(16)))).baseOffset).toBe(16);
    });

    it("keeps an open transaction open across a reopen (the last stable offset stays at its first offset)", async () => {
      const log = await topicLog(t.s, "txn-reopen");
      await log.append(batch(keys(2, "plain")));
      await log.append(batch(keys(2, "t"), { producerId: 9, producerEpoch: 0, baseSequence: 0, transactional: true }));
      expect(log.lastStableOffset).toBe(2);
      const again = await reopen("txn-reopen");
      expect([again.lastStableOffset, again.logEndOffset]).toEqual([2, 4]);
      expect(again.producers()).toEqual([expect.objectContaining({ producerId: 9, currentTxnStartOffset: 2 })]);
      await again.appendTxnMarker({ producerId: 9, producerEpoch: 0, coordinatorEpoch: 0, commit: true });
      expect(again.lastStableOffset).toBe(5);
    });

    it("forgets producers idle past producer.id.expiration.ms; a forgotten producer's batch is taken as new", async () => {
      await t.reopen({ producerIdExpirationMs: 60_000 });
      const log = await topicLog(t.s, "expiry");
      await log.append(batch(keys(1, "x"), producer(0)));
      expect(t.s.logs.removeExpiredProducers(T0 + 30_000)).toBe(0);
      expect(log.producers()).toHaveLength(1);
      expect(t.s.logs.removeExpiredProducers(T0 + 60_000)).toBe(1);
      expect(log.producers()).toEqual([]);
      const again = await log.append(batch(keys(1, "x"), producer(0)));
      expect([again.duplicateOf, again.baseOffset]).toEqual([undefined, 1]);
    });
  });
}
