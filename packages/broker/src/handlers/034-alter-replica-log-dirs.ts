/**
 * AlterReplicaLogDirs (key 34), v1–2.
 *
 * Behaviour: moves each named partition to the named log dir (one of `log.dirs`, by its absolute
 * path as DescribeLogDirs lists it). As Kafka, the answer comes once the move has started, not when it
 * is done: DescribeLogDirs shows the partition as a future replica in the destination meanwhile, and
 * under its new dir after. The move (storage's log-dirs.ts) copies the closed segments while appends
 * go on, then holds the partition's queue to copy the rest and swap the partition's log; producers
 * whose appends were queued while it was held get NOT_LEADER_OR_FOLLOWER and retry on the new log,
 * fetches go on. A partition already in that dir:
 * NONE, nothing done. Errors as Kafka 4.4: a path that is not a log dir → LOG_DIR_NOT_FOUND; a
 * destination that cannot be written (Kafka's offline log dir) → KAFKA_STORAGE_ERROR; a topic or
 * partition that does not exist → UNKNOWN_TOPIC_OR_PARTITION. A copy that fails after the answer is
 * logged and leaves the partition where it was. In memory there is one log dir, "memory".
 * A partition in an offline log dir (storage's log-manager.ts) cannot be moved out of it: its log
 * refuses every read, so the copy fails (logged) and the partition stays offline where it was.
 */
import { accessSync, constants } from "node:fs";
import { ApiKey, ErrorCode } from "@odradek/codec";
import type { AlterReplicaLogDirsResponseAlterReplicaLogDirTopicResultInput } from "@odradek/codec";
import { defineHandler } from "../registry.js";

function isWritable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export default defineHandler({
  apiKey: ApiKey.AlterReplicaLogDirs,
  minVersion: 1,
  maxVersion: 2,
  handle(ctx, req) {
    const byTopic = new Map<string, AlterReplicaLogDirsResponseAlterReplicaLogDirTopicResultInput & { partitions: { partitionIndex: number; errorCode: number }[] }>();
    const answer = (topic: string, partitionIndex: number, errorCode: number) => {
      let t = byTopic.get(topic);
      if (!t) byTopic.set(topic, (t = { topicName: topic, partitions: [] }));
      t.partitions.push({ partitionIndex, errorCode });
    };
    for (const d of req.dirs) {
      const dir = ctx.node.dataDir ? d.path : d.path === "memory" ? (ctx.logs.dirs[0] ?? null) : null;
      const known = dir !== null && ctx.logs.dirs.includes(dir);
      const writable = known && (!ctx.node.dataDir || isWritable(dir));
      for (const t of d.topics) {
        const topic = ctx.topics.topic(t.name);
        for (const index of t.partitions) {
          const p = topic?.partitions[index];
          if (!known) answer(t.name, index, ErrorCode.LOG_DIR_NOT_FOUND);
          else if (!writable) answer(t.name, index, ErrorCode.KAFKA_STORAGE_ERROR);
          else if (!p) answer(t.name, index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
          else {
            ctx.logs
              .moveLog(t.name, index, dir, (log) => {
                p.log = log;
              })
              .catch((e: unknown) => ctx.log.error({ topic: t.name, partition: index, dir, err: String(e) }, "moving a partition to another log dir failed"));
            answer(t.name, index, ErrorCode.NONE);
          }
        }
      }
    }
    return { throttleTimeMs: 0, results: [...byTopic.values()] };
  },
  errorResponse(req, errorCode) {
    return { results: req.dirs.flatMap((d) => d.topics.map((t) => ({ topicName: t.name, partitions: t.partitions.map((partitionIndex) => ({ partitionIndex, errorCode })) }))) };
  },
});
