import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { buildRecordBatchAsync, CompressionCodec, readRecordsAsync, validateBatch } from "@odradek/codec";
import type { RecordInput } from "@odradek/codec";
import { fsFactories } from "../test-support/fixtures.js";
import type { FileSystem } from "../fs/file-system.js";
import { UnifiedLog } from "./unified-log.js";
import { LogCleaner } from "./log-cleaner.js";
import { defaultLogConfig, parseLogConfig } from "./log-config.js";
import { noopLogger } from "../logger.js";
import { readBatchHeader } from "../record/batch.js";
import type { RecordBatchHeader } from "../record/batch.js";

const codecs = [
  ["gzip", CompressionCodec.gzip],
  ["snappy", CompressionCodec.snappy],
  ["lz4", CompressionCodec.lz4],
  ["zstd", CompressionCodec.zstd],
] as const;

interface Seen {
  h: RecordBatchHeader;
  records: { key: string | null; value: string | null; offset: number; timestamp: number }[];
}

/** Every batch of the log with its decoded records. */
async function dump(log: UnifiedLog): Promise<Seen[]> {
  const out: Seen[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const buf = (await log.read(offset, { maxBytes: 1 << 20 })).records[0];
    if (!buf) break;
    for (let pos = 0; pos < buf.length; ) {
      const h = validateBatch(buf, pos);
      const end = pos + h.batchLength + 12;
      const records = (await readRecordsAsync(buf.subarray(pos, end))).map((r) => ({
        key: r.key?.toString() ?? null,
        value: r.value?.toString() ?? null,
        offset: h.baseOffset + r.offsetDelta,
        timestamp: h.baseTimestamp + r.timestampDelta,
      }));
      out.push({ h, records });
      offset = h.baseOffset + h.lastOffsetDelta + 1;
      pos = end;
    }
  }
  return out;
}

