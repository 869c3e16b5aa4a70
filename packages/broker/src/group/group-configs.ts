/**
 * Group configs (KIP-848, KIP-932, KIP-1071): Kafka 4.4's GroupConfig table and its
 * GroupConfigManager in one module. Every group has every config; a group's own value (set by
 * IncrementalAlterConfigs / AlterConfigs on a GROUP resource, whether or not the group exists) wins
 * over the broker-level default (`group.consumer.session.timeout.ms` for
 * `consumer.session.timeout.ms`, …), which wins over Kafka's built-in default.
 *
 * Persistence: each group's own values in the MetadataStore's `groupConfigs` section (Kafka keeps them
 * as ConfigRecords with resource type GROUP in the metadata log), rewritten whole on every change and
 * loaded at start. DeleteGroups leaves them (Kafka 4.4 does: the group coordinator cannot write the
 * metadata log; probed: configs outlive DeleteGroups and are listed by ListConfigResources).
 *
 * Validation, in Kafka's order, over the group's merged values after the change:
 *   1. names (`Unknown group config name: x`), 2. no duplicate `streams.rack.aware.assignment.tags`,
 *   3. each value's type and static bound (`Invalid value v for configuration n: Value must be at
 *      least 1`), 4. the bounds set by broker configs (`n must be in the range 45000 to 60000
 *      inclusive.`), the registered streams assignor, session timeout > heartbeat interval, and a
 *      DLQ topic name not starting with `__`. Messages are Kafka 4.4's, probed.
 * Values are stored normalised as Kafka stores them: ints re-printed (`050000` → `50000`), booleans
 * lower-cased, lists trimmed and joined with `,`, strings trimmed.
 *
 * Internal configs (Kafka's `defineInternal`: the three `*.assignor.offload.enable`,
 * `streams.task.offset.interval.ms`, `streams.num.warmup.replicas`, `streams.acceptable.recovery.lag`)
 * are accepted with their type and static bound checked and never described; their broker-bounded
 * checks are not made, and their broker synonyms (`group.consumer.assignor.offload.enable`, …) are not
 * read: nothing uses them.
 * Omitted: documentation strings (null, as for topics); the streams configs are stored and described
 * but nothing reads them (no streams groups); `share.renew.acknowledge.enable` and the DLQ configs
 * likewise.
 */
import { ErrorCode } from "@odradek/codec";
import type { BrokerConfig } from "../config.js";
import { BROKER_CONFIG_BY_NAME, CONFIG_TYPE_ID, ConfigSource } from "../config.js";
import { alterableConfig } from "../config-describe.js";
import type { ConfigDescription } from "../config-describe.js";
import type { GroupConfigStore } from "@odradek/storage";
import type { GroupConfig } from "./group-shard.js";

type GroupConfigType = "int" | "long" | "string" | "boolean" | "list";

export interface GroupConfigDef {
  readonly name: string;
  readonly type: GroupConfigType;
  /** The broker config that supplies the default, or null when the default is `default`. */
  readonly brokerSynonym: string | null;
  readonly default?: string;
  /** Kafka's static lower bound (ConfigDef `atLeast`). */
  readonly atLeast?: number;
  /** Broker configs bounding the value (both inclusive; either may be absent). */
  readonly brokerMin?: string;
  readonly brokerMax?: string;
  readonly oneOf?: readonly string[];
  /** Accepted, never described (Kafka's internal configs). */
  readonly internal?: boolean;
}

const int = (name: string, atLeast: number, brokerSynonym: string, bounds: { min?: string; max?: string } = {}): GroupConfigDef => ({ name, type: "int", brokerSynonym, atLeast, brokerMin: bounds.min, brokerMax: bounds.max });
const range = (kind: string, what: string) => ({ min: `group.${kind}.min.${what}`, max: `group.${kind}.max.${what}` });

