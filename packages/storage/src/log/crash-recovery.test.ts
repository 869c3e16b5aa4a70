import { describe, it, expect } from "vitest";
import { MemoryFileSystem } from "../fs/memory-file-system.js";
import type { CrashMode } from "../fs/memory-file-system.js";
import { UnifiedLog } from "./unified-log.js";
import { defaultLogConfig } from "./log-config.js";
import { batchOf } from "../test-support/fixtures.js";
import { readBatchHeader } from "../record/batch.js";
import { KafkaStorageError } from "../errors.js";

const config = { ...defaultLogConfig, segmentBytes: 3000, indexIntervalBytes: 256 };
const open = (fs: MemoryFileSystem, recoveryPoint = 0) => UnifiedLog.open({ fs, dir: "/d/t-0", topic: "t", partition: 0, config, recoveryPoint });

/** Every batch of the log, in order, as buffers. */
async function readAll(log: UnifiedLog): Promise<Buffer[]> {
  const out: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    const r = await log.read(offset, { maxBytes: 1 << 20 });
    const buf = r.records[0]!;
    let pos = 0;
    while (pos < buf.length) {
      const h = readBatchHeader(buf, pos);
      out.push(buf.subarray(pos, pos + h.batchLength + 12));
      pos += h.batchLength + 12;
      offset = h.baseOffset + h.lastOffsetDelta + 1;
    }
  }
  return out;
}

describe("crash recovery (in-memory fs, injected crashes)", () => {
  const modes: CrashMode[] = ["strict", "random", "lenient"];
  for (const mode of modes) {
    it(`recovers a prefix of the appended batches holding every flushed one (${mode}, 60 crash points)`, async () => {
      for (let seed = 1; seed <= 60; seed++) {
        const fs = new MemoryFileSystem(seed);
        await fs.mkdir("/d");
        const log = await open(fs);
        fs.injectFault({ kind: "crash", after: 3 + ((seed * 7919) % 120) });
        const acked: Buffer[] = [];
        let flushed = 0;
        let recoveryPoint = 0;
        try {
          for (let i = 0; i < 200; i++) {
            const b = batchOf(1 + (i % 4), { valueSize: 20 + ((i * 31) % 200), producerId: 1, producerEpoch: 0, baseSequence: acked.reduce((n, x) => n + readBatchHeader(x).recordCount, 0) });
            await log.append(b);
            acked.push(b);
            if (i % 5 === 4) {
              await log.flush();
              flushed = acked.length;
              recoveryPoint = log.recoveryPoint;
            }
          }
        } catch (e) {
          expect((e as { code?: string }).code === "ECRASHED" || (e as KafkaStorageError).osCode === "ECRASHED").toBe(true);
        }
        expect(fs.isCrashed).toBe(true);
        const after = fs.afterCrash(mode, seed);
        const again = await open(after, recoveryPoint);
        const got = await readAll(again);
        expect(got.length).toBeGreaterThanOrEqual(flushed);
        expect(got.length).toBeLessThanOrEqual(acked.length + 1);
        for (let i = 0; i < got.length; i++) {
          if (i < acked.length) expect(got[i]!.equals(acked[i]!)).toBe(true);
        }
        // The log stays usable: the next append continues right after the recovered prefix.
        const next = await again.append(batchOf(1));
        expect(next.baseOffset).toBe(again.logEndOffset - 1);
        await again.close();
      }
    });
  }

  it("ENOSPC on append is a typed error and rolls the partial write back", async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir("/d");
    const log = await open(fs);
    const a = batchOf(3);
    await log.append(a);
    fs.injectFault({ kind: "ENOSPC", path: ".log", keepBytes: 40 });
    const err = await log.append(batchOf(3)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KafkaStorageError);
    expect((err as KafkaStorageError).code).toBe("ERR_STORAGE_FULL");
    expect(log.logEndOffset).toBe(3);
    expect(log.segments.active.size).toBe(a.length);
    expect((await fs.stat("/d/t-0/00000000000000000000.log"))!.size).toBe(a.length);
    const b = batchOf(2);
    expect((await log.append(b)).baseOffset).toBe(3);
    await log.close();
    const again = await open(fs, 0);
    const all = await readAll(again);
    expect(all.map((x) => x.equals(a) || x.equals(b))).toEqual([true, true]);
    await again.close();
  });

  it("an fsync failure fails the log (as Kafka takes the dir offline); a reopen recovers", async () => {
    const fs = new MemoryFileSystem();
    await fs.mkdir("/d");
    const log = await open(fs);
    await log.append(batchOf(1));
    fs.injectFault({ kind: "EIO", op: "sync" });
    await expect(log.flush()).rejects.toBeInstanceOf(KafkaStorageError);
    await expect(log.append(batchOf(1))).rejects.toBeInstanceOf(KafkaStorageError);
    const again = await open(fs, 0);
    expect(again.logEndOffset).toBe(1);
  });
});
