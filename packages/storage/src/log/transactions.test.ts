import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { buildControlBatch } from "@odradek/codec";
import { fsFactories, batchOf } from "../test-support/fixtures.js";
import type { FileSystem } from "../fs/file-system.js";
import { MemoryFileSystem } from "../fs/memory-file-system.js";
import { UnifiedLog } from "./unified-log.js";
import { defaultLogConfig } from "./log-config.js";
import type { LogConfig } from "./log-config.js";
import { readBatchHeader } from "../record/batch.js";
import { endOffsetOf } from "./aborted-transactions.js";

const TXN = 0x10;
/** A transactional batch of `n` records from producer `pid` (epoch 0 unless given). */
const txn = (pid: number, seq: number, n = 1, epoch = 0): Buffer => batchOf(n, { producerId: pid, producerEpoch: epoch, baseSequence: seq, attributes: TXN, prefix: `p${pid}-${seq}` });
const idem = (pid: number, seq: number, n = 1, epoch = 0): Buffer => batchOf(n, { producerId: pid, producerEpoch: epoch, baseSequence: seq });
const marker = (pid: number, commit: boolean, coordinatorEpoch = 0, producerEpoch = 0) => ({ producerId: pid, producerEpoch, coordinatorEpoch, commit });

/** Base offsets of the batches a read returned. */
function baseOffsets(records: Buffer[]): number[] {
  const out: number[] = [];
  for (const buf of records) {
    for (let pos = 0; pos < buf.length; ) {
      const h = readBatchHeader(buf, pos);
      out.push(h.baseOffset);
      pos += h.batchLength + 12;
    }
  }
  return out;
}

