/**
 * Timestamps as Kafka 4.4 computes them (issue 13, item 3), on a manual clock: the max timestamp comes
 * from the records and the stored header says so; segment.ms rolls from the first batch's timestamp
 * against the append's (or from creation against the clock); retention.ms measures from the largest
 * timestamp, else the last modification. The same batches against a live Kafka 4.4:
 * packages/broker/test/timestamps-kafka.test.ts.
 */
import { describe, it, expect, beforeEach, afterEach } from "vitest";
import { CompressionCodec, MAX_TIMESTAMP_OFFSET, buildRecordBatchAsync, updateBatchCrc, writeInt64 } from "@odradek/codec";
import { fsFactories } from "../test-support/fixtures.js";
import type { FileSystem } from "../fs/file-system.js";
import { UnifiedLog } from "./unified-log.js";
import { defaultLogConfig } from "./log-config.js";
import type { LogConfig } from "./log-config.js";
import { validateBatch } from "../record/batch.js";
import { systemClock } from "../clock.js";

const DAY = 24 * 3600 * 1000;
const OLD = 1_483_228_800_000; // 2017-01-01
const T0 = 1_800_000_000_000;

/** A batch of records stamped `stamps` whose header claims `headerMax` (librdkafka: records -1, header 0). */
async function batch(stamps: number[], headerMax?: number, compression: number = CompressionCodec.none): Promise<Buffer> {
  const b = await buildRecordBatchAsync({ compression, baseTimestamp: stamps[0]!, records: stamps.map((timestamp, i) => ({ key: `k${i}`, value: `v${i}`, timestamp })) });
  if (headerMax !== undefined) {
    writeInt64(b, headerMax, MAX_TIMESTAMP_OFFSET);
    updateBatchCrc(b, 0);
  }
  return b;
}
const librdkafka = () => batch([-1, -1, -1], 0);

describe.each(fsFactories)("timestamps as Kafka 4.4 ($name fs)", (factory) => {
  let fs: FileSystem;
  let root: string;
  let cleanup: () => void;
  let clock = T0;
  beforeEach(() => {
    ({ fs, root, cleanup } = factory.make());
    clock = T0;
  });
  afterEach(() => cleanup());
  const open = (config: Partial<LogConfig> = {}) =>
    UnifiedLog.open({ fs, dir: `${root}/t-0`, topic: "t", partition: 0, config: { ...defaultLogConfig, ...config }, clock: { ...systemClock, now: () => clock } });
  const storedMax = async (log: UnifiedLog, offset: number) => validateBatch((await log.read(offset, { maxBytes: 1 })).records[0]!, 0).maxTimestamp;

  it("librdkafka batches (records -1, header 0): stored with max -1, one segment for a week, kept by retention", async () => {
    const log = await open();
    for (let d = 0; d < 7; d++) {
      clock = T0 + d * DAY;
      await log.append(await librdkafka());
    }
    expect(log.segments.size).toBe(1);
    expect(await storedMax(log, 0)).toBe(-1); // header rewritten, CRC valid
    expect(log.segments.active.maxTimestampSoFar).toBe(-1);
    expect(log.segments.active.timeIndex.entries).toBe(0);
    // segment.ms counts from the segment's creation when no batch has a timestamp
    clock = T0 + 7 * DAY + 1;
    await log.append(await librdkafka());
    expect(log.segments.size).toBe(2);
    // retention.ms from the last modification (day 6): kept 2 days later, deleted 8 days later
    expect(await log.applyRetention(T0 + 8 * DAY)).toBe(0);
    expect(await log.applyRetention(T0 + 13 * DAY + 1)).toBe(1);
    expect(log.logStartOffset).toBe(21);
    await log.close();
  });

  it("old (2017) and future timestamps do not roll each batch; a jump of more than segment.ms does", async () => {
    const log = await open({ retentionMs: -1 });
    for (let i = 0; i < 5; i++) await log.append(await batch([OLD + i, OLD + i + 2, OLD + i + 1]));
    expect(log.segments.size).toBe(1);
    expect(log.segments.active.maxTimestampSoFar).toBe(OLD + 6);
    expect(log.segments.active.offsetOfMaxTimestampSoFar).toBe(14); // the last offset of the batch (Kafka 4.4's shallow offset)
    await log.append(await batch([T0, T0 + 1])); // now - 2017 > 7 days: a new segment
    expect(log.segments.size).toBe(2);
    await log.append(await batch([OLD])); // 2017 - now < 0: same segment
    await log.append(await batch([T0 + 30 * 60_000])); // half an hour ahead
    expect(log.segments.size).toBe(2);
    await log.close();
  });

  it("derives the max of compressed batches and rewrites their header in place", async () => {
    const log = await open();
    await log.append(await batch([T0 - 5, T0 + 9, T0], 0, CompressionCodec.lz4));
    await log.append(await batch([-1, -1], 0, CompressionCodec.zstd));
    expect(await storedMax(log, 0)).toBe(T0 + 9);
    expect(await storedMax(log, 3)).toBe(-1);
    expect(await log.offsetForTimestamp(T0 + 1)).toMatchObject({ offset: 1, timestamp: T0 + 9 });
    await log.close();
  });

  it("rejects a batch whose records do not parse, before anything is written", async () => {
    const log = await open();
    const b = await batch([T0, T0]);
    b.writeInt32BE(5, 57); // record count 5, last offset delta 1
    b.writeInt32BE(4, 23);
    updateBatchCrc(b, 0);
    expect(await log.append(b)).toMatchObject({ error: "CORRUPT_MESSAGE" });
    expect(log.logEndOffset).toBe(0);
    await log.close();
  });

  it("segment.jitter.ms takes up to min(jitter, segment.ms) off segment.ms, drawn per segment", async () => {
    const log = await open({ segmentMs: 1000, segmentJitterMs: 5000 });
    await log.append(await librdkafka());
    const jitter = log.segments.active.rollJitterMs;
    expect(jitter).toBeGreaterThanOrEqual(0);
    expect(jitter).toBeLessThan(1000);
    clock += 1000 - jitter; // not yet: Kafka rolls when the time waited is above segment.ms - jitter
    await log.append(await librdkafka());
    expect(log.segments.size).toBe(1);
    clock += 1;
    await log.append(await librdkafka());
    expect(log.segments.size).toBe(2);
    await log.close();
  });
});
