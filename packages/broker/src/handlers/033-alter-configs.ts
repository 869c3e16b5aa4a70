/**
 * AlterConfigs (key 33), v0–2.
 *
 * Behaviour: for a topic, replaces the whole set of overrides with the given configs (Kafka's
 * non-incremental semantics: configs left out return to their defaults). Unknown config name or bad
 * value → INVALID_CONFIG, null value → INVALID_REQUEST, unknown topic → UNKNOWN_TOPIC_OR_PARTITION.
 * `validate_only` checks only. Broker resources (this node's id, or "" for the cluster default):
 * the given configs replace the resource's dynamic broker configs, validated as Kafka
 * (dynamic-broker-config.ts: a config that cannot change at runtime or a bad value → INVALID_REQUEST).
 * Group resources (Kafka 4.4 accepts them): the given configs replace the group's own
 * (group/group-configs.ts), validated as IncrementalAlterConfigs validates them.
 * Omitted: broker loggers (INVALID_REQUEST).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { mapSeq } from "../map-seq.js";
import { ResourceType, invalidTopicConfig } from "../config-describe.js";
import { alterBrokerConfigs } from "../dynamic-broker-config.js";

export default defineHandler({
  apiKey: ApiKey.AlterConfigs,
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, req) {
    const responses = await mapSeq(req.resources, async (r) => {
      const res = (errorCode: number, errorMessage: string | null = null) => ({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName });
      if (r.resourceType === ResourceType.TOPIC) {
        const t = ctx.topics.topic(r.resourceName);
        if (!t) return res(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${r.resourceName} does not exist.`);
        const bad = invalidTopicConfig(r.configs.map((c) => [c.name, c.value]));
        if (bad) return res(bad.errorCode === "INVALID_CONFIG" ? ErrorCode.INVALID_CONFIG : ErrorCode.INVALID_REQUEST, bad.message);
        if (!req.validateOnly) await ctx.topics.setTopicConfigs(t, new Map(r.configs.map((c) => [c.name, c.value!.trim()])));
        return res(ErrorCode.NONE);
      }
      if (r.resourceType === ResourceType.BROKER) {
        const bad = await alterBrokerConfigs(ctx, r.resourceName, { replace: new Map(r.configs.map((c) => [c.name, c.value ?? ""])) }, req.validateOnly);
        return bad ? res(bad.errorCode, bad.message) : res(ErrorCode.NONE);
      }
      if (r.resourceType === ResourceType.GROUP) {
        const g = await ctx.groupConfigs.alter(r.resourceName, r.configs, req.validateOnly);
        return res(g.errorCode, g.errorMessage);
      }
      return res(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${r.resourceType}`);
    });
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req, errorCode) {
    return { responses: req.resources.map((r) => ({ errorCode, resourceType: r.resourceType, resourceName: r.resourceName })) };
  },
});
