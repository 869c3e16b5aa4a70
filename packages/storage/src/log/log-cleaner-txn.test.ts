import { describe, it, expect } from "vitest";
import { MemoryFileSystem } from "../fs/memory-file-system.js";
import { UnifiedLog } from "./unified-log.js";
import { LogCleaner } from "./log-cleaner.js";
import { defaultLogConfig } from "./log-config.js";
import { noopLogger } from "../logger.js";
import { readBatchHeader } from "../record/batch.js";
import { buildRecordBatch } from "../record/records.js";
import { endOffsetOf } from "./aborted-transactions.js";

const txn = (pid: number, seq: number, key: string, value: string): Buffer =>
  buildRecordBatch([{ key, value }], { producerId: pid, producerEpoch: 0, baseSequence: seq, attributes: 0x10, timestamp: 500 });

/** Base offsets of every batch of the log. */
async function batches(log: UnifiedLog): Promise<number[]> {
  const out: number[] = [];
  for (let offset = log.logStartOffset; offset < log.logEndOffset; ) {
    const buf = (await log.read(offset, { maxBytes: 1 << 20 })).records[0];
    if (!buf) break;
    for (let pos = 0; pos < buf.length; pos += readBatchHeader(buf, pos).batchLength + 12) out.push(readBatchHeader(buf, pos).baseOffset);
    offset = endOffsetOf(buf);
  }
  return out;
}

describe("LogCleaner and transactions (Kafka's CleanedTransactionMetadata rules)", () => {
  it("removes aborted data at once, keeps its marker while data was seen, then removes markers after delete.retention.ms", async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir("/d");
    const config = { ...defaultLogConfig, cleanupPolicy: ["compact"] as typeof defaultLogConfig.cleanupPolicy, deleteRetentionMs: 100 };
    const log = await UnifiedLog.open({ fs, dir: "/d/t-0", topic: "t", partition: 0, config });
    await log.append(txn(1, 0, "a", "aborted")); // 0
    await log.append(txn(2, 0, "b", "kept")); // 1
    await log.appendTxnMarker({ producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, commit: false }, { nowMs: 500 }); // 2
    await log.appendTxnMarker({ producerId: 2, producerEpoch: 0, coordinatorEpoch: 0, commit: true }, { nowMs: 500 }); // 3
    await log.roll();
    await log.append(txn(1, 1, "a", "committed")); // 4
    await log.appendTxnMarker({ producerId: 1, producerEpoch: 0, coordinatorEpoch: 0, commit: true }, { nowMs: 500 }); // 5
    await log.roll();
    await log.append(buildRecordBatch([{ key: "z", value: "z" }], { timestamp: 500 })); // 6, active segment
    await log.flush();
    const cleaner = new LogCleaner({ fs, logger: noopLogger, time: () => 1000 });

    const s1 = await cleaner.clean(log, 1000);
    expect(s1.recordsRemoved).toBe(1);
    expect(await batches(log)).toEqual([1, 2, 3, 4, 5, 6]);
    const first = log.segments.values()[0]!;
    expect(first.txnIndex.allAbortedTxns()).toEqual([{ producerId: 1, firstOffset: 0, lastOffset: 2, lastStableOffset: 1 }]);
    expect((await log.read(1, { maxBytes: 1 << 20, isolation: "READ_COMMITTED" })).abortedTransactions).toEqual([{ producerId: 1, firstOffset: 0 }]);

    // No data of the aborted transaction is left: its marker gets a horizon, then goes after it.
    cleaner.restore(log, 0);
    await cleaner.clean(log, 2000);
    expect(await batches(log)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(log.segments.values()[0]!.txnIndex.allAbortedTxns()).toEqual([]);
    await cleaner.clean(log, 2050);
    expect(await batches(log)).toEqual([1, 2, 3, 4, 5, 6]);
    await cleaner.clean(log, 2200);
    expect(await batches(log)).toEqual([1, 3, 4, 5, 6]);
    await log.close();
  });

  it("never cleans at or past the first unstable offset", async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir("/d");
    const config = { ...defaultLogConfig, cleanupPolicy: ["compact"] as typeof defaultLogConfig.cleanupPolicy };
    const log = await UnifiedLog.open({ fs, dir: "/d/t-0", topic: "t", partition: 0, config });
    await log.append(txn(1, 0, "a", "1")); // 0: open
    await log.roll();
    await log.append(buildRecordBatch([{ key: "a", value: "2" }], { timestamp: 500 })); // 1
    await log.roll();
    await log.flush();
    const cleaner = new LogCleaner({ fs, logger: noopLogger, time: () => 1000 });
    expect((await cleaner.clean(log, 1000)).recordsRemoved).toBe(0);
    expect(await batches(log)).toEqual([0, 1]);
    await log.close();
  });
});