/** Kafka 4.4's group configs, in the order its DescribeConfigs answers list them. */
export const GROUP_CONFIGS: readonly GroupConfigDef[] = [
  int("consumer.session.timeout.ms", 1, "group.consumer.session.timeout.ms", range("consumer", "session.timeout.ms")),
  { name: "streams.assignor.name", type: "string", brokerSynonym: "group.streams.assignors" },
  int("consumer.assignment.interval.ms", 0, "group.consumer.assignment.interval.ms", range("consumer", "assignment.interval.ms")),
  { name: "errors.deadletterqueue.copy.record.enable", type: "boolean", brokerSynonym: null, default: "false" },
  { name: "share.auto.offset.reset", type: "string", brokerSynonym: null, default: "latest" },
  { name: "streams.rack.aware.assignment.tags", type: "list", brokerSynonym: "group.streams.rack.aware.assignment.tags" },
  { name: "share.renew.acknowledge.enable", type: "boolean", brokerSynonym: null, default: "true" },
  int("streams.initial.rebalance.delay.ms", 0, "group.streams.initial.rebalance.delay.ms"),
  int("share.session.timeout.ms", 1, "group.share.session.timeout.ms", range("share", "session.timeout.ms")),
  int("streams.assignment.interval.ms", 0, "group.streams.assignment.interval.ms", range("streams", "assignment.interval.ms")),
  int("share.heartbeat.interval.ms", 1, "group.share.heartbeat.interval.ms", range("share", "heartbeat.interval.ms")),
  int("streams.heartbeat.interval.ms", 1, "group.streams.heartbeat.interval.ms", range("streams", "heartbeat.interval.ms")),
  int("share.delivery.count.limit", 2, "group.share.delivery.count.limit", range("share", "delivery.count.limit")),
  { name: "errors.deadletterqueue.topic.name", type: "string", brokerSynonym: null, default: "" },
  int("consumer.heartbeat.interval.ms", 1, "group.consumer.heartbeat.interval.ms", range("consumer", "heartbeat.interval.ms")),
  int("share.record.lock.duration.ms", 1000, "group.share.record.lock.duration.ms", range("share", "record.lock.duration.ms")),
  int("share.assignment.interval.ms", 0, "group.share.assignment.interval.ms", range("share", "assignment.interval.ms")),
  { name: "share.isolation.level", type: "string", brokerSynonym: null, default: "read_uncommitted", oneOf: ["read_committed", "read_uncommitted"] },
  int("streams.session.timeout.ms", 1, "group.streams.session.timeout.ms", range("streams", "session.timeout.ms")),
  int("share.partition.max.record.locks", 100, "group.share.partition.max.record.locks", range("share", "partition.max.record.locks")),
  int("streams.num.standby.replicas", 0, "group.streams.num.standby.replicas", { max: "group.streams.max.standby.replicas" }),
  ...["consumer", "share", "streams"].map((k): GroupConfigDef => ({ name: `${k}.assignor.offload.enable`, type: "boolean", brokerSynonym: null, default: "true", internal: true })),
  { name: "streams.task.offset.interval.ms", type: "int", brokerSynonym: null, default: "60000", atLeast: 1, internal: true },
  { name: "streams.num.warmup.replicas", type: "int", brokerSynonym: null, default: "2", atLeast: 0, internal: true },
  { name: "streams.acceptable.recovery.lag", type: "long", brokerSynonym: null, default: "10000", atLeast: 0, internal: true },
];
export const GROUP_CONFIG_BY_NAME: ReadonlyMap<string, GroupConfigDef> = new Map(GROUP_CONFIGS.map((d) => [d.name, d]));

/** (session timeout, heartbeat interval) pairs Kafka checks against each other. */
const SESSION_HEARTBEAT = [["consumer.session.timeout.ms", "consumer.heartbeat.interval.ms"], ["share.session.timeout.ms", "share.heartbeat.interval.ms"], ["streams.session.timeout.ms", "streams.heartbeat.interval.ms"]] as const;

/** Java's Duration.parse grammar (case-insensitive): days, then a time part of hours, minutes, seconds. */
const ISO_DURATION = /^([-+]?)P(?:([-+]?\d+)D)?(?:T(?:([-+]?\d+)H)?(?:([-+]?\d+)M)?(?:([-+]?\d+)(?:[.,](\d{0,9}))?S)?)?$/i;
function validAutoOffsetReset(v: string): boolean {
  if (v === "earliest" || v === "latest") return true;
  if (!v.startsWith("by_duration:")) return false;
  const d = v.slice("by_duration:".length);
  const m = ISO_DURATION.exec(d);
  if (!m || /T$/i.test(d) || d.replace(/^[-+]/, "").length === 1) return false;
  const [, sign, days, hours, minutes, secs, frac] = m;
  const seconds = Number(days ?? 0) * 86400 + Number(hours ?? 0) * 3600 + Number(minutes ?? 0) * 60 + Number(secs ?? 0) + (secs?.startsWith("-") ? -1 : 1) * Number(`0.${frac ?? 0}`);
  return (sign === "-" ? -seconds : seconds) >= 0; // Kafka refuses a negative duration
}