describe.each(fsFactories)("LogCleaner: compressed batches, incremental passes, bounded map ($name fs)", (factory) => {
  let fs: FileSystem;
  let root: string;
  let cleanup: () => void;
  beforeEach(() => ({ fs, root, cleanup } = factory.make()));
  afterEach(() => cleanup());

  it.each(codecs)("%s: keys enter the map, batches are filtered and recompressed, tombstones go after the KIP-534 horizon", async (_name, codec) => {
    const config = parseLogConfig({ "cleanup.policy": "compact", "delete.retention.ms": "1000" }, defaultLogConfig);
    const open = (recoveryPoint = 0) => UnifiedLog.open({ fs, dir: `${root}/c-0`, topic: "c", partition: 0, config, recoveryPoint });
    const log = await open();
    const t0 = 50_000;
    const batch = (records: RecordInput[], extra: { producerId?: number; baseSequence?: number } = {}) =>
      buildRecordBatchAsync({ compression: codec, records, producerEpoch: extra.producerId === undefined ? -1 : 0, ...extra });
    const rec = (key: string | null, value: string | null, dt: number): RecordInput => ({ key, value, timestamp: t0 + dt, headers: [{ key: "h", value: `${key}` }] });
    await log.append(await batch([rec("a", "a1", 0), rec("b", "b1", 1), rec("c", "c1", 2)], { producerId: 7, baseSequence: 0 })); // 0-2
    // A keyless record (written before the topic was compacted) only gets in as a coordinator's append: a client's is refused.
    await log.append(await batch([rec("a", "a2", 10), rec("b", null, 11), rec(null, "n1", 12)]), { origin: "coordinator" }); // 3-5
    await log.append(await batch([rec("c", "c3", 20)], { producerId: 7, baseSequence: 3 })); // 6
    await log.append(await batch([rec("d", "d1", 30), rec("e", "e1", 31)])); // 7-8
    await log.roll();
    await log.flush();
    const cleaner = new LogCleaner({ fs, logger: noopLogger, time: () => t0 });

    const first = await cleaner.clean(log, t0 + 100);
    expect(first.recordsRemoved).toBe(3); // a1 b1 c1, superseded
    let batches = await dump(log);
    // The producer's emptied batch 0-2 is dropped: it is not that producer's last (offset 6 is).
    expect(batches[0]!.h.baseOffset).toBe(3);
    // The tombstone's batch: same codec, the delete horizon set, timestamps and offsets unchanged.
    const b1 = batches[0]!;
    expect(b1.h.attributes & 0x07).toBe(codec);
    expect(b1.h.attributes & 0x40).toBe(0x40);
    expect(b1.h.baseTimestamp).toBe(t0 + 100 + 1000);
    expect(b1.h).toMatchObject({ baseOffset: 3, lastOffsetDelta: 2, maxTimestamp: t0 + 12 });
    expect(b1.records).toEqual([
      { key: "a", value: "a2", offset: 3, timestamp: t0 + 10 },
      { key: "b", value: null, offset: 4, timestamp: t0 + 11 },
      { key: null, value: "n1", offset: 5, timestamp: t0 + 12 },
    ]);
    expect(batches.slice(1).map((b) => b.records.map((r) => r.key))).toEqual([["c"], ["d", "e"]]);
    expect(batches[1]!.h.attributes & 0x47).toBe(codec); // untouched: no horizon

    // Before the horizon nothing changes; at it the tombstone goes, the horizon stays.
    expect((await cleaner.clean(log, t0 + 1099)).recordsRemoved).toBe(0);
    expect((await cleaner.clean(log, t0 + 1100)).recordsRemoved).toBe(1);
    batches = await dump(log);
    expect(batches[0]!.records.map((r) => [r.key, r.offset, r.timestamp])).toEqual([
      ["a", 3, t0 + 10],
      [null, 5, t0 + 12],
    ]);
    expect(batches[0]!.h.lastOffsetDelta).toBe(2);
    expect(log.logEndOffset).toBe(9);
    // The producer's last sequence survived compaction: a retry is still a duplicate.
    const retry = await log.append(await batch([rec("c", "c3", 20)], { producerId: 7, baseSequence: 3 }));
    expect(retry.duplicateOf).toEqual({ firstOffset: 6, lastOffset: 6 });
    await log.close();

    // Every rewritten batch passes full recovery (CRC) on a reopen.
    const again = await open(0);
    expect(again.logEndOffset).toBe(9);
    expect((await dump(again)).flatMap((b) => b.records.map((r) => r.key))).toEqual(["a", null, "c", "d", "e"]);
    expect(await again.offsetForTimestamp(t0 + 11)).toMatchObject({ offset: 5, timestamp: t0 + 12 });
    await again.close();
  });

  it("keeps uncompressed batches' record timestamps when re-basing them", async () => {
    const config = parseLogConfig({ "cleanup.policy": "compact" }, defaultLogConfig);
    const log = await UnifiedLog.open({ fs, dir: `${root}/u-0`, topic: "u", partition: 0, config });
    await log.append(await buildRecordBatchAsync({ records: [{ key: "k", value: "1", timestamp: 1000 }, { key: "j", value: "2", timestamp: 900 }] }));
    await log.append(await buildRecordBatchAsync({ records: [{ key: "k", value: "3", timestamp: 2000 }] }));
    await log.roll();
    await log.flush();
    await new LogCleaner({ fs, logger: noopLogger, time: () => 5000 }).clean(log, 5000);
    const [b0] = await dump(log);
    expect(b0!.h).toMatchObject({ baseTimestamp: 900, maxTimestamp: 900, lastOffsetDelta: 1, recordCount: 1 });
    expect(b0!.records).toEqual([{ key: "j", value: "2", offset: 1, timestamp: 900 }]);
    expect(readBatchHeader((await log.read(2, { maxBytes: 100 })).records[0]!).baseOffset).toBe(2);
    await log.close();
  });

  it("keeps an emptied batch's header only when it is its producer's last batch", async () => {
    const config = parseLogConfig({ "cleanup.policy": "compact" }, defaultLogConfig);
    const open = () => UnifiedLog.open({ fs, dir: `${root}/p-0`, topic: "p", partition: 0, config, recoveryPoint: 0 });
    const log = await open();
    const mine = (seq: number, key: string) => buildRecordBatchAsync({ records: [{ key, value: `${seq}`, timestamp: 1000 }], producerId: 9, producerEpoch: 0, baseSequence: seq });
    await log.append(await mine(0, "x")); // 0: emptied, not the last of producer 9 → dropped
    await log.append(await mine(1, "y")); // 1: emptied, the last of producer 9 → header kept
    await log.append(await buildRecordBatchAsync({ records: [{ key: "x", value: "new", timestamp: 1000 }, { key: "y", value: "new", timestamp: 1000 }] })); // 2-3
    await log.roll();
    await log.flush();
    await new LogCleaner({ fs, logger: noopLogger, time: () => 5000 }).clean(log, 5000);
    const batches = await dump(log);
    expect(batches.map((b) => [b.h.baseOffset, b.h.recordCount, b.h.producerId])).toEqual([[1, 0, 9], [2, 2, -1]]);
    await log.close();
    // After a full recovery the producer's last sequence is still known: a retry is a duplicate.
    const again = await open();
    expect((await again.append(await mine(1, "y"))).duplicateOf).toEqual({ firstOffset: 1, lastOffset: 1 });
    await again.close();
  });

  // Incremental passes with a bounded offset map.

  /** 12 segments of 10 single-record batches over keys k0..k14 (a key repeats every 15 offsets). */
  async function filled(dir: string): Promise<UnifiedLog> {
    const config = parseLogConfig({ "cleanup.policy": "compact" }, defaultLogConfig);
    const log = await UnifiedLog.open({ fs, dir: `${root}/${dir}`, topic: "c", partition: 0, config });
    for (let i = 0; i < 120; i++) {
      await log.append(await buildRecordBatchAsync({ records: [{ key: `k${i % 15}`, value: `v${i}`, timestamp: Date.now() }] }));
      if (i % 10 === 9) await log.roll();
    }
    await log.flush();
    return log;
  }
  const survivors = async (log: UnifiedLog) => (await dump(log)).flatMap((b) => b.records.map((r) => `${r.offset}:${r.key}=${r.value}`));

  it("a map smaller than the dirty range cleans in several passes to the same log as one unbounded pass", async () => {
    const whole = await filled("whole");
    await new LogCleaner({ fs, logger: noopLogger, time: () => 0 }).clean(whole);
    const expected = await survivors(whole);
    // The newest of each key among offsets 0..119 (every segment is closed and below the recovery point).
    expect(expected).toEqual(Array.from({ length: 15 }, (_, k) => 105 + k).map((o) => `${o}:k${o % 15}=v${o}`));

    const bounded = await filled("bounded");
    const cleaner = new LogCleaner({ fs, logger: noopLogger, time: () => 0, maxMapEntries: 12 });
    // 12 keys hold one 10-offset segment per pass: the first pass maps offsets 0-9 only (nothing to
    // remove yet), each later one the next segment, until the 12 closed segments are done.
    await cleaner.clean(bounded);
    expect(await survivors(bounded)).toHaveLength(120);
    await cleaner.clean(bounded);
    expect((await survivors(bounded)).filter((r) => r.startsWith("0:") || r.startsWith("5:"))).toEqual(["5:k5=v5"]);
    for (let i = 2; i < 11; i++) await cleaner.clean(bounded);
    expect(await survivors(bounded)).not.toEqual(expected); // the last segment is not mapped yet
    expect(await cleaner.clean(bounded)).not.toEqual({ segmentsRewritten: 0, recordsRemoved: 0 });
    expect(await survivors(bounded)).toEqual(expected);
    await whole.close();
    await bounded.close();
  });

  it("records of the clean section go when a newer value of their key arrives later", async () => {
    const log = await filled("incr");
    const cleaner = new LogCleaner({ fs, logger: noopLogger, time: () => 0 });
    await cleaner.clean(log);
    await log.append(await buildRecordBatchAsync({ records: [{ key: "k3", value: "late", timestamp: Date.now() }] })); // offset 120
    await log.roll();
    await log.flush();
    const s = await cleaner.clean(log);
    expect(s.recordsRemoved).toBe(1);
    const all = await survivors(log);
    expect(all.filter((r) => r.includes(":k3="))).toEqual(["120:k3=late"]);
    expect(all).toHaveLength(15);
    await log.close();
  });

  it("streams batches larger than its read chunk", async () => {
    const config = parseLogConfig({ "cleanup.policy": "compact", "max.message.bytes": "4000000" }, defaultLogConfig);
    const log = await UnifiedLog.open({ fs, dir: `${root}/big`, topic: "c", partition: 0, config });
    const big = "x".repeat(1_500_000); // past the 1 MiB chunk of LogSegment.batches
    await log.append(await buildRecordBatchAsync({ records: [{ key: "a", value: big }] }));
    await log.append(await buildRecordBatchAsync({ records: [{ key: "b", value: "small" }] }));
    await log.append(await buildRecordBatchAsync({ records: [{ key: "a", value: big + "2" }] }));
    await log.roll();
    await log.flush();
    const s = await new LogCleaner({ fs, logger: noopLogger, time: () => 0 }).clean(log);
    expect(s).toEqual({ segmentsRewritten: 1, recordsRemoved: 1 });
    const seen = await dump(log);
    expect(seen.map((b) => b.records.map((r) => `${r.offset}:${r.key}:${r.value?.length}`))).toEqual([["1:b:5"], ["2:a:1500001"]]);
    await log.close();
  });
});
