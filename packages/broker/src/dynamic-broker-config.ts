/**
 * Dynamic broker configs (Kafka's DynamicBrokerConfig): BROKER resources of AlterConfigs and
 * IncrementalAlterConfigs (name = this node's id for DYNAMIC_BROKER_CONFIG, "" for the cluster
 * default, DYNAMIC_DEFAULT_BROKER_CONFIG), and their DescribeConfigs.
 *
 * Which configs may change at runtime, as Kafka 4.4: the primary broker synonym of every topic config
 * (`log.retention.ms`, not `log.retention.hours`; `log.roll.ms`, `log.segment.bytes`,
 * `message.max.bytes`, `log.cleanup.policy`, `log.message.timestamp.*`, `log.flush.interval.*`,
 * `compression.*`, ...) and the cleaner's `log.cleaner.backoff.ms` and `log.cleaner.dedupe.buffer.size`.
 * Any other config this broker knows is refused with Kafka's message ("Cannot update these configs
 * dynamically: [...]", INVALID_REQUEST as Kafka 4.4 answers, KAFKA-13609); a bad value too ("Invalid value
 * ... for configuration ..."). A name the broker does not know is kept, as Kafka keeps custom props.
 *
 * Effect: BrokerConfig's lookups see dynamic values first (config.ts), so topics without an override
 * of their own pick up a new default at once (each log's config is re-read) and produce-time checks
 * (`message.max.bytes`, timestamps) read it per request. The cleaner's two settings apply from the
 * next start (the LogManager's scheduler reads them once). Persisted in the metadata store
 * (`brokerConfigs`) before they apply, and reloaded at start.
 */
import { ErrorCode } from "@odradek/codec";
import { BROKER_CONFIGS, BROKER_CONFIG_BY_NAME, CONFIG_TYPE_ID, ConfigSource, TOPIC_CONFIGS } from "./config.js";
import type { ConfigDef } from "./config.js";
import { configSynonyms } from "./config-describe.js";
import type { ConfigDescription } from "./config-describe.js";
import type { BrokerMetadataStore, LogStore } from "@odradek/storage";
import type { BrokerConfig } from "./config.js";
import type { TopicRegistry } from "./topic-registry.js";
import type { BrokerServices, DynamicBrokerConfigs } from "./services.js";

/** The broker configs Kafka 4.4 lets AlterConfigs change at runtime that mean something here. */
export const DYNAMIC_BROKER_CONFIGS: ReadonlySet<string> = new Set([
  ...TOPIC_CONFIGS.flatMap((d) => (d.synonyms[0] !== undefined ? [d.synonyms[0]] : [])),
  "log.cleaner.backoff.ms",
  "log.cleaner.dedupe.buffer.size",
]);

/** Kafka's DynamicBrokerConfig.brokerConfigSynonyms: names that set the same value, in precedence order. */
export function brokerConfigSynonyms(name: string): readonly string[] {
  switch (name) {
    case "log.roll.ms":
    case "log.roll.hours":
      return ["log.roll.ms", "log.roll.hours"];
    case "log.roll.jitter.ms":
    case "log.roll.jitter.hours":
      return ["log.roll.jitter.ms", "log.roll.jitter.hours"];
    case "log.flush.interval.ms":
      return ["log.flush.interval.ms", "log.flush.scheduler.interval.ms"];
    case "log.retention.ms":
    case "log.retention.minutes":
    case "log.retention.hours":
      return ["log.retention.ms", "log.retention.minutes", "log.retention.hours"];
    default:
      return [name];
  }
}

/** Why a broker resource name is not this broker ("" is the cluster default), or null. */
export function invalidBrokerResource(broker: Pick<BrokerServices, "node">, name: string): string | null {
  if (name === "") return null;
  if (!/^-?\d+$/.test(name)) return `Node id must be an integer, but it is: ${name}`;
  return Number(name) === broker.node.nodeId ? null : `Unexpected broker id, expected ${broker.node.nodeId}, but received ${name}`;
}

