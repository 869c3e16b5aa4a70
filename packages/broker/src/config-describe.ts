/**
 * Config validation and description shared by CreateTopics, DescribeConfigs, AlterConfigs and
 * IncrementalAlterConfigs, so that all four agree on names, values, sources and synonyms.
 */
import { CONFIG_TYPE_ID, ConfigSource, BROKER_CONFIGS, BROKER_CONFIG_BY_NAME, TOPIC_CONFIGS, TOPIC_CONFIG_BY_NAME, validateValue } from "./config.js";
import type { BrokerConfig } from "./config.js";
import type { Broker } from "./broker.js";

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
    synonyms.push(...brokerSynonyms(config, def.synonyms));
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
 * A topic config's broker synonyms as Kafka lists them: the ones set in the broker's config, then the
 * ones with a default, each in synonym order with its own value (`log.retention.hours=168`, never
 * converted), then everything before the first entry for the primary synonym is dropped. So a fresh
 * topic's `retention.ms` has none (`log.retention.ms` has no default) while `max.message.bytes` has
 * `message.max.bytes`'s default.
 */
function brokerSynonyms(config: BrokerConfig, names: readonly string[]): ConfigDescription["synonyms"] {
  const out: ConfigDescription["synonyms"] = [];
  for (const name of names) {
    const v = config.explicit.get(name);
    if (v !== undefined) out.push({ name, value: v.trim(), source: ConfigSource.STATIC_BROKER_CONFIG });
  }
  for (const name of names) {
    const d = BROKER_CONFIG_BY_NAME.get(name)?.default ?? null;
    if (d !== null) out.push({ name, value: d, source: ConfigSource.DEFAULT_CONFIG });
  }
  const first = out.findIndex((s) => s.name === names[0]);
  return first < 0 ? [] : out.slice(first);
}

export function describeBrokerConfigs(broker: Broker, keys: readonly string[] | null, includeSynonyms: boolean): ConfigDescription[] {
  const config = broker.config;
  const out: ConfigDescription[] = [];
  const names = new Set<string>(BROKER_CONFIGS.filter((d) => !d.internal).map((d) => d.name));
  for (const k of config.explicit.keys()) names.add(k);
  for (const name of [...names].sort()) {
    if (keys && !keys.includes(name)) continue;
    const def = BROKER_CONFIGS.find((d) => d.name === name);
    const explicit = config.explicit.get(name);
    let value = explicit !== undefined ? explicit.trim() : def?.default ?? null;
    if (name === "node.id" || name === "broker.id") value = String(broker.nodeId);
    if (name === "log.dirs" && explicit === undefined) value = broker.dataDir;
    const source = explicit !== undefined ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
    const synonyms: ConfigDescription["synonyms"] = [];
    if (explicit !== undefined) synonyms.push({ name, value, source });
    if (def && def.default !== null) synonyms.push({ name, value: def.default, source: ConfigSource.DEFAULT_CONFIG });
    out.push({
      name,
      value,
      readOnly: true,
      isDefault: explicit === undefined,
      configSource: source,
      isSensitive: def?.type === "password",
      synonyms: includeSynonyms ? synonyms : [],
      configType: def ? CONFIG_TYPE_ID[def.type] : CONFIG_TYPE_ID.string,
      documentation: null,
    });
  }
  return out;
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
