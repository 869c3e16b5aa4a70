/**
 * Dynamic broker configs (Kafka's DynamicBrokerConfig): BROKER resources of AlterConfigs and
 * IncrementalAlterConfigs (name = this node's id for DYNAMIC_BROKER_CONFIG, "" for the cluster
 * default, DYNAMIC_DEFAULT_BROKER_CONFIG), and their DescribeConfigs.
 *
 * Which configs may change at runtime, as Kafka 4.4: the primary broker synonym of every topic config
 * (`log.retention.ms`, not `log.retention.hours`; `log.roll.ms`, `log.segment.bytes`,
 * `message.max.bytes`, `log.cleanup.policy`, `log.message.timestamp.*`, `log.flush.interval.*`,
 * `compression.*`, ...), the cleaner's `log.cleaner.backoff.ms` and `log.cleaner.dedupe.buffer.size` (which
 * must leave more than 1 MiB per cleaner thread, one here, as KafkaConfig requires), and the producer-state
 * configs `producer.id.expiration.ms` and `transaction.partition.verification.enable`, and, on this
 * node's resource only, `listeners` and `listener.security.protocol.map` (config-listeners.ts: listeners
 * open and close at once).
 * Any other config this broker knows is refused with Kafka's message ("Cannot update these configs
 * dynamically: [...]", INVALID_REQUEST as Kafka 4.4 answers, KAFKA-13609); a bad value too ("Invalid value
 * ... for configuration ..."). A name the broker does not know is kept, as Kafka keeps custom props.
 *
 * Effect: BrokerConfig's lookups see dynamic values first (config.ts), so topics without an override
 * of their own pick up a new default at once (each log's config is re-read) and produce-time checks
 * (`message.max.bytes`, timestamps, `transaction.partition.verification.enable` for the next
 * AddPartitionsToTxn-verified produce) read it per request. The cleaner's two settings and
 * `producer.id.expiration.ms` go to the log store's `reconfigure` (its cleaner timer restarts on the new
 * backoff, a pass under way finishes with the map bound it began with; the next expiry check uses the
 * new expiration). Persisted in the metadata store (`brokerConfigs`) before they apply, and reloaded at
 * start.
 */
import { ErrorCode } from "@odradek/codec";
import { BROKER_CONFIGS, BROKER_CONFIG_BY_NAME, CONFIG_TYPE_ID, ConfigSource, TOPIC_CONFIGS } from "./config.js";
import type { BrokerConfig, ConfigDef } from "./config.js";
import { invalidListenerUpdate } from "./config-listeners.js";
import { logStoreReconfiguration } from "./log-configs.js";
import { configSynonyms } from "./config-describe.js";
import type { ConfigDescription } from "./config-describe.js";
import type { BrokerMetadataStore, LogStore } from "@odradek/storage";
import type { Logger } from "./logger.js";
import type { TopicRegistry } from "./topic-registry.js";
import type { BrokerServices, DynamicBrokerConfigs } from "./services.js";

/** Dynamic only on a node's own resource, never as the cluster default (config-listeners.ts). */
const PER_BROKER_CONFIGS = ["listeners", "listener.security.protocol.map"];

/** The broker configs Kafka 4.4 lets AlterConfigs change at runtime that mean something here. */
export const DYNAMIC_BROKER_CONFIGS: ReadonlySet<string> = new Set([
  ...TOPIC_CONFIGS.flatMap((d) => (d.synonyms[0] !== undefined ? [d.synonyms[0]] : [])),
  "log.cleaner.backoff.ms",
  "log.cleaner.dedupe.buffer.size",
  "producer.id.expiration.ms",
  "transaction.partition.verification.enable",
  ...PER_BROKER_CONFIGS,
  // Group coordinator (Kafka's GroupCoordinatorConfig.RECONFIGURABLE_CONFIGS): read per use.
  "group.consumer.assignment.interval.ms",
  "group.share.assignment.interval.ms",
  "group.streams.assignment.interval.ms",
]);

/** Cleaner threads here (Kafka's `log.cleaner.threads`, default 1): the dedupe buffer is checked per thread. */
const CLEANER_THREADS = 1n;

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

/**
 * Kafka's DynamicBrokerConfig.validateConfigs over a resource's whole new set (`perBroker`: this
 * node's, else the cluster default), then the checks of the new config as a whole: the first problem,
 * or null.
 */
export function invalidBrokerConfigs(configs: ReadonlyMap<string, string>, perBroker: boolean, current: BrokerConfig): string | null {
  const fixed = [...configs.keys()].filter((k) => BROKER_CONFIG_BY_NAME.has(k) && !DYNAMIC_BROKER_CONFIGS.has(k));
  if (fixed.length > 0) return `Cannot update these configs dynamically: [${fixed.join(", ")}]`;
  for (const [k, v] of configs) {
    const def = BROKER_CONFIG_BY_NAME.get(k);
    const bad = def ? invalidValue(def, v) : null;
    if (bad) return bad;
  }
  const clusterLevel = perBroker ? [] : [...configs.keys()].filter((k) => PER_BROKER_CONFIGS.includes(k));
  if (clusterLevel.length > 0) return `Cannot update these configs at default cluster level, broker id must be specified: [${clusterLevel.join(", ")}]`;
  const listenersChange = PER_BROKER_CONFIGS.some((k) => configs.get(k) !== current.dynamicBroker.get(k));
  if (perBroker && listenersChange) {
    const bad = invalidListenerUpdate(current, configs);
    if (bad) return bad;
  }
  // KafkaConfig's requirement, checked when the new config is built (after each value parsed).
  const dedupe = configs.get("log.cleaner.dedupe.buffer.size");
  if (dedupe !== undefined && !(BigInt(dedupe.trim()) / CLEANER_THREADS > 1024n * 1024n)) return "requirement failed: log.cleaner.dedupe.buffer.size must be at least 1MB per cleaner thread.";
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
  const bad = invalidBrokerConfigs(next, resource !== "", broker.config);
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
 * its config, the log store its cleaner and producer-expiry settings, and the listeners follow
 * `listeners` (config-listeners.ts).
 */
export class DynamicBrokerConfigStore implements DynamicBrokerConfigs {
  /**
   * Set by startBroker: opens and closes listeners to match `listeners` after a change; null while
   * the broker is not listening.
   */
  reconcileListeners: (() => Promise<void>) | null = null;

  constructor(
    private readonly nodeId: number,
    private readonly config: BrokerConfig,
    private readonly store: Pick<BrokerMetadataStore, "setBrokerConfigs">,
    private readonly topics: Pick<TopicRegistry, "allTopics">,
    private readonly logs: Pick<LogStore, "updateTopicConfig" | "reconfigure">,
    private readonly log: Logger,
  ) {}

  async set(resource: string, configs: ReadonlyMap<string, string>): Promise<void> {
    const listeners = this.config.get("listeners");
    await this.store.setBrokerConfigs(resource === "" ? "" : String(this.nodeId), Object.fromEntries(configs));
    if (resource === "") this.config.dynamicDefault = new Map(configs);
    else this.config.dynamicBroker = new Map(configs);
    for (const t of this.topics.allTopics()) this.logs.updateTopicConfig(t.name);
    this.logs.reconfigure(logStoreReconfiguration(this.config));
    // A listener that cannot bind is logged, as Kafka logs it: the change is already durable.
    if (this.config.get("listeners") !== listeners) await this.reconcileListeners?.().catch((e: unknown) => this.log.error({ err: (e as Error).message }, "listener reconfiguration failed"));
  }
}
