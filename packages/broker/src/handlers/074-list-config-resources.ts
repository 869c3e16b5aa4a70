/**
 * ListConfigResources (key 74), v0–1 (v0 was ListClientMetricsResources).
 *
 * Behaviour (Kafka 4.4's): v1 lists every resource that has configs, filtered by `resource_types`
 * when given: groups (32) with configs of their own (DeleteGroups leaves them, as in Kafka), the
 * broker's loggers (8) and the broker (4) by node id, every topic (2) by name; v0 lists client-metrics
 * resources (16) only, of which there are none (not built). Order as Kafka's: groups, broker loggers,
 * broker, topics; groups and topics by name.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";

const TOPIC = 2;
const BROKER = 4;
const BROKER_LOGGER = 8;
const GROUP = 32;

export default defineHandler({
  apiKey: ApiKey.ListConfigResources,
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, req) {
    if (ctx.apiVersion === 0) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, configResources: [] };
    const want = new Set(req.resourceTypes);
    const all = [
      ...ctx.groupConfigs.groupIds().map((resourceName) => ({ resourceName, resourceType: GROUP })),
      { resourceName: String(ctx.node.nodeId), resourceType: BROKER_LOGGER },
      { resourceName: String(ctx.node.nodeId), resourceType: BROKER },
      ...ctx.topics.allTopics().map((t) => t.name).sort().map((resourceName) => ({ resourceName, resourceType: TOPIC })),
    ];
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, configResources: all.filter((r) => want.size === 0 || want.has(r.resourceType)) };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, configResources: [] };
  },
});
