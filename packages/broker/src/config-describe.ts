/**
 * Config validation and description shared by CreateTopics, DescribeConfigs, AlterConfigs and
 * IncrementalAlterConfigs, so that all four agree on names, values, sources and synonyms.
 */
import { CONFIG_TYPE_ID, ConfigSource, BROKER_CONFIG_BY_NAME, TOPIC_CONFIGS, TOPIC_CONFIG_BY_NAME, validateValue } from "./config.js";
import type { BrokerConfig } from "./config.js";

export interface ConfigDescription {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  isSensitive: boolean;
  synonyms: { name: string; value: string | null; source: number }[];
  configType: number;
  documentation: string | null;
}

/** Checks topic config overrides: unknown names and bad values. Returns the first problem or null. */
export function invalidTopicConfig(configs: Iterable<[string, string | null]>): { errorCode: "INVALID_CONFIG" | "INVALID_REQUEST"; message: string } | null {
  for (const [name, value] of configs) {
    const def = TOPIC_CONFIG_BY_NAME.get(name);
    if (!def) return { errorCode: "INVALID_CONFIG", message: `Unknown topic config name: ${name}` };
    if (value === null) return { errorCode: "INVALID_REQUEST", message: `Null value not supported for topic configs: ${name}` };
    const err = validateValue(def, value);
    if (err) return { errorCode: "INVALID_CONFIG", message: `Invalid value ${value} for configuration ${err}` };
  }
  return null;
}

export function describeTopicConfigs(config: BrokerConfig, overrides: ReadonlyMap<string, string>, keys: readonly string[] | null, includeSynonyms: boolean): ConfigDescription[] {
  const out: ConfigDescription[] = [];
  for (const def of TOPIC_CONFIGS) {
    if (keys && !keys.includes(def.name)) continue;
    const brokerDefault = config.topicDefault(def);
    const own = overrides.get(def.name);
    const synonyms: ConfigDescription["synonyms"] = [];
    if (own !== undefined) synonyms.push({ name: def.name, value: own, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    if (def.synonyms[0] !== undefined) synonyms.push(...configSynonyms(config, def.synonyms[0], def.synonyms));
    // Kafka takes the source from the first synonym left: with only `log.retention.hours` set, retention.ms
    // has its value but no synonyms and source DEFAULT_CONFIG (Kafka 4.4, probed).
    const source = synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
    out.push(alterableConfig(def.name, own ?? brokerDefault.value, source, CONFIG_TYPE_ID[def.type], includeSynonyms ? synonyms : []));
  }
  return out;
}

/** A topic or group config as DescribeConfigs reports it: alterable, not sensitive, no documentation. */
export function alterableConfig(name: string, value: string | null, source: number, configType: number, synonyms: ConfigDescription["synonyms"]): ConfigDescription {
  return { name, value, readOnly: false, isDefault: source === ConfigSource.DEFAULT_CONFIG, configSource: source, isSensitive: false, synonyms, configType, documentation: null };
}

/**
 * A topic config's broker synonyms as Kafka lists them: the ones set as this broker's dynamic configs,
 * then the cluster default's, then the static ones, then the ones with a default, each group in
 * synonym order with its own value (`log.retention.hours=168`, never converted), then everything
 * before the first entry for `name` is dropped (Kafka's ConfigHelper.configSynonyms). So a fresh
 * topic's `retention.ms` has none (`log.retention.ms` has no default) while `max.message.bytes` has
 * `message.max.bytes`'s default.
 */
export function configSynonyms(config: BrokerConfig, name: string, names: readonly string[]): ConfigDescription["synonyms"] {
  const out: ConfigDescription["synonyms"] = [];
  const layer = (values: ReadonlyMap<string, string>, source: number) => {
    for (const n of names) {
      const v = values.get(n);
      if (v !== undefined) out.push({ name: n, value: v.trim(), source });
    }
  };
  layer(config.dynamicBroker, ConfigSource.DYNAMIC_BROKER_CONFIG);
  layer(config.dynamicDefault, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  layer(config.explicit, ConfigSource.STATIC_BROKER_CONFIG);
  for (const n of names) {
    const d = BROKER_CONFIG_BY_NAME.get(n)?.default ?? null;
    if (d !== null) out.push({ name: n, value: d, source: ConfigSource.DEFAULT_CONFIG });
  }
  const first = out.findIndex((s) => s.name === name);
  return first < 0 ? [] : out.slice(first);
}

/** DescribeConfigs / AlterConfigs resource types (Kafka's ConfigResource.Type). */
export const ResourceType = {
  UNKNOWN: 0,
  TOPIC: 2,
  BROKER: 4,
  BROKER_LOGGER: 8,
  CLIENT_METRICS: 16,
  GROUP: 32,
} as const;
