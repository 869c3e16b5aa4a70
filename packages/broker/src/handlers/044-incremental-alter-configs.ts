/**
 * IncrementalAlterConfigs (key 44), v0–1 (KIP-339).
 *
 * Behaviour for topics: operations SET (0), DELETE (1, back to the default), APPEND (2) and
 * SUBTRACT (3) on the topic's overrides; APPEND/SUBTRACT only on list configs (`cleanup.policy`),
 * starting from the effective value. The same config twice in one resource → INVALID_REQUEST;
 * unknown name, bad value, unknown operation or APPEND/SUBTRACT on a non-list → INVALID_CONFIG;
 * unknown topic → UNKNOWN_TOPIC_OR_PARTITION. All of a resource's changes apply or none does.
 * `validate_only` checks only. Broker resources (this node's id, or "" for the cluster default): the
 * operations apply to the resource's dynamic broker configs, validated as Kafka over the resulting set
 * (dynamic-broker-config.ts).
 * Group resources: every group config (group/group-configs.ts), SET, DELETE, and APPEND/SUBTRACT on
 * the list one; persisted. Omitted: broker loggers, client-metrics.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { mapSeq } from "../map-seq.js";
import { TOPIC_CONFIG_BY_NAME } from "../config.js";
import { ResourceType, invalidTopicConfig } from "../config-describe.js";
import { alterBrokerConfigs } from "../dynamic-broker-config.js";

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

export default defineHandler({
  apiKey: ApiKey.IncrementalAlterConfigs,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    const responses = await mapSeq(req.resources, async (r) => {
      const res = (errorCode: number, errorMessage: string | null = null) => ({ errorCode, errorMessage, resourceType: r.resourceType, resourceName: r.resourceName });
      const names = r.configs.map((c) => c.name);
      if (new Set(names).size !== names.length) return res(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys`);
      if (r.resourceType === ResourceType.BROKER) {
        const bad = await alterBrokerConfigs(ctx, r.resourceName, { ops: r.configs.map((c) => ({ name: c.name, value: c.value, op: c.configOperation })) }, req.validateOnly);
        return bad ? res(bad.errorCode, bad.message) : res(ErrorCode.NONE);
      }
      if (r.resourceType === ResourceType.GROUP) {
        const g = await ctx.groupConfigs.incrementalAlter(r.resourceName, r.configs, req.validateOnly);
        return res(g.errorCode, g.errorMessage);
      }
      if (r.resourceType !== ResourceType.TOPIC) return res(ErrorCode.INVALID_REQUEST, `Unsupported resource type ${r.resourceType}`);
      const t = ctx.topics.topic(r.resourceName);
      if (!t) return res(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${r.resourceName} does not exist.`);
      const next = new Map(t.configs);
      for (const c of r.configs) {
        const def = TOPIC_CONFIG_BY_NAME.get(c.name);
        if (!def) return res(ErrorCode.INVALID_CONFIG, `Unknown topic config name: ${c.name}`);
        switch (c.configOperation) {
          case SET:
            if (c.value === null) return res(ErrorCode.INVALID_CONFIG, `Null value not supported for : ${c.name}`);
            next.set(c.name, c.value.trim());
            break;
          case DELETE:
            next.delete(c.name);
            break;
          case APPEND:
          case SUBTRACT: {
            if (def.type !== "list") return res(ErrorCode.INVALID_CONFIG, `Config value append is not allowed for config key: ${c.name}`);
            const current = (ctx.config.topicValue(c.name, next) ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
            const given = (c.value ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
            const out = c.configOperation === APPEND ? [...current, ...given.filter((g) => !current.includes(g))] : current.filter((x) => !given.includes(x));
            next.set(c.name, out.join(","));
            break;
          }
          default:
            return res(ErrorCode.INVALID_CONFIG, `Unknown config operation ${c.configOperation} for ${c.name}`);
        }
      }
      const bad = invalidTopicConfig(next);
      if (bad) return res(ErrorCode.INVALID_CONFIG, bad.message);
      if (!req.validateOnly) await ctx.topics.setTopicConfigs(t, next);
      return res(ErrorCode.NONE);
    });
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(req, errorCode) {
    return { responses: req.resources.map((r) => ({ errorCode, resourceType: r.resourceType, resourceName: r.resourceName })) };
  },
});
