/**
 * The one validation of an append (log-validator.ts, record-validator.ts) as UnifiedLog.append runs
 * it: a client's batch is checked for shape, size, CRC, counts, control flag, keys, timestamps and
 * recompressed to the topic's codec; a coordinator's only for shape, CRC and producer state.
 * Failures are data with Kafka's names, and nothing is appended.
 */
import { describe, it, expect } from "vitest";
import { CompressionCodec, buildRecordBatchAsync, compressionOf, readBatchHeader, readRecordsAsync } from "@odradek/codec";
import { MemoryFileSystem } from "../fs/memory-file-system.js";
import { batchOf } from "../test-support/fixtures.js";
import { buildRecordBatch } from "../record/records.js";
import { UnifiedLog } from "./unified-log.js";
import { ManualClock } from "../clock.js";
import { defaultLogConfig } from "./log-config.js";
import type { LogConfig } from "./log-config.js";

const NOW = 1_700_000_000_000;
const open = (config: Partial<LogConfig> = {}) =>
  UnifiedLog.open({ fs: new MemoryFileSystem(), dir: "/d/t-0", topic: "t", partition: 0, config: { ...defaultLogConfig, ...config }, clock: new ManualClock(NOW) });

describe("append validation (LogValidator)", () => {
  it("refuses a client's batch above max.message.bytes, a coordinator's passes", async () => {
    const log = await open({ maxMessageBytes: 200 });
    const big = () => batchOf(1, { valueSize: 300, timestamp: NOW });
    expect(await log.append(big())).toMatchObject({ error: "MESSAGE_TOO_LARGE", baseOffset: -1 });
    expect(log.logEndOffset).toBe(0);
    expect(await log.append(big(), { origin: "coordinator" })).toMatchObject({ baseOffset: 0 });
    await log.close();
  });

  it("refuses magic 0/1 and other magics as Kafka names them", async () => {
    const log = await open();
    const b = batchOf(1, { timestamp: NOW });
    b.writeInt8(1, 16);
    expect(await log.append(b)).toMatchObject({ error: "UNSUPPORTED_FOR_MESSAGE_FORMAT", errorMessage: "magic 1 is not supported" });
    b.writeInt8(3, 16);
    expect(await log.append(b)).toMatchObject({ error: "CORRUPT_MESSAGE", errorMessage: "unknown magic 3" });
    expect(await log.append(Buffer.alloc(0))).toMatchObject({ error: "CORRUPT_MESSAGE" });
    await log.close();
  });

  it("lists keyless records of a compacted topic as record errors, with the log start offset", async () => {
    const log = await open({ cleanupPolicy: ["compact"] });
    const r = await log.append(buildRecordBatch([{ key: "a", value: "1" }, { key: null, value: "2" }], { timestamp: NOW }));
    expect(r).toMatchObject({ error: "INVALID_RECORD", logStartOffset: 0 });
    expect(r.recordErrors).toEqual([{ batchIndex: 1, batchIndexErrorMessage: "Compacted topic cannot accept message without key in topic partition t-0" }]);
    expect(log.logEndOffset).toBe(0);
    await log.close();
  });

  it("refuses CreateTime timestamps beyond message.timestamp.after.max.ms against the log's clock", async () => {
    const log = await open({ messageTimestampAfterMaxMs: 1000 });
    const r = await log.append(buildRecordBatch([{ key: "a", value: "1", timestamp: NOW + 5000 }]));
    expect(r).toMatchObject({ error: "INVALID_TIMESTAMP", recordErrors: [{ batchIndex: 0 }] });
    expect(await log.append(buildRecordBatch([{ key: "a", value: "1", timestamp: NOW + 500 }]))).toMatchObject({ baseOffset: 0 });
    await log.close();
  });

  it("recompresses to the topic's compression.type and stores the rebuilt batch", async () => {
    const log = await open({ compressionType: "lz4" });
    const gz = await buildRecordBatchAsync({ compression: CompressionCodec.gzip, records: [{ key: "k", value: "v", timestamp: NOW }] });
    expect(await log.append(gz)).toMatchObject({ baseOffset: 0 });
    const stored = (await log.read(0, { maxBytes: 1 << 20 })).records[0]!;
    expect(compressionOf(readBatchHeader(stored, 0).attributes)).toBe(CompressionCodec.lz4);
    expect((await readRecordsAsync(stored)).map((r) => r.value?.toString())).toEqual(["v"]);
    await log.close();
  });

  it("asks the transaction verifier for a transactional data batch, after the batch checks; its refusal is the result", async () => {
    const log = await open();
    const txn = (seq: number) => buildRecordBatch([{ key: "k", value: "v" }], { producerId: 4, producerEpoch: 0, baseSequence: seq, attributes: 0x10, timestamp: NOW });
    const asked: number[] = [];
    const refuse = async (b: { producerId: number }) => {
      asked.push(b.producerId);
      return { error: "INVALID_TXN_STATE" as const, errorMessage: "not in the transaction" };
    };
    const corrupt = txn(0);
    corrupt[corrupt.length - 1]! ^= 1;
    expect(await log.append(corrupt, { verifyTransaction: refuse })).toMatchObject({ error: "CORRUPT_MESSAGE" });
    expect(asked).toEqual([]);
    expect(await log.append(txn(0), { verifyTransaction: refuse })).toMatchObject({ error: "INVALID_TXN_STATE", errorMessage: "not in the transaction" });
    expect(asked).toEqual([4]);
    expect(await log.append(txn(0), { verifyTransaction: async () => null })).toMatchObject({ baseOffset: 0 });
    expect(log.lastStableOffset).toBe(0);
    await log.close();
  });
});
