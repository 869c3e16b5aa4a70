/**
 * The LogManager on a ManualClock (issue 14, "one clock"): its schedulers run on clock timers, so a
 * week of retention, a segment.ms roll and producer-id expiry take milliseconds and no real sleep.
 * Each step checks "not yet" just before the due time and "done" just after it.
 */
import { describe, it, expect, vi } from "vitest";
import { MemoryFileSystem } from "../fs/memory-file-system.js";
import { ManualClock } from "../clock.js";
import { LogManager } from "./log-manager.js";
import type { LogManagerOptions } from "./log-manager.js";
import { batchOf } from "../test-support/fixtures.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** A manager whose schedulers other than the ones under test come due once a day (cheap to advance over). */
async function open(clock: ManualClock, configs: Record<string, string>, options: Partial<LogManagerOptions> = {}): Promise<LogManager> {
  return LogManager.open({
    fs: new MemoryFileSystem(),
    dataDir: "/data",
    clock,
    topicConfigs: () => configs,
    retentionCheckIntervalMs: DAY,
    flushCheckIntervalMs: DAY,
    checkpointIntervalMs: DAY,
    cleanerBackoffMs: DAY,
    producerIdExpirationCheckIntervalMs: DAY,
    ...options,
  });
}

describe("LogManager on a ManualClock", () => {
  it("retention.ms = 7 days: the old segment goes at the first retention check after 7 days, and the log start offset moves", async () => {
    const clock = new ManualClock(1_800_000_000_000);
    const m = await open(clock, { "retention.ms": String(7 * DAY) }, { retentionCheckIntervalMs: 5 * MIN });
    const log = await m.getOrCreateLog("t", 0);
    await log.append(batchOf(2, { timestamp: clock.now() })); // offsets 0-1, the old segment
    await clock.advanceAsync(DAY);
    await log.roll();
    await log.append(batchOf(1, { timestamp: clock.now() })); // offset 2, a day younger
    expect(log.segments.values().map((s) => s.baseOffset)).toEqual([0, 2]);

    await clock.advanceAsync(6 * DAY); // 7 days since the old batch: not past retention.ms (Kafka: strictly more)
    expect(log.logStartOffset).toBe(0);
    expect(log.segments.values().map((s) => s.baseOffset)).toEqual([0, 2]);

    await clock.advanceAsync(5 * MIN); // the next check
    expect(log.logStartOffset).toBe(2);
    expect(log.segments.values().map((s) => s.baseOffset)).toEqual([2]);
    await m.close();
  });

  it("segment.ms rolls on the first append after segment.ms on the clock (LogAppendTime: the clock stamps the batches)", async () => {
    const clock = new ManualClock(1_800_000_000_000);
    const m = await open(clock, { "segment.ms": String(HOUR), "message.timestamp.type": "LogAppendTime" });
    const log = await m.getOrCreateLog("t", 0);
    await log.append(batchOf(1, { timestamp: 1 }));
    await clock.advanceAsync(HOUR);
    await log.append(batchOf(1, { timestamp: 1 })); // waited exactly segment.ms: no roll yet
    expect(log.segments.values().map((s) => s.baseOffset)).toEqual([0]);
    await clock.advanceAsync(1);
    await log.append(batchOf(1, { timestamp: 1 }));
    expect(log.segments.values().map((s) => s.baseOffset)).toEqual([0, 2]);
    expect(log.segments.active.largestTimestamp).toBe(clock.now());
    await m.close();
  });

  it("producer.id.expiration.ms: an idle producer is forgotten at the first check after the expiration", async () => {
    const clock = new ManualClock(1_800_000_000_000);
    const m = await open(clock, {}, { producerIdExpirationMs: DAY, producerIdExpirationCheckIntervalMs: 10 * MIN });
    const log = await m.getOrCreateLog("t", 0);
    await log.append(batchOf(1, { producerId: 7, producerEpoch: 0, baseSequence: 0, timestamp: clock.now() }));
    await clock.advanceAsync(HOUR);
    await log.append(batchOf(1, { producerId: 8, producerEpoch: 0, baseSequence: 0, timestamp: clock.now() }));
    expect([...log.producerState.activeProducers.keys()].sort()).toEqual([7, 8]);

    await clock.advanceAsync(DAY - HOUR - 10 * MIN); // the check 10 minutes before producer 7's day is up
    expect([...log.producerState.activeProducers.keys()].sort()).toEqual([7, 8]);
    await clock.advanceAsync(10 * MIN); // a day idle: gone (Kafka: at or past the expiration)
    expect([...log.producerState.activeProducers.keys()]).toEqual([8]);
    await clock.advanceAsync(HOUR);
    expect(log.producerState.activeProducers.size).toBe(0);
    await m.close();
  });

  it("advance fires timers in order, including ones set by timers that come due within the window", () => {
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimeout(() => {
      fired.push(`a@${clock.now()}`);
      clock.setTimeout(() => fired.push(`c@${clock.now()}`), 5); // due at 15, inside the window
      clock.setTimeout(() => fired.push(`d@${clock.now()}`), 100); // due at 110, outside
    }, 10);
    clock.setTimeout(() => fired.push(`b@${clock.now()}`), 15); // same due time as c, set first
    const cancelled = clock.setTimeout(() => fired.push("never"), 12);
    cancelled.cancel();
    clock.advance(50);
    expect(fired).toEqual(["a@10", "b@15", "c@15"]);
    expect(clock.now()).toBe(50);
    expect(clock.pending).toBe(1);
  });

  it("reconfigure: a clean under way finishes, none overlaps it, then passes run on the new backoff with the new map bound", async () => {
    const clock = new ManualClock(1_800_000_000_000);
    const m = await open(clock, { "cleanup.policy": "compact" }, { cleanerBackoffMs: 1_000 });
    const log = await m.getOrCreateLog("t", 0);
    await log.append(batchOf(3, { timestamp: clock.now() })); // k-0..k-2 at offsets 0-2
    await log.append(batchOf(3, { timestamp: clock.now() })); // the same keys again at 3-5
    await log.roll();
    await log.append(batchOf(1, { timestamp: clock.now() }));
    await log.flush();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const clean = m.cleaner.clean.bind(m.cleaner);
    const bounds: number[] = [];
    const removed: number[] = [];
    const passes = vi.spyOn(m.cleaner, "clean").mockImplementation(async (l, now) => {
      bounds.push(m.cleaner.maxMapEntries);
      if (bounds.length === 1) await gate;
      const stats = await clean(l, now);
      removed.push(stats.recordsRemoved);
      return stats;
    });
    clock.advance(1_000); // synchronous: the pass starts and waits at the gate
    expect(passes).toHaveBeenCalledTimes(1); // held at the gate
    m.reconfigure({ cleanerBackoffMs: 300, cleanerMaxMapEntries: 7 });
    clock.advance(900); // three new intervals: skipped, the pass is still going
    expect(passes).toHaveBeenCalledTimes(1);
    release();
    await vi.waitFor(() => expect(m.cleaner.cleanedOffset(log)).toBe(6));
    expect(removed).toEqual([3]); // the held pass completed its clean: offsets 0-2 superseded by 3-5
    await clock.advanceAsync(300);
    expect(passes).toHaveBeenCalledTimes(2);
    expect(bounds).toEqual([1_000_000, 7]);
    passes.mockRestore();
    await m.close();
  });
});
