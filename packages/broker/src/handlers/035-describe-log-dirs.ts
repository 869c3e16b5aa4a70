/**
 * DescribeLogDirs (key 35), v1–5.
 *
 * Behaviour: every log dir (`log.dirs`, in their configured order; "memory" for an in-memory
 * broker) with the requested partitions it holds (all partitions when `topics` is null) and the size
 * in bytes of each, offset lag 0. A partition being moved by AlterReplicaLogDirs is also listed
 * under its destination as the future replica (`is_future_key`), with the bytes copied so far and its
 * lag behind the current log's end. v4 adds the file system's total and usable bytes (-1 in memory);
 * v5 adds `is_cordoned` (KIP-1066), always false. Unknown topics and partitions are left out, as Kafka
 * does; a dir with none of the requested partitions is listed with no topics.
 * A dir taken offline by an I/O failure (storage's log-manager.ts) is listed as Kafka 4.4 lists it:
 * KAFKA_STORAGE_ERROR, no topics, total and usable bytes -1.
 */
import { statfsSync } from "node:fs";
import { ApiKey, ErrorCode } from "@odradek/codec";
import type { DescribeLogDirsResponseDescribeLogDirsPartitionInput } from "@odradek/codec";
import { defineHandler } from "../registry.js";

function diskSpace(dir: string | null): { totalBytes: bigint; usableBytes: bigint } {
  if (dir) {
    try {
      const s = statfsSync(dir, { bigint: true });
      return { totalBytes: s.blocks * s.bsize, usableBytes: s.bavail * s.bsize };
    } catch {
      // unknown: -1
    }
  }
  return { totalBytes: -1n, usableBytes: -1n };
}

export default defineHandler({
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 1,
  maxVersion: 5,
  handle(ctx, req) {
    const wanted = req.topics === null ? ctx.topics.allTopics().map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.index) })) : req.topics;
    const futures = ctx.logs.futures();
    const offline = ctx.logs.offlineDirs();
    const results = ctx.logs.dirs.map((dir) => {
      if (offline.includes(dir)) return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, logDir: dir, topics: [], totalBytes: -1n, usableBytes: -1n };
      const topics = [];
      for (const w of wanted) {
        const t = ctx.topics.topic(w.topic);
        if (!t) continue;
        const partitions: DescribeLogDirsResponseDescribeLogDirsPartitionInput[] = [];
        for (const i of w.partitions) {
          const p = t.partitions[i];
          if (!p) continue;
          if (ctx.logs.dirOf(t.name, i) === dir) partitions.push({ partitionIndex: i, partitionSize: BigInt(p.log.sizeInBytes), offsetLag: 0n, isFutureKey: false });
          const f = futures.find((x) => x.dir === dir && x.topic === t.name && x.partition === i);
          if (f) partitions.push({ partitionIndex: i, partitionSize: BigInt(f.copiedBytes), offsetLag: BigInt(Math.max(0, p.log.logEndOffset - f.copiedOffset)), isFutureKey: true });
        }
        if (partitions.length > 0) topics.push({ name: t.name, partitions });
      }
      return { errorCode: ErrorCode.NONE, logDir: ctx.node.dataDir ? dir : "memory", topics, ...diskSpace(ctx.node.dataDir ? dir : null) };
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, results: [] };
  },
});