/** ConfigDef's message for a value that does not parse or is out of range. */
function invalidValue(def: ConfigDef, raw: string): string | null {
  const v = raw.trim();
  const why = (() => {
    switch (def.type) {
      case "boolean":
        return /^(true|false)$/i.test(v) ? null : "Expected value to be either true or false";
      case "int":
      case "short":
      case "long": {
        const bits = def.type === "int" ? 31n : def.type === "short" ? 15n : 63n;
        if (!/^-?\d+$/.test(v) || BigInt(v) < -(2n ** bits) || BigInt(v) >= 2n ** bits) return `Not a number of type ${def.type.toUpperCase()}`;
        if (def.min !== undefined && BigInt(v) < BigInt(def.min)) return `Value must be at least ${def.min}`;
        if (def.max !== undefined && BigInt(v) > BigInt(def.max)) return `Value must be no more than ${def.max}`;
        return null;
      }
      case "double":
        return Number.isFinite(Number(v)) && v !== "" ? null : "Not a number of type DOUBLE";
      case "list": {
        const bad = def.oneOf && v.split(",").map((s) => s.trim()).find((s) => s !== "" && !def.oneOf!.includes(s));
        return bad ? `String must be one of: ${def.oneOf!.join(", ")}` : null;
      }
      default:
        return def.oneOf && !def.oneOf.includes(v) ? `String must be one of: ${def.oneOf.join(", ")}` : null;
    }
  })();
  return why === null ? null : `Invalid value ${raw} for configuration ${def.name}: ${why}`;
}

/** Kafka's DynamicBrokerConfig.validateConfigs over a resource's whole new set: the first problem, or null. */
export function invalidBrokerConfigs(configs: ReadonlyMap<string, string>): string | null {
  const fixed = [...configs.keys()].filter((k) => BROKER_CONFIG_BY_NAME.has(k) && !DYNAMIC_BROKER_CONFIGS.has(k));
  if (fixed.length > 0) return `Cannot update these configs dynamically: [${fixed.join(", ")}]`;
  for (const [k, v] of configs) {
    const def = BROKER_CONFIG_BY_NAME.get(k);
    const bad = def ? invalidValue(def, v) : null;
    if (bad) return bad;
  }
  return null;
}

export interface BrokerConfigOp {
  name: string;
  value: string | null;
  /** IncrementalAlterConfigs' operation: 0 SET, 1 DELETE, 2 APPEND, 3 SUBTRACT. */
  op: number;
}

/**
 * Applies AlterConfigs (`ops` null: `configs` replaces the resource's set) or IncrementalAlterConfigs
 * (`ops` on the current set) to a BROKER resource, validated as Kafka; persisted and in effect before
 * it resolves unless `validateOnly`. Returns the error to answer, or null.
 */
export async function alterBrokerConfigs(broker: Pick<BrokerServices, "node" | "config" | "brokerConfigs">, resource: string, change: { replace: ReadonlyMap<string, string> } | { ops: readonly BrokerConfigOp[] }, validateOnly: boolean): Promise<{ errorCode: number; message: string } | null> {
  const badName = invalidBrokerResource(broker, resource);
  if (badName) return { errorCode: ErrorCode.INVALID_REQUEST, message: badName };
  const nullValue = "replace" in change ? undefined : change.ops.find((o) => o.op === 0 && o.value === null);
  if (nullValue) return { errorCode: ErrorCode.INVALID_REQUEST, message: `Null value not supported for : ${nullValue.name}` };
  const current = resource === "" ? broker.config.dynamicDefault : broker.config.dynamicBroker;
  const next = new Map("replace" in change ? change.replace : current);
  if ("ops" in change) {
    for (const o of change.ops) {
      const def = BROKER_CONFIG_BY_NAME.get(o.name);
      const list = (s: string | null | undefined) => (s ?? "").split(",").filter((x) => x !== "");
      switch (o.op) {
        case 0:
          next.set(o.name, o.value ?? "");
          break;
        case 1:
          next.delete(o.name);
          break;
        case 2:
        case 3: {
          const verb = o.op === 2 ? "append" : "subtract";
          if (!def) return { errorCode: ErrorCode.INVALID_CONFIG, message: `Unknown config name: ${o.name}` };
          if (def.type !== "list") return { errorCode: ErrorCode.INVALID_CONFIG, message: `Config value ${verb} is not allowed for config key: ${o.name}` };
          const old = list(next.get(o.name) ?? def.default);
          const given = list(o.value);
          next.set(o.name, (o.op === 2 ? [...old, ...given.filter((g) => !old.includes(g))] : old.filter((x) => !given.includes(x))).join(","));
          break;
        }
        default:
          return { errorCode: ErrorCode.INVALID_REQUEST, message: `Unknown operations type ${o.op}` };
      }
    }
  }
  const bad = invalidBrokerConfigs(next);
  if (bad) return { errorCode: ErrorCode.INVALID_REQUEST, message: bad };
  if (!validateOnly) await broker.brokerConfigs.set(resource, next);
  return null;
}

