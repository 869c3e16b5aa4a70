/**
 * OffsetDelete (key 47), v0.
 *
 * Behaviour (Kafka's): deletes committed offsets of a group; a group that does not exist →
 * GROUP_ID_NOT_FOUND; a group with members of another protocol type than "consumer" →
 * NON_EMPTY_GROUP; with "consumer" members, a partition of a topic some member subscribes to →
 * GROUP_SUBSCRIBED_TO_TOPIC (its offset stays). A consumer group (KIP-848) in any state: a partition
 * of a topic a member subscribes to (by name or regex) → GROUP_SUBSCRIBED_TO_TOPIC. Deletions are
 * tombstones in `__consumer_offsets`.
 */
import { ApiKey, ErrorCode, Reader, readConsumerProtocolSubscription } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { ClassicGroup } from "../group/classic-group.js";
import { subscribedTopicNames } from "../group/consumer-protocol.js";

/** Topics the members of a "consumer" group subscribe to (from their ConsumerProtocolSubscription). */
function subscribedTopics(g: ClassicGroup): Set<string> {
  const out = new Set<string>();
  for (const m of g.members.values()) {
    const md = g.metadataOf(m, g.protocolName ?? m.protocols[0]?.name ?? "");
    if (md.length < 2) continue;
    try {
      const r = new Reader(md);
      const version = r.int16();
      for (const t of readConsumerProtocolSubscription(r, Math.min(version, 3)).topics) out.add(t);
    } catch {
      // unreadable metadata subscribes to nothing we can name
    }
  }
  return out;
}

export default defineHandler({
  apiKey: ApiKey.OffsetDelete,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const r = await ctx.groups.run(req.groupId, (s) => {
      const g = s.classicGroup(req.groupId);
      const cg = s.consumerGroups.get(req.groupId);
      const subscribed = cg ? new Set([...cg.members.values()].flatMap((m) => subscribedTopicNames(s, m))) : g instanceof ClassicGroup ? subscribedTopics(g) : new Set<string>();
      return s.deleteOffsets(req.groupId, req.topics, (t) => subscribed.has(t));
    }, false);
    return { throttleTimeMs: 0, ...(r ?? { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] }) };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, topics: [] };
  },
});