const INT_RANGE = { int: [-(2n ** 31n), 2n ** 31n - 1n], long: [-(2n ** 63n), 2n ** 63n - 1n] } as const;
/** Kafka's ConfigDef parse of one value: the normalised value, or the reason it is refused. */
function parseValue(def: GroupConfigDef, raw: string): { value: string } | { reason: string } {
  const v = raw.trim();
  switch (def.type) {
    case "int":
    case "long": {
      const [lo, hi] = INT_RANGE[def.type];
      if (!/^[-+]?\d+$/.test(v) || BigInt(v) < lo || BigInt(v) > hi) return { reason: `Not a number of type ${def.type.toUpperCase()}` };
      const n = BigInt(v);
      if (def.atLeast !== undefined && n < BigInt(def.atLeast)) return { reason: `Value must be at least ${def.atLeast}` };
      return { value: n.toString() };
    }
    case "boolean":
      return /^(true|false)$/i.test(v) ? { value: v.toLowerCase() } : { reason: "Expected value to be either true or false" };
    case "list":
      return { value: v.split(",").map((s) => s.trim()).filter((s) => s !== "").join(",") };
    default:
      if (def.oneOf && !def.oneOf.includes(v)) return { reason: `String must be one of: ${def.oneOf.join(", ")}` };
      if (def.name === "share.auto.offset.reset" && !validAutoOffsetReset(v)) {
        return { reason: `Invalid value \`${v}\` for configuration ${def.name}. The value must be either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'.` };
      }
      return { value: v };
  }
}