/**
 * DescribeConfigs of a BROKER resource, as Kafka's ConfigHelper: this node's id lists every config
 * (known ones, the static ones it was started with and the dynamic ones) with its effective value,
 * source and synonyms; "" lists only the cluster-default dynamic configs, each with only its
 * DYNAMIC_DEFAULT_BROKER_CONFIG synonyms. Read-only unless the config is dynamic.
 */
export function describeBrokerConfigs(broker: Pick<BrokerServices, "node" | "config" | "logs">, resource: string, keys: readonly string[] | null, includeSynonyms: boolean): ConfigDescription[] {
  const config = broker.config;
  const perBroker = resource !== "";
  const names = new Set<string>();
  if (perBroker) {
    for (const d of BROKER_CONFIGS) if (!d.internal) names.add(d.name);
    for (const k of config.explicit.keys()) names.add(k);
    for (const k of config.dynamicDefault.keys()) names.add(k);
    for (const k of config.dynamicBroker.keys()) names.add(k);
  } else {
    for (const k of config.dynamicDefault.keys()) names.add(k);
  }
  const out: ConfigDescription[] = [];
  for (const name of [...names].sort()) {
    if (keys && keys.length > 0 && !keys.includes(name)) continue;
    const def = BROKER_CONFIG_BY_NAME.get(name);
    let value = perBroker ? config.get(name) : (config.dynamicDefault.get(name)?.trim() ?? null);
    if (perBroker && (name === "node.id" || name === "broker.id")) value = String(broker.node.nodeId);
    if (perBroker && name === "log.dirs" && config.lookup(name) === undefined) value = broker.node.dataDir ? broker.logs.dirs.join(",") : null;
    const all = configSynonyms(config, name, brokerConfigSynonyms(name)).filter((s) => perBroker || s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
    const source = all[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
    out.push({
      name,
      value,
      readOnly: !DYNAMIC_BROKER_CONFIGS.has(name),
      isDefault: source === ConfigSource.DEFAULT_CONFIG,
      configSource: source,
      isSensitive: def?.type === "password",
      synonyms: includeSynonyms ? all : [],
      configType: def ? CONFIG_TYPE_ID[def.type] : CONFIG_TYPE_ID.string,
      documentation: null,
    });
  }
  return out;
}

/**
 * The BROKER resources' dynamic configs: replaced durably first (the metadata store's
 * `brokerConfigs`, keyed by node id, "" for the cluster default), then in effect: every log re-reads
 * its config.
 */
export class DynamicBrokerConfigStore implements DynamicBrokerConfigs {
  constructor(
    private readonly nodeId: number,
    private readonly config: BrokerConfig,
    private readonly store: Pick<BrokerMetadataStore, "setBrokerConfigs">,
    private readonly topics: Pick<TopicRegistry, "allTopics">,
    private readonly logs: Pick<LogStore, "updateTopicConfig">,
  ) {}

  async set(resource: string, configs: ReadonlyMap<string, string>): Promise<void> {
    await this.store.setBrokerConfigs(resource === "" ? "" : String(this.nodeId), Object.fromEntries(configs));
    if (resource === "") this.config.dynamicDefault = new Map(configs);
    else this.config.dynamicBroker = new Map(configs);
    for (const t of this.topics.allTopics()) this.logs.updateTopicConfig(t.name);
  }
}
