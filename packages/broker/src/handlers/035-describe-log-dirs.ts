/**
 * DescribeLogDirs (key 35), v1–5.
 *
 * Behaviour: one log dir, the data directory (reported as "memory" for an in-memory broker), with
 * the size in bytes of each requested partition (all partitions when `topics` is null), offset lag
 * 0 and no future replicas; v4 adds the file system's total and usable bytes (-1 in memory); v5 adds
 * `is_cordoned` (KIP-1066), always false: the one log dir is never cordoned.
 * Unknown topics and partitions are left out, as Kafka does.
 * Omitted: multiple log dirs (JBOD).
 */
import { statfsSync } from "node:fs";
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";

export default defineHandler({
  apiKey: ApiKey.DescribeLogDirs,
  minVersion: 1,
  maxVersion: 5,
  handle(ctx, req) {
    const b = ctx.broker;
    const wanted = req.topics === null ? b.allTopics().map((t) => ({ topic: t.name, partitions: t.partitions.map((p) => p.index) })) : req.topics;
    const topics = [];
    for (const w of wanted) {
      const t = b.topic(w.topic);
      if (!t) continue;
      const partitions = [];
      for (const i of w.partitions) {
        const p = t.partitions[i];
        if (p) partitions.push({ partitionIndex: i, partitionSize: BigInt(p.log.sizeInBytes), offsetLag: 0n, isFutureKey: false });
      }
      topics.push({ name: t.name, partitions });
    }
    let totalBytes = -1n;
    let usableBytes = -1n;
    if (b.dataDir) {
      try {
        const s = statfsSync(b.dataDir, { bigint: true });
        totalBytes = s.blocks * s.bsize;
        usableBytes = s.bavail * s.bsize;
      } catch {
        // leave -1: unknown
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, results: [{ errorCode: ErrorCode.NONE, logDir: b.dataDir ?? "memory", topics, totalBytes, usableBytes }] };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, results: [] };
  },
});