/** Where group configs persist (MetadataStore). */
export interface GroupConfigResult {
  errorCode: number;
  errorMessage: string | null;
}
const ok: GroupConfigResult = { errorCode: ErrorCode.NONE, errorMessage: null };
const invalid = (errorMessage: string): GroupConfigResult => ({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage });
/** Kafka 4.4 has no cluster-wide group defaults: "" is refused before anything else. */
const DEFAULT_GROUP: GroupConfigResult = { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Default group resources are not allowed." };

/** IncrementalAlterConfigs operations (Kafka's AlterConfigOp.OpType). */
const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

export class GroupConfigManager {
  /** Each group's own (validated, normalised) values. */
  private readonly groups = new Map<string, ReadonlyMap<string, string>>();

  constructor(private readonly config: BrokerConfig, private readonly store: GroupConfigStore) {
    for (const [groupId, values] of Object.entries(store.groupConfigs())) this.groups.set(groupId, new Map(Object.entries(values)));
  }

  /** Groups with configs of their own, by name (ListConfigResources). */
  groupIds(): string[] {
    return [...this.groups.keys()].sort();
  }

  overrides(groupId: string): ReadonlyMap<string, string> {
    return this.groups.get(groupId) ?? new Map();
  }

  /** The broker-level default of a config and where it comes from. */
  private brokerDefault(def: GroupConfigDef): { value: string; source: number } {
    if (def.brokerSynonym === null) return { value: def.default ?? "", source: ConfigSource.DEFAULT_CONFIG };
    const explicit = this.config.explicit.get(def.brokerSynonym);
    const raw = explicit?.trim() ?? BROKER_CONFIG_BY_NAME.get(def.brokerSynonym)?.default ?? "";
    // streams.assignor.name defaults to the first assignor the broker registers.
    const value = def.name === "streams.assignor.name" ? (raw.split(",")[0] ?? "").trim() : raw;
    return { value, source: explicit !== undefined ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG };
  }

  /** A group's effective value of a config (its own, else the broker's default). */
  value(groupId: string, name: string): string {
    const own = this.groups.get(groupId)?.get(name);
    if (own !== undefined) return own;
    const def = GROUP_CONFIG_BY_NAME.get(name);
    return def ? this.brokerDefault(def).value : "";
  }

  int(groupId: string, name: string): number {
    return Number(this.value(groupId, name));
  }

  /** DescribeConfigs on a GROUP resource: every (non-internal) config, filtered by `keys`; "" is refused as Kafka refuses it. */
  describe(groupId: string, keys: readonly string[] | null, includeSynonyms: boolean): GroupConfigResult & { configs: ConfigDescription[] } {
    if (groupId === "") return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Group name must not be empty", configs: [] };
    return { ...ok, configs: this.describeConfigs(groupId, keys, includeSynonyms) };
  }

  private describeConfigs(groupId: string, keys: readonly string[] | null, includeSynonyms: boolean): ConfigDescription[] {
    const own = this.overrides(groupId);
    const out: ConfigDescription[] = [];
    for (const def of GROUP_CONFIGS) {
      if (def.internal || (keys && !keys.includes(def.name))) continue;
      const synonyms: ConfigDescription["synonyms"] = [];
      const mine = own.get(def.name);
      if (mine !== undefined) synonyms.push({ name: def.name, value: mine, source: ConfigSource.DYNAMIC_GROUP_CONFIG });
      const broker = this.brokerDefault(def);
      if (def.brokerSynonym === null) synonyms.push({ name: def.name, value: broker.value, source: ConfigSource.DEFAULT_CONFIG });
      else {
        const explicit = this.config.explicit.get(def.brokerSynonym);
        if (explicit !== undefined) synonyms.push({ name: def.brokerSynonym, value: explicit.trim(), source: ConfigSource.STATIC_BROKER_CONFIG });
        const d = BROKER_CONFIG_BY_NAME.get(def.brokerSynonym)?.default;
        if (d !== undefined && d !== null) synonyms.push({ name: def.brokerSynonym, value: d, source: ConfigSource.DEFAULT_CONFIG });
      }
      const source = mine !== undefined ? ConfigSource.DYNAMIC_GROUP_CONFIG : broker.source;
      out.push(alterableConfig(def.name, mine ?? broker.value, source, CONFIG_TYPE_ID[def.type], includeSynonyms ? synonyms : []));
    }
    return out;
  }

  /** IncrementalAlterConfigs on a GROUP resource: all of the changes apply or none does. */
  async incrementalAlter(groupId: string, ops: readonly { name: string; configOperation: number; value: string | null }[], validateOnly: boolean): Promise<GroupConfigResult> {
    if (groupId === "") return DEFAULT_GROUP;
    const next = new Map(this.overrides(groupId));
    for (const op of ops) {
      switch (op.configOperation) {
        case SET:
          if (op.value === null) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Null value not supported for : ${op.name}` };
          next.set(op.name, op.value);
          break;
        case DELETE:
          next.delete(op.name);
          break;
        case APPEND:
        case SUBTRACT: {
          const def = GROUP_CONFIG_BY_NAME.get(op.name);
          if (!def) return invalid(`Unknown group config name: ${op.name}`);
          if (def.type !== "list") return invalid(`Can't ${op.configOperation === APPEND ? "APPEND" : "SUBTRACT"} to key ${op.name} because its type is not LIST.`);
          const split = (s: string | null) => (s ?? "").split(",").map((x) => x.trim()).filter((x) => x !== "");
          const current = split(next.get(op.name) ?? this.value(groupId, op.name));
          const given = split(op.value);
          next.set(op.name, (op.configOperation === APPEND ? [...current, ...given.filter((g) => !current.includes(g))] : current.filter((x) => !given.includes(x))).join(","));
          break;
        }
        default:
          return invalid(`Unknown config operation ${op.configOperation} for ${op.name}`);
      }
    }
    return this.apply(groupId, next, validateOnly);
  }

  /** AlterConfigs on a GROUP resource: the given configs replace all of the group's own. */
  alter(groupId: string, configs: readonly { name: string; value: string | null }[], validateOnly: boolean): Promise<GroupConfigResult> {
    if (groupId === "") return Promise.resolve(DEFAULT_GROUP);
    return this.apply(groupId, new Map(configs.map((c) => [c.name, c.value ?? ""])), validateOnly);
  }

  private async apply(groupId: string, next: ReadonlyMap<string, string>, validateOnly: boolean): Promise<GroupConfigResult> {
    const checked = this.validate(next);
    if ("errorMessage" in checked) return checked;
    if (!validateOnly) {
      await this.store.setGroupConfigs(groupId, Object.fromEntries(checked));
      if (checked.size === 0) this.groups.delete(groupId);
      else this.groups.set(groupId, checked);
    }
    return ok;
  }

  /** Kafka's GroupConfig.validate over a group's own values: the normalised values, or the INVALID_CONFIG. */
  validate(values: ReadonlyMap<string, string>): Map<string, string> | GroupConfigResult {
    for (const name of values.keys()) if (!GROUP_CONFIG_BY_NAME.has(name)) return invalid(`Unknown group config name: ${name}`);
    const tags = values.get("streams.rack.aware.assignment.tags");
    if (tags !== undefined) {
      const list = tags.split(",").map((s) => s.trim()).filter((s) => s !== "");
      if (new Set(list).size !== list.length) return invalid("streams.rack.aware.assignment.tags must not contain duplicate tag keys.");
    }
    const parsed = new Map<string, string>();
    for (const def of GROUP_CONFIGS) {
      const raw = values.get(def.name);
      if (raw === undefined) continue;
      const p = parseValue(def, raw);
      if ("reason" in p) return invalid(`Invalid value ${raw} for configuration ${def.name}: ${p.reason}`);
      parsed.set(def.name, p.value);
    }
    const c = this.config;
    for (const def of GROUP_CONFIGS) {
      const v = parsed.get(def.name);
      if (v === undefined || (def.brokerMin === undefined && def.brokerMax === undefined)) continue;
      const n = Number(v);
      if (def.brokerMin !== undefined && def.brokerMax !== undefined) {
        const [lo, hi] = [c.int(def.brokerMin), c.int(def.brokerMax)];
        if (n < lo || n > hi) return invalid(`${def.name} must be in the range ${lo} to ${hi} inclusive.`);
      } else if (def.brokerMax !== undefined && n > c.int(def.brokerMax)) {
        return invalid(`${def.name} must be less than or equal to ${c.int(def.brokerMax)}`);
      }
    }
    const assignor = parsed.get("streams.assignor.name");
    if (assignor !== undefined) {
      const registered = (c.get("group.streams.assignors") ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
      if (!registered.includes(assignor)) return invalid(`streams.assignor.name '${assignor}' is not a registered task assignor. Registered assignors are: [${registered.join(", ")}].`);
    }
    for (const [session, heartbeat] of SESSION_HEARTBEAT) {
      if (!parsed.has(session) && !parsed.has(heartbeat)) continue;
      const s = Number(parsed.get(session) ?? c.int(`group.${session}`));
      const h = Number(parsed.get(heartbeat) ?? c.int(`group.${heartbeat}`));
      if (s <= h) return invalid(`${session} must be greater than ${heartbeat}`);
    }
    if (parsed.get("errors.deadletterqueue.topic.name")?.startsWith("__")) return invalid("errors.deadletterqueue.topic.name: DLQ topic name must not start with '__'");
    return parsed;
  }
}

/** A consumer group's session timeout: its group config when set, else the broker's. */
export function consumerSessionTimeoutMs(c: GroupConfig, groupId: string): number {
  return c.groupConfigs?.int(groupId, "consumer.session.timeout.ms") ?? c.consumerSessionTimeoutMs;
}
export function consumerHeartbeatIntervalMs(c: GroupConfig, groupId: string): number {
  return c.groupConfigs?.int(groupId, "consumer.heartbeat.interval.ms") ?? c.consumerHeartbeatIntervalMs;
}
/** How long after a target assignment the next one waits (consumer-protocol.ts canComputeTarget). */
export function consumerAssignmentIntervalMs(c: GroupConfig, groupId: string): number {
  return c.assignmentIntervalMs?.(groupId, "consumer") ?? 0;
}
export function shareSessionTimeoutMs(c: GroupConfig, groupId: string): number {
  return c.groupConfigs?.int(groupId, "share.session.timeout.ms") ?? c.shareSessionTimeoutMs;
}
export function shareHeartbeatIntervalMs(c: GroupConfig, groupId: string): number {
  return c.groupConfigs?.int(groupId, "share.heartbeat.interval.ms") ?? c.shareHeartbeatIntervalMs;
}
