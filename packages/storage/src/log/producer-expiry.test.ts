import { describe, it, expect } from "vitest";
import { MemoryFileSystem } from "../fs/memory-file-system.js";
import { UnifiedLog } from "./unified-log.js";
import { defaultLogConfig } from "./log-config.js";
import { batchOf } from "../test-support/fixtures.js";

const TRANSACTIONAL = 0x10; // attribute bit 4

// producer.id.expiration.ms: idle producers are forgotten, a producer with an open transaction is not.
describe("producer-id expiry", () => {
  it("forgets producers idle for the expiration, keeps one with an open transaction, and a forgotten one may start again", async () => {
    const log = await UnifiedLog.open({ fs: new MemoryFileSystem(), dir: "/d/t-0", topic: "t", partition: 0, config: defaultLogConfig });
    await log.append(batchOf(2, { producerId: 7, producerEpoch: 0, baseSequence: 0, timestamp: 1_000 }));
    await log.append(batchOf(1, { producerId: 8, producerEpoch: 0, baseSequence: 0, timestamp: 1_000, attributes: TRANSACTIONAL }));
    await log.append(batchOf(1, { producerId: 9, producerEpoch: 0, baseSequence: 0, timestamp: 50_000 }));
    expect(log.producerState.removeExpired(60_000, 59_001)).toBe(0);
    expect(log.producerState.removeExpired(60_000, 59_000)).toBe(1); // 7 only: 8 has an open transaction, 9 is recent
    expect([...log.producerState.activeProducers.keys()].sort()).toEqual([8, 9]);
    // Forgotten: its next batch is taken as a first one (sequence 5 is no gap any more).
    expect((await log.append(batchOf(1, { producerId: 7, producerEpoch: 0, baseSequence: 5, timestamp: 70_000 }))).error).toBeUndefined();
    await log.close();
  });
});
