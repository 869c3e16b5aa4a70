/**
 * CreatePartitions (key 37), v0–3.
 *
 * Behaviour: grows a topic to `count` partitions. The same topic twice → INVALID_REQUEST; unknown →
 * UNKNOWN_TOPIC_OR_PARTITION; count equal to the current → INVALID_PARTITIONS ("Topic already has
 * N partitions."), lower → INVALID_PARTITIONS; assignments (when given) must list one replica set
 * per new partition, naming only this broker → INVALID_REPLICA_ASSIGNMENT. `validate_only` checks
 * only. New partitions start empty at leader epoch 0. A failure in storage (e.g. EMFILE opening a new
 * partition's log) leaves the topic as it was (TopicRegistry.addPartitions) and answers UNKNOWN_SERVER_ERROR
 * for that topic.
 * Omitted: `timeout_ms` (immediate).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { mapSeq } from "../map-seq.js";

export default defineHandler({
  apiKey: ApiKey.CreatePartitions,
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, req) {
    const seen = new Map<string, number>();
    for (const t of req.topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);
    const results = await mapSeq(req.topics, async (t) => {
      const r = (errorCode: number, errorMessage: string | null = null) => ({ name: t.name, errorCode, errorMessage });
      if ((seen.get(t.name) ?? 0) > 1) return r(ErrorCode.INVALID_REQUEST, "Duplicate topic in request.");
      const topic = ctx.topics.topic(t.name);
      if (!topic) return r(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `The topic '${t.name}' does not exist.`);
      const current = topic.partitions.length;
      if (t.count === current) return r(ErrorCode.INVALID_PARTITIONS, `Topic already has ${current} partitions.`);
      if (t.count < current) return r(ErrorCode.INVALID_PARTITIONS, `The topic ${t.name} currently has ${current} partition(s); ${t.count} would not be an increase.`);
      if (t.assignments !== null) {
        if (t.assignments.length !== t.count - current) return r(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `Attempted to add ${t.count - current} additional partition(s), but only ${t.assignments.length} assignment(s) were specified.`);
        for (const a of t.assignments) {
          if (a.brokerIds.length === 0 || a.brokerIds.some((id) => id !== ctx.node.nodeId)) return r(ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes a broker that is not registered.`);
        }
      }
      if (!req.validateOnly) {
        try {
          await ctx.topics.addPartitions(topic, t.count);
        } catch (e) {
          // The broker has undone the change (TopicRegistry.addPartitions); the other topics still get theirs.
          ctx.log.error({ topic: t.name, err: String(e) }, "adding partitions failed");
          return r(ErrorCode.UNKNOWN_SERVER_ERROR, `Partitions of '${t.name}' could not be added: ${(e as Error).message ?? String(e)}`);
        }
      }
      return r(ErrorCode.NONE);
    });
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, errorCode) {
    return { results: req.topics.map((t) => ({ name: t.name, errorCode })) };
  },
});