describe.each(fsFactories)("transactions in the partition log ($name fs)", (factory) => {
  let fs: FileSystem;
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ fs, root, cleanup } = factory.make()));
  afterEach(() => cleanup());
  const dir = (): string => `${root}/t-0`;
  const open = (config: Partial<LogConfig> = {}, recoveryPoint?: number) =>
    UnifiedLog.open({ fs, dir: dir(), topic: "t", partition: 0, config: { ...defaultLogConfig, ...config }, ...(recoveryPoint === undefined ? {} : { recoveryPoint }) });

  it("two interleaved producers: LSO is the first unstable offset, aborted list in marker order", async () => {
    const log = await open();
    expect(log.lastStableOffset).toBe(0);
    expect((await log.append(txn(1, 0, 2))).baseOffset).toBe(0); // 0-1, producer 1 opens at 0
    expect(log.lastStableOffset).toBe(0);
    await log.append(txn(2, 0, 2)); // 2-3, producer 2 opens at 2
    expect(log.lastStableOffset).toBe(0);
    expect((await log.appendTxnMarker(marker(1, true))).baseOffset).toBe(4); // commit 1
    expect(log.lastStableOffset).toBe(2);
    await log.append(txn(2, 2)); // 5
    expect((await log.appendTxnMarker(marker(2, false))).baseOffset).toBe(6); // abort 2
    // The offset after the abort marker: nothing is open.
    expect(log.lastStableOffset).toBe(7);
    expect(log.highWatermark).toBe(7);
    await log.append(txn(1, 2, 2)); // 7-8, producer 1 opens at 7
    await log.append(txn(2, 3)); // 9, producer 2 opens at 9
    expect(log.lastStableOffset).toBe(7);

    // read_committed stops at the LSO: whole batches below 7, with the abort of producer 2.
    const r = await log.read(0, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" });
    expect(baseOffsets(r.records)).toEqual([0, 2, 4, 5, 6]);
    expect(r.lastStableOffset).toBe(7);
    expect(r.abortedTransactions).toEqual([{ producerId: 2, firstOffset: 2 }]);
    const atLso = await log.read(7, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" });
    expect(atLso.records).toEqual([]);
    expect(atLso.abortedTransactions).toEqual([]);
    const beyondLso = await log.read(9, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" });
    expect(beyondLso.error).toBeUndefined();
    expect(beyondLso.records).toEqual([]);
    const uncommitted = await log.read(0, { maxBytes: 1 << 20 });
    expect(baseOffsets(uncommitted.records)).toEqual([0, 2, 4, 5, 6, 7, 9]);
    expect(uncommitted.abortedTransactions).toBeUndefined();

    expect((await log.appendTxnMarker(marker(1, false))).baseOffset).toBe(10); // abort 1, 2 still open at 9
    expect(log.lastStableOffset).toBe(9);
    expect((await log.appendTxnMarker(marker(2, true))).baseOffset).toBe(11);
    expect(log.lastStableOffset).toBe(12);
    // Kafka's index entries: the LSO of an abort is the other producer's open transaction, else marker + 1.
    expect(log.segments.active.txnIndex.allAbortedTxns()).toEqual([
      { producerId: 2, firstOffset: 2, lastOffset: 6, lastStableOffset: 7 },
      { producerId: 1, firstOffset: 7, lastOffset: 10, lastStableOffset: 9 },
    ]);
    const all = await log.read(0, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" });
    expect(baseOffsets(all.records)).toEqual([0, 2, 4, 5, 6, 7, 9, 10, 11]);
    expect(all.abortedTransactions).toEqual([{ producerId: 2, firstOffset: 2 }, { producerId: 1, firstOffset: 7 }]);
    // From 7: the abort of producer 2 ended at 6, before the fetch offset.
    expect((await log.read(7, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" })).abortedTransactions).toEqual([{ producerId: 1, firstOffset: 7 }]);
    // A read ending before an aborted transaction starts does not report it.
    const first = await log.read(0, { maxBytes: 1, isolation: "READ_COMMITTED" });
    expect(baseOffsets(first.records)).toEqual([0]);
    expect(first.abortedTransactions).toEqual([]);
    expect(log.producers().sort((a, b) => a.producerId - b.producerId)).toEqual([
      { producerId: 1, producerEpoch: 0, lastSequence: 3, lastTimestamp: expect.any(Number), coordinatorEpoch: 0, currentTxnStartOffset: -1 },
      { producerId: 2, producerEpoch: 0, lastSequence: 3, lastTimestamp: expect.any(Number), coordinatorEpoch: 0, currentTxnStartOffset: -1 },
    ]);
    await log.close();
  });

  it("refuses non-transactional data inside a transaction, old epochs and fenced coordinators", async () => {
    const log = await open();
    await log.append(txn(1, 0));
    expect(await log.append(idem(1, 1))).toMatchObject({ error: "INVALID_TXN_STATE", errorMessage: "Expected transactional write from producer 1 at offset 1 in partition t-0" });
    expect(log.producers()[0]).toMatchObject({ currentTxnStartOffset: 0, coordinatorEpoch: -1 });
    expect((await log.appendTxnMarker(marker(1, true, 5))).error).toBeUndefined();
    // After the marker the producer may write outside a transaction.
    expect((await log.append(idem(1, 1))).error).toBeUndefined();
    await log.append(txn(1, 2));
    expect((await log.appendTxnMarker(marker(1, false, 4))).error).toBe("TRANSACTION_COORDINATOR_FENCED");
    // An epoch bump (KIP-890 markers carry the next epoch) clears the sequences; an older epoch is refused.
    expect((await log.appendTxnMarker(marker(1, false, 5, 1))).error).toBeUndefined();
    expect((await log.appendTxnMarker(marker(1, false, 5, 0))).error).toBe("INVALID_PRODUCER_EPOCH");
    expect((await log.append(txn(1, 0, 1, 1))).error).toBeUndefined();
    expect(log.lastStableOffset).toBe(log.logEndOffset - 1);
    // A marker of an empty transaction completes nothing, and indexes nothing.
    await log.appendTxnMarker(marker(7, false));
    expect(log.segments.active.txnIndex.allAbortedTxns().map((t) => t.producerId)).toEqual([1]);
    await log.close();
  });

  it("refuses control batches from clients (INVALID_RECORD) and takes them from the coordinator", async () => {
    const log = await open();
    await log.append(txn(3, 0));
    const control = (): Buffer => buildControlBatch({ commit: false, producerId: 3, producerEpoch: 0, coordinatorEpoch: 0, timestamp: 1 });
    expect(await log.append(control())).toMatchObject({ error: "INVALID_RECORD", errorMessage: "Clients are not allowed to write control records in topic partition t-0" });
    expect(await log.append(control(), { origin: "client" })).toMatchObject({ error: "INVALID_RECORD" });
    expect(log.logEndOffset).toBe(1);
    expect(await log.append(control(), { origin: "coordinator" })).toMatchObject({ baseOffset: 1 });
    expect(log.lastStableOffset).toBe(2);
    await log.close();
  });

  it(".txnindex: Kafka's 34-byte entries, kept across close/reopen, rebuilt with its segment, even for a transaction spanning segments", async () => {
    const log = await open();
    await log.append(txn(1, 0, 2)); // 0-1
    await log.roll();
    await log.append(txn(1, 2)); // 2
    await log.appendTxnMarker(marker(1, false, 3)); // 3, in segment 2
    await log.append(txn(2, 0)); // 4, still open at close
    await log.close();
    const path = `${dir()}/00000000000000000002.txnindex`;
    const bytes = await fs.readFile(path);
    const expected = Buffer.alloc(34);
    expected.writeInt16BE(0, 0);
    expected.writeBigInt64BE(1n, 2); // producerId
    expected.writeBigInt64BE(0n, 10); // firstOffset
    expected.writeBigInt64BE(3n, 18); // lastOffset (the marker)
    expected.writeBigInt64BE(4n, 26); // lastStableOffset
    expect(bytes).toEqual(expected);
    // Created at the first abort only (Kafka's lazy TransactionIndex): segment 0 holds no marker.
    expect(await fs.stat(`${dir()}/00000000000000000000.txnindex`)).toBeNull();

    const reopened = await open({}, 5);
    expect(reopened.lastStableOffset).toBe(4);
    expect((await reopened.read(0, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" })).abortedTransactions).toEqual([{ producerId: 1, firstOffset: 0 }]);
    await reopened.close();

    // Deleted with the offset index (a missing .txnindex alone is an empty one), and the snapshots
    // too: rebuilt by replaying from the log start.
    await fs.unlink(path);
    await fs.unlink(`${dir()}/00000000000000000002.index`);
    for (const n of await fs.readdir(dir())) if (n.endsWith(".snapshot")) await fs.unlink(`${dir()}/${n}`);
    const rebuilt = await open({}, 5);
    expect(await fs.readFile(path)).toEqual(expected);
    expect(rebuilt.lastStableOffset).toBe(4);
    const r = await rebuilt.read(2, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" });
    expect(baseOffsets(r.records)).toEqual([2, 3]);
    expect(r.abortedTransactions).toEqual([{ producerId: 1, firstOffset: 0 }]);
    // The transaction left open at close is closed by a marker after the restart.
    await rebuilt.appendTxnMarker(marker(2, false));
    expect(rebuilt.lastStableOffset).toBe(6);
    // A read returns batches of one segment: from 0, those of the first (0-1), which only the abort of 1 overlaps.
    expect((await rebuilt.read(0, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" })).abortedTransactions).toEqual([{ producerId: 1, firstOffset: 0 }]);
    expect((await rebuilt.read(2, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" })).abortedTransactions).toEqual([{ producerId: 1, firstOffset: 0 }, { producerId: 2, firstOffset: 4 }]);
    await rebuilt.close();
  });

  it("a segment gets its .txnindex at its first abort only; it stays across restarts and recovery", async () => {
    const txnIndexes = async (): Promise<string[]> => (await fs.readdir(dir())).filter((n) => n.endsWith(".txnindex")).sort();
    const log = await open();
    await log.append(txn(1, 0)); // 0
    await log.appendTxnMarker(marker(1, true)); // 1: a commit is not indexed
    await log.roll();
    await log.append(txn(2, 0)); // 2
    await log.flush();
    expect(await txnIndexes()).toEqual([]);
    expect((await log.read(0, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" })).abortedTransactions).toEqual([]);
    await log.appendTxnMarker(marker(2, false)); // 3: aborts 2-2 in segment 2
    await log.roll();
    await log.append(idem(3, 0)); // 4, segment 4: no abort
    await log.close();
    expect(await txnIndexes()).toEqual(["00000000000000000002.txnindex"]);
    const bytes = await fs.readFile(`${dir()}/00000000000000000002.txnindex`);
    expect(bytes.length).toBe(34);
    const aborted = [{ producerId: 2, firstOffset: 2 }];
    // A clean restart loads it; a recovery from offset 0 (every segment validated again) rebuilds it.
    for (const recoveryPoint of [5, 0]) {
      const again = await open({}, recoveryPoint);
      expect(again.logEndOffset).toBe(5);
      expect((await again.read(2, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" })).abortedTransactions).toEqual(aborted);
      expect((await again.read(4, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" })).abortedTransactions).toEqual([]);
      await again.close();
      expect(await txnIndexes()).toEqual(["00000000000000000002.txnindex"]);
      expect(await fs.readFile(`${dir()}/00000000000000000002.txnindex`)).toEqual(bytes);
    }
  });

  it("truncation cuts .txnindex entries and reopens transactions from the producer state", async () => {
    const log = await open();
    await log.append(txn(1, 0)); // 0
    await log.appendTxnMarker(marker(1, false)); // 1
    await log.append(txn(1, 1)); // 2
    await log.appendTxnMarker(marker(1, false)); // 3
    expect(log.segments.active.txnIndex.allAbortedTxns()).toHaveLength(2);
    await log.truncateTo(3);
    expect(log.segments.active.txnIndex.allAbortedTxns()).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 1, lastStableOffset: 2 }]);
    expect(log.lastStableOffset).toBe(2);
    await log.appendTxnMarker(marker(1, true));
    expect(log.lastStableOffset).toBe(4);
    await log.close();
  });

  it("snapshots in Kafka's layout keep open transactions; an old odradek snapshot falls back to replay", async () => {
    const log = await open();
    await log.append(txn(1, 0, 3)); // 0-2
    await log.append(idem(2, 0)); // 3
    await log.append(txn(5, 0)); // 4
    await log.appendTxnMarker(marker(5, true, 2)); // 5
    const before = log.producers();
    await log.close();
    const snap = await fs.readFile(`${dir()}/00000000000000000006.snapshot`);
    expect(snap.readInt16BE(0)).toBe(1);
    expect(snap.readInt32BE(6)).toBe(3);
    expect(snap.length).toBe(10 + 3 * 46);
    const again = await open({}, 6);
    expect(again.producers()).toEqual(before);
    expect(again.lastStableOffset).toBe(0);
    // Only the last batch is in a snapshot: its retry is still a duplicate.
    expect(await again.append(txn(1, 0, 3))).toMatchObject({ duplicateOf: { firstOffset: 0, lastOffset: 2 } });
    await again.close();

    // odradek's earlier format: int8 version 1, CRC, offset, count... → not a snapshot, replayed.
    const old = Buffer.alloc(17);
    old.writeInt8(1, 0);
    old.writeBigInt64BE(6n, 5);
    await fs.writeFile(`${dir()}/00000000000000000006.snapshot`, old);
    const replayed = await open({}, 6);
    expect(replayed.producers()).toEqual(before);
    expect(replayed.lastStableOffset).toBe(0);
    expect(await fs.stat(`${dir()}/00000000000000000006.snapshot`)).toBeNull(); // deleted as invalid
    await replayed.appendTxnMarker(marker(1, false, 2));
    expect(replayed.lastStableOffset).toBe(7);
    await replayed.close();
    expect((await fs.readFile(`${dir()}/00000000000000000007.snapshot`)).readInt16BE(0)).toBe(1);
  });
});

describe("kill -9 after an abort in the active segment (in-memory fs)", () => {
  it("the abort flushed with the log survives the crash", async () => {
    const fs = new MemoryFileSystem(3);
    await fs.mkdir("/d");
    const open = (f: MemoryFileSystem, recoveryPoint: number) => UnifiedLog.open({ fs: f, dir: "/d/t-0", topic: "t", partition: 0, config: defaultLogConfig, recoveryPoint });
    const log = await open(fs, 0);
    await log.append(txn(1, 0, 2)); // 0-1
    await log.appendTxnMarker(marker(1, false)); // 2
    await log.append(idem(2, 0)); // 3
    await log.flush();
    const recovered = await open(fs.afterCrash("strict"), log.recoveryPoint);
    expect(recovered.logEndOffset).toBe(4);
    expect((await recovered.read(0, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" })).abortedTransactions).toEqual([{ producerId: 1, firstOffset: 0 }]);
    await recovered.close();
  });
});

describe("kill -9 with a transaction open (in-memory fs, unflushed tail lost)", () => {
  for (const mode of ["strict", "random", "lenient"] as const) {
    it(`keeps the transaction open after recovery and a marker closes it (${mode})`, async () => {
      const fs = new MemoryFileSystem(3);
      await fs.mkdir("/d");
      const config = { ...defaultLogConfig, segmentBytes: 400 };
      const open = (f: MemoryFileSystem, recoveryPoint: number) => UnifiedLog.open({ fs: f, dir: "/d/t-0", topic: "t", partition: 0, config, recoveryPoint });
      const log = await open(fs, 0);
      let seq2 = 0;
      for (let i = 0; i < 6; i++) await log.append(idem(2, seq2++)); // several segments
      await log.append(txn(1, 0)); // 6: open
      for (let i = 0; i < 6; i++) await log.append(idem(2, seq2++));
      await log.append(txn(3, 0)); // 13: open, aborted below
      await log.appendTxnMarker(marker(3, false));
      await log.flush();
      const recoveryPoint = log.recoveryPoint;
      const flushedEnd = log.logEndOffset;
      // Unflushed: a commit of producer 1 and more data, lost in strict mode.
      await log.appendTxnMarker(marker(1, true));
      for (let i = 0; i < 3; i++) await log.append(idem(2, seq2++));
      const after = fs.afterCrash(mode, 11);
      const recovered = await open(after, recoveryPoint);
      expect(recovered.logEndOffset).toBeGreaterThanOrEqual(flushedEnd);
      if (mode === "strict") expect(recovered.logEndOffset).toBe(flushedEnd);
      if (mode === "lenient") expect(recovered.logEndOffset).toBeGreaterThan(flushedEnd);
      if (recovered.logEndOffset === flushedEnd) {
        expect(recovered.lastStableOffset).toBe(6);
        expect((await recovered.read(0, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" })).abortedTransactions).toEqual([]);
        await recovered.appendTxnMarker(marker(1, false));
        expect(recovered.lastStableOffset).toBe(recovered.logEndOffset);
      } else {
        expect(recovered.lastStableOffset).toBe(recovered.logEndOffset);
      }
      let offset = 0;
      const aborted: number[] = [];
      while (offset < recovered.lastStableOffset) {
        const r = await recovered.read(offset, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" });
        for (const t of r.abortedTransactions!) aborted.push(t.producerId);
        offset = endOffsetOf(r.records[0]!);
      }
      expect(aborted).toContain(3);
      await recovered.close();
    });
  }
});
