/**
 * DescribeConfigs (key 32), v1–4.
 *
 * Behaviour: topic resources list every topic config with Kafka's names, its effective value and
 * source (DYNAMIC_TOPIC_CONFIG for an override, STATIC_BROKER_CONFIG when a broker synonym such as
 * `log.retention.ms` was set in server.properties / --set, DEFAULT_CONFIG otherwise), synonyms in
 * precedence order when asked (v1+), and the config type (v3+). Broker resources: this broker's id
 * lists the broker configs this broker knows, every key it was started with and the dynamic ones,
 * with sources DYNAMIC_BROKER_CONFIG / DYNAMIC_DEFAULT_BROKER_CONFIG / STATIC_BROKER_CONFIG /
 * DEFAULT_CONFIG and Kafka's synonym order; "" lists only the cluster-default dynamic configs
 * (dynamic-broker-config.ts). Group resources (any group id, existing or not) list Kafka
 * 4.4's group configs (group/group-configs.ts), source DYNAMIC_GROUP_CONFIG when the group has its
 * own value. `configuration_keys` filters. Unknown topic → UNKNOWN_TOPIC_OR_PARTITION; another broker
 * id → INVALID_REQUEST; broker loggers → empty list.
 * Omitted: documentation strings (null), client-metrics resources (INVALID_REQUEST).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import type { DescribeConfigsResponseDescribeConfigsResultInput } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { ResourceType, describeTopicConfigs } from "../config-describe.js";
import { describeBrokerConfigs } from "../dynamic-broker-config.js";

export default defineHandler({
  apiKey: ApiKey.DescribeConfigs,
  minVersion: 1,
  maxVersion: 4,
  handle(ctx, req) {
    const results = req.resources.map((r): DescribeConfigsResponseDescribeConfigsResultInput => {
      const base = { resourceType: r.resourceType, resourceName: r.resourceName };
      switch (r.resourceType) {
        case ResourceType.TOPIC: {
          const t = ctx.topics.topic(r.resourceName);
          if (!t) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${r.resourceName} does not exist.`, configs: [] };
          return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: describeTopicConfigs(ctx.config, t.configs, r.configurationKeys, req.includeSynonyms) };
        }
        case ResourceType.BROKER:
          if (r.resourceName !== "" && r.resourceName !== String(ctx.node.nodeId)) {
            return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id, expected ${ctx.node.nodeId} or empty string, but received ${r.resourceName}`, configs: [] };
          }
          return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: describeBrokerConfigs(ctx, r.resourceName, r.configurationKeys, req.includeSynonyms) };
        case ResourceType.GROUP:
          return { ...base, ...ctx.groupConfigs.describe(r.resourceName, r.configurationKeys, req.includeSynonyms) };
        case ResourceType.BROKER_LOGGER:
          return { ...base, errorCode: ErrorCode.NONE, errorMessage: null, configs: [] };
        default:
          return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unsupported resource type ${r.resourceType}`, configs: [] };
      }
    });
    return { throttleTimeMs: 0, results };
  },
  errorResponse(req, errorCode) {
    return { results: req.resources.map((r) => ({ errorCode, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] })) };
  },
});
