/**
 * Broker and topic configuration, with Kafka's names, types and defaults.
 *
 * Broker configs come from a `server.properties` file (`parseProperties`), `--set key=value` and
 * `startBroker` options, in that order of precedence (later wins); dynamic broker configs
 * (dynamic-broker-config.ts: this broker's, then the cluster default's) take precedence over all of them. Keys this broker does not know
 * are kept (Kafka logs and ignores them) so `DescribeConfigs` can still show them; known keys are
 * type-checked and a bad value throws `ConfigError` (the CLI exits 2).
 *
 * Topic configs follow Kafka's `LogConfig`: each has a broker-level synonym that supplies its
 * default (`retention.ms` ← `log.retention.ms` ← `log.retention.minutes` ← `log.retention.hours`).
 */
import { OdradekError } from "@odradek/codec";
import { LOG_CONFIG_DEFAULTS as LOG } from "@odradek/storage";
import { parseEndpoint } from "./config-listeners.js";
import type { ListenerEndpoint } from "./config-listeners.js";

export class ConfigError extends OdradekError {
  constructor(message: string) {
    super("ERR_CONFIG", message, 40 /* INVALID_CONFIG */);
  }
}

export type ConfigType = "boolean" | "string" | "int" | "short" | "long" | "double" | "list" | "class" | "password";

/** Kafka's ConfigEntry.ConfigType ids used by DescribeConfigs v3+. */
export const CONFIG_TYPE_ID: Record<ConfigType, number> = {
  boolean: 1,
  string: 2,
  int: 3,
  short: 4,
  long: 5,
  double: 6,
  list: 7,
  class: 8,
  password: 9,
};

/** DescribeConfigs config sources (Kafka's DescribeConfigsResponse.ConfigSource). */
export const ConfigSource = {
  UNKNOWN: 0,
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
  DYNAMIC_BROKER_LOGGER_CONFIG: 6,
  DYNAMIC_GROUP_CONFIG: 8,
} as const;

export interface ConfigDef {
  readonly name: string;
  readonly type: ConfigType;
  /** Kafka's default as a string; null = no default. */
  readonly default: string | null;
  /** Allowed values (case-sensitive as in Kafka), for string configs with a fixed set. */
  readonly oneOf?: readonly string[];
  readonly min?: number;
  readonly max?: number;
  readonly readOnly?: boolean;
  /** odradek's own setting, or one Kafka defines as internal (ConfigDef.defineInternal): DescribeConfigs lists it only when it is set. */
  readonly internal?: boolean;
  /** For a broker config expressed in another unit: multiply the value by this to get the primary synonym's unit. */
  readonly scale?: number;
}

const LONG_MAX = "9223372036854775807";

/** Broker configs this broker reads or reports. */
export const BROKER_CONFIGS: readonly ConfigDef[] = [
  { name: "node.id", type: "int", default: "1", readOnly: true },
  { name: "broker.id", type: "int", default: "-1", readOnly: true },
  { name: "listeners", type: "list", default: "PLAINTEXT://127.0.0.1:9092" },
  { name: "listener.security.protocol.map", type: "string", default: "SASL_SSL:SASL_SSL,PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT" },
  { name: "advertised.listeners", type: "list", default: null, readOnly: true },
  { name: "log.dirs", type: "list", default: null, readOnly: true },
  { name: "log.dir", type: "list", default: "/tmp/kafka-logs", readOnly: true },
  { name: "num.partitions", type: "int", default: "1", min: 1 },
  { name: "default.replication.factor", type: "int", default: "1", min: 1 },
  { name: "auto.create.topics.enable", type: "boolean", default: "true", readOnly: true },
  { name: "delete.topic.enable", type: "boolean", default: "true", readOnly: true },
  { name: "message.max.bytes", type: "int", default: LOG["max.message.bytes"], min: 0 },
  { name: "socket.request.max.bytes", type: "int", default: "104857600", min: 1, readOnly: true },
  { name: "connections.max.idle.ms", type: "long", default: "600000", readOnly: true },
  { name: "max.incremental.fetch.session.cache.slots", type: "int", default: "1000", min: 0, readOnly: true },
  { name: "queued.max.requests", type: "int", default: "500", min: 1, readOnly: true },
  { name: "log.retention.ms", type: "long", default: null },
  { name: "log.retention.minutes", type: "int", default: null, scale: 60_000 },
  { name: "log.retention.hours", type: "int", default: String(Number(LOG["retention.ms"]) / 3_600_000), scale: 3_600_000 },
  { name: "log.retention.bytes", type: "long", default: LOG["retention.bytes"] },
  { name: "log.retention.check.interval.ms", type: "long", default: "300000", min: 1, readOnly: true },
  { name: "log.segment.bytes", type: "int", default: LOG["segment.bytes"], min: 14 },
  { name: "log.roll.ms", type: "long", default: null },
  { name: "log.roll.hours", type: "int", default: String(Number(LOG["segment.ms"]) / 3_600_000), min: 1, scale: 3_600_000 },
  { name: "log.roll.jitter.ms", type: "long", default: null },
  { name: "log.roll.jitter.hours", type: "int", default: String(Number(LOG["segment.jitter.ms"]) / 3_600_000), scale: 3_600_000 },
  { name: "log.index.size.max.bytes", type: "int", default: LOG["segment.index.bytes"], min: 4 },
  { name: "log.index.interval.bytes", type: "int", default: LOG["index.interval.bytes"], min: 0 },
  { name: "log.flush.interval.messages", type: "long", default: LOG["flush.messages"], min: 1 },
  { name: "log.flush.interval.ms", type: "long", default: null },
  { name: "log.flush.scheduler.interval.ms", type: "long", default: LONG_MAX, readOnly: true },
  { name: "log.flush.offset.checkpoint.interval.ms", type: "int", default: "60000", min: 0, readOnly: true },
  { name: "log.cleaner.backoff.ms", type: "long", default: "15000", min: 0 },
  // No range of its own in Kafka: a dynamic change is checked against "at least 1MB per cleaner thread" (dynamic-broker-config.ts).
  { name: "log.cleaner.dedupe.buffer.size", type: "long", default: "134217728" },
  { name: "log.cleanup.policy", type: "list", default: LOG["cleanup.policy"], oneOf: ["delete", "compact"] },
  { name: "log.cleaner.delete.retention.ms", type: "long", default: LOG["delete.retention.ms"], min: 0 },
  { name: "log.cleaner.min.compaction.lag.ms", type: "long", default: "0", min: 0 },
  { name: "log.cleaner.max.compaction.lag.ms", type: "long", default: LONG_MAX, min: 1 },
  { name: "log.cleaner.min.cleanable.ratio", type: "double", default: "0.5" },
  { name: "log.segment.delete.delay.ms", type: "long", default: "60000", min: 0 },
  { name: "log.preallocate", type: "boolean", default: "false" },
  { name: "log.message.timestamp.type", type: "string", default: LOG["message.timestamp.type"], oneOf: ["CreateTime", "LogAppendTime"] },
  { name: "log.message.timestamp.before.max.ms", type: "long", default: LOG["message.timestamp.before.max.ms"], min: 0 },
  { name: "log.message.timestamp.after.max.ms", type: "long", default: LOG["message.timestamp.after.max.ms"], min: 0 },
  { name: "compression.type", type: "string", default: LOG["compression.type"], oneOf: ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"] },
  { name: "compression.gzip.level", type: "int", default: "-1" },
  { name: "compression.lz4.level", type: "int", default: "9" },
  { name: "compression.zstd.level", type: "int", default: "3" },
  { name: "min.insync.replicas", type: "int", default: "1", min: 1 },
  { name: "unclean.leader.election.enable", type: "boolean", default: "false" },
  { name: "transactional.id.expiration.ms", type: "int", default: "604800000", min: 1, readOnly: true },
  { name: "transaction.max.timeout.ms", type: "int", default: "900000", min: 1, readOnly: true },
  { name: "transaction.state.log.num.partitions", type: "int", default: "50", min: 1, readOnly: true },
  { name: "transaction.state.log.segment.bytes", type: "int", default: "104857600", min: 1, readOnly: true },
  { name: "transaction.state.log.replication.factor", type: "short", default: "3", min: 1, readOnly: true },
  { name: "transaction.abort.timed.out.transaction.cleanup.interval.ms", type: "int", default: "10000", min: 1, readOnly: true },
  { name: "transaction.remove.expired.transaction.cleanup.interval.ms", type: "int", default: "3600000", min: 1, readOnly: true },
  { name: "transaction.partition.verification.enable", type: "boolean", default: "true" },
  { name: "producer.id.expiration.ms", type: "int", default: "86400000", min: 1 },
  // Internal in Kafka 4.4 (DescribeConfigs does not list it; config-fidelity.mjs).
  { name: "producer.id.expiration.check.interval.ms", type: "int", default: "600000", min: 1, readOnly: true, internal: true },
  { name: "offsets.topic.replication.factor", type: "short", default: "3", min: 1, readOnly: true },
  { name: "offsets.topic.num.partitions", type: "int", default: "50", min: 1, readOnly: true },
  { name: "offsets.topic.segment.bytes", type: "int", default: "104857600", min: 1, readOnly: true },
  { name: "offsets.retention.minutes", type: "int", default: "10080", min: 1, readOnly: true },
  { name: "offsets.retention.check.interval.ms", type: "long", default: "600000", min: 1, readOnly: true },
  { name: "offsets.commit.timeout.ms", type: "int", default: "5000", min: 1, readOnly: true },
  { name: "offset.metadata.max.bytes", type: "int", default: "4096", readOnly: true },
  { name: "group.min.session.timeout.ms", type: "int", default: "6000", readOnly: true },
  { name: "group.max.session.timeout.ms", type: "int", default: "1800000", readOnly: true },
  // Kafka's default is 3000; a development broker starts a group's first rebalance at once (set it to
  // Kafka's value to batch the first members of a group as Kafka does).
  { name: "group.initial.rebalance.delay.ms", type: "int", default: "0", readOnly: true },
  { name: "group.max.size", type: "int", default: "2147483647", min: 1, readOnly: true },
  { name: "group.consumer.max.size", type: "int", default: "2147483647", min: 1, readOnly: true },
  { name: "group.consumer.session.timeout.ms", type: "int", default: "45000", min: 1, readOnly: true },
  { name: "group.consumer.heartbeat.interval.ms", type: "int", default: "5000", min: 1, readOnly: true },
  { name: "group.consumer.assignors", type: "list", default: "uniform,range", readOnly: true },
  // KIP-848's online conversion between classic and consumer groups (group/group-migration.ts).
  { name: "group.consumer.migration.policy", type: "string", default: "bidirectional", oneOf: ["bidirectional", "upgrade", "downgrade", "disabled"], readOnly: true },
  { name: "group.share.session.timeout.ms", type: "int", default: "45000", min: 1, readOnly: true },
  { name: "group.share.heartbeat.interval.ms", type: "int", default: "5000", min: 1, readOnly: true },
  { name: "group.share.max.size", type: "int", default: "200", min: 1, readOnly: true },
  { name: "group.share.record.lock.duration.ms", type: "int", default: "30000", min: 1000, readOnly: true },
  { name: "group.share.delivery.count.limit", type: "int", default: "5", min: 2, readOnly: true },
  { name: "group.share.partition.max.record.locks", type: "int", default: "2000", min: 100, readOnly: true },
  // Bounds of the share.* group configs (IncrementalAlterConfigs on GROUP resources, share/shares.ts).
  { name: "group.share.min.session.timeout.ms", type: "int", default: "45000", min: 1, readOnly: true },
  { name: "group.share.max.session.timeout.ms", type: "int", default: "60000", min: 1, readOnly: true },
  { name: "group.share.min.heartbeat.interval.ms", type: "int", default: "5000", min: 1, readOnly: true },
  { name: "group.share.max.heartbeat.interval.ms", type: "int", default: "15000", min: 1, readOnly: true },
  { name: "group.share.min.record.lock.duration.ms", type: "int", default: "15000", min: 1000, readOnly: true },
  { name: "group.share.max.record.lock.duration.ms", type: "int", default: "60000", min: 1000, readOnly: true },
  { name: "group.share.min.delivery.count.limit", type: "int", default: "2", min: 2, readOnly: true },
  { name: "group.share.max.delivery.count.limit", type: "int", default: "10", min: 2, readOnly: true },
  { name: "group.share.min.partition.max.record.locks", type: "int", default: "100", min: 100, readOnly: true },
  { name: "group.share.max.partition.max.record.locks", type: "int", default: "4000", min: 100, readOnly: true },
  // Defaults and bounds of the consumer.*, share.* and streams.* group configs (group/group-configs.ts).
  { name: "group.consumer.min.session.timeout.ms", type: "int", default: "45000", min: 1, readOnly: true },
  { name: "group.consumer.max.session.timeout.ms", type: "int", default: "60000", min: 1, readOnly: true },
  { name: "group.consumer.min.heartbeat.interval.ms", type: "int", default: "5000", min: 1, readOnly: true },
  { name: "group.consumer.max.heartbeat.interval.ms", type: "int", default: "15000", min: 1, readOnly: true },
  { name: "group.consumer.assignment.interval.ms", type: "int", default: "1000", min: 0 },
  { name: "group.consumer.min.assignment.interval.ms", type: "int", default: "0", min: 0, readOnly: true },
  { name: "group.consumer.max.assignment.interval.ms", type: "int", default: "15000", min: 0, readOnly: true },
  { name: "group.share.assignment.interval.ms", type: "int", default: "1000", min: 0 },
  { name: "group.share.min.assignment.interval.ms", type: "int", default: "0", min: 0, readOnly: true },
  { name: "group.share.max.assignment.interval.ms", type: "int", default: "15000", min: 0, readOnly: true },
  { name: "group.streams.session.timeout.ms", type: "int", default: "45000", min: 1, readOnly: true },
  { name: "group.streams.min.session.timeout.ms", type: "int", default: "45000", min: 1, readOnly: true },
  { name: "group.streams.max.session.timeout.ms", type: "int", default: "60000", min: 1, readOnly: true },
  { name: "group.streams.heartbeat.interval.ms", type: "int", default: "5000", min: 1, readOnly: true },
  { name: "group.streams.min.heartbeat.interval.ms", type: "int", default: "5000", min: 1, readOnly: true },
  { name: "group.streams.max.heartbeat.interval.ms", type: "int", default: "15000", min: 1, readOnly: true },
  { name: "group.streams.num.standby.replicas", type: "int", default: "0", min: 0, readOnly: true },
  { name: "group.streams.max.standby.replicas", type: "int", default: "2", min: 0, readOnly: true },
  { name: "group.streams.initial.rebalance.delay.ms", type: "int", default: "3000", min: 0, readOnly: true },
  { name: "group.streams.assignment.interval.ms", type: "int", default: "1000", min: 0 },
  { name: "group.streams.min.assignment.interval.ms", type: "int", default: "0", min: 0, readOnly: true },
  { name: "group.streams.max.assignment.interval.ms", type: "int", default: "15000", min: 0, readOnly: true },
  { name: "group.streams.assignors", type: "list", default: "sticky", readOnly: true },
  { name: "group.streams.rack.aware.assignment.tags", type: "list", default: "", readOnly: true },
  { name: "share.coordinator.state.topic.num.partitions", type: "int", default: "50", min: 1, readOnly: true },
  { name: "share.coordinator.state.topic.segment.bytes", type: "int", default: "104857600", min: 1, readOnly: true },
  { name: "process.roles", type: "list", default: "broker,controller", readOnly: true },
  // Broker synonyms of topic configs that are described but have no effect (tiered storage, KIP-405;
  // the decompression bound, KIP-1255).
  { name: "log.local.retention.bytes", type: "long", default: "-2", min: -2, readOnly: true },
  { name: "log.local.retention.ms", type: "long", default: "-2", min: -2, readOnly: true },
  { name: "log.remote.copy.lag.bytes", type: "long", default: "-1", readOnly: true },
  { name: "log.remote.copy.lag.ms", type: "long", default: "0", readOnly: true },
  { name: "max.decompressed.message.bytes", type: "int", default: "2147483639", readOnly: true },
];

/**
 * Topic configs, the one table of them (CreateTopics, DescribeConfigs, AlterConfigs and
 * IncrementalAlterConfigs validate and describe from it; the storage engine's keys and defaults are
 * the entries with effect "storage", checked against LOG_CONFIG_DEFAULTS by config.test.ts): name,
 * type, default, validation (oneOf, min), where it takes effect, and the broker synonyms in precedence
 * order (the first that is set supplies the default; the first is the primary one). Kafka 4.4's whole list (its answers list them in hash-map order);
 * some have no broker synonym.
 */
export interface TopicConfigDef extends ConfigDef {
  readonly synonyms: readonly string[];
  /**
   * Where the config takes effect: "storage" (a LogConfig field: storage's LOG_CONFIG_DEFAULTS holds
   * its default and parseLogConfig reads it; the log sees changes at once), "broker" (read per request
   * by a handler), "none" (stored and described only; SKIPPED.md).
   */
  readonly effect: "storage" | "broker" | "none";
}

export const TOPIC_CONFIGS: readonly TopicConfigDef[] = [
  { name: "cleanup.policy", type: "list", default: LOG["cleanup.policy"], oneOf: ["delete", "compact"], effect: "storage", synonyms: ["log.cleanup.policy"] },
  { name: "compression.type", type: "string", default: LOG["compression.type"], oneOf: ["uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"], effect: "storage", synonyms: ["compression.type"] },
  { name: "compression.gzip.level", type: "int", default: "-1", effect: "none", synonyms: ["compression.gzip.level"] },
  { name: "compression.lz4.level", type: "int", default: "9", effect: "none", synonyms: ["compression.lz4.level"] },
  { name: "compression.zstd.level", type: "int", default: "3", effect: "none", synonyms: ["compression.zstd.level"] },
  { name: "delete.retention.ms", type: "long", default: LOG["delete.retention.ms"], min: 0, effect: "storage", synonyms: ["log.cleaner.delete.retention.ms"] },
  { name: "errors.deadletterqueue.group.enable", type: "boolean", default: "false", effect: "none", synonyms: [] },
  { name: "file.delete.delay.ms", type: "long", default: "60000", min: 0, effect: "none", synonyms: ["log.segment.delete.delay.ms"] },
  { name: "flush.messages", type: "long", default: LOG["flush.messages"], min: 1, effect: "storage", synonyms: ["log.flush.interval.messages"] },
  { name: "flush.ms", type: "long", default: LOG["flush.ms"], min: 0, effect: "storage", synonyms: ["log.flush.interval.ms", "log.flush.scheduler.interval.ms"] },
  { name: "follower.replication.throttled.replicas", type: "list", default: "", effect: "none", synonyms: [] },
  { name: "index.interval.bytes", type: "int", default: LOG["index.interval.bytes"], min: 0, effect: "storage", synonyms: ["log.index.interval.bytes"] },
  { name: "leader.replication.throttled.replicas", type: "list", default: "", effect: "none", synonyms: [] },
  { name: "local.retention.bytes", type: "long", default: "-2", min: -2, effect: "none", synonyms: ["log.local.retention.bytes"] },
  { name: "local.retention.ms", type: "long", default: "-2", min: -2, effect: "none", synonyms: ["log.local.retention.ms"] },
  { name: "max.compaction.lag.ms", type: "long", default: LONG_MAX, min: 1, effect: "none", synonyms: ["log.cleaner.max.compaction.lag.ms"] },
  { name: "max.decompressed.message.bytes", type: "int", default: "2147483639", effect: "none", synonyms: ["max.decompressed.message.bytes"] },
  { name: "max.message.bytes", type: "int", default: LOG["max.message.bytes"], min: 0, effect: "storage", synonyms: ["message.max.bytes"] },
  { name: "message.timestamp.after.max.ms", type: "long", default: LOG["message.timestamp.after.max.ms"], min: 0, effect: "storage", synonyms: ["log.message.timestamp.after.max.ms"] },
  { name: "message.timestamp.before.max.ms", type: "long", default: LOG["message.timestamp.before.max.ms"], min: 0, effect: "storage", synonyms: ["log.message.timestamp.before.max.ms"] },
  { name: "message.timestamp.type", type: "string", default: LOG["message.timestamp.type"], oneOf: ["CreateTime", "LogAppendTime"], effect: "storage", synonyms: ["log.message.timestamp.type"] },
  { name: "min.cleanable.dirty.ratio", type: "double", default: "0.5", effect: "none", synonyms: ["log.cleaner.min.cleanable.ratio"] },
  { name: "min.compaction.lag.ms", type: "long", default: "0", min: 0, effect: "none", synonyms: ["log.cleaner.min.compaction.lag.ms"] },
  { name: "min.insync.replicas", type: "int", default: "1", min: 1, effect: "broker", synonyms: ["min.insync.replicas"] },
  { name: "preallocate", type: "boolean", default: "false", effect: "none", synonyms: ["log.preallocate"] },
  { name: "remote.copy.lag.bytes", type: "long", default: "-1", effect: "none", synonyms: ["log.remote.copy.lag.bytes"] },
  { name: "remote.copy.lag.ms", type: "long", default: "0", effect: "none", synonyms: ["log.remote.copy.lag.ms"] },
  { name: "remote.log.copy.disable", type: "boolean", default: "false", effect: "none", synonyms: [] },
  { name: "remote.log.delete.on.disable", type: "boolean", default: "false", effect: "none", synonyms: [] },
  { name: "remote.storage.enable", type: "boolean", default: "false", effect: "none", synonyms: [] },
  { name: "retention.bytes", type: "long", default: LOG["retention.bytes"], effect: "storage", synonyms: ["log.retention.bytes"] },
  { name: "retention.ms", type: "long", default: LOG["retention.ms"], min: -1, effect: "storage", synonyms: ["log.retention.ms", "log.retention.minutes", "log.retention.hours"] },
  { name: "segment.bytes", type: "int", default: LOG["segment.bytes"], min: 14, effect: "storage", synonyms: ["log.segment.bytes"] },
  { name: "segment.index.bytes", type: "int", default: LOG["segment.index.bytes"], min: 4, effect: "storage", synonyms: ["log.index.size.max.bytes"] },
  { name: "segment.jitter.ms", type: "long", default: LOG["segment.jitter.ms"], min: 0, effect: "storage", synonyms: ["log.roll.jitter.ms", "log.roll.jitter.hours"] },
  { name: "segment.ms", type: "long", default: LOG["segment.ms"], min: 1, effect: "storage", synonyms: ["log.roll.ms", "log.roll.hours"] },
  { name: "unclean.leader.election.enable", type: "boolean", default: "false", effect: "none", synonyms: ["unclean.leader.election.enable"] },
];

export const BROKER_CONFIG_BY_NAME = new Map(BROKER_CONFIGS.map((d) => [d.name, d]));
export const TOPIC_CONFIG_BY_NAME = new Map(TOPIC_CONFIGS.map((d) => [d.name, d]));

const INT_RE = /^-?\d+$/;
const DOUBLE_RE = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Returns an error message for a value that does not fit the definition, else null. */
export function validateValue(def: ConfigDef, raw: string): string | null {
  const v = raw.trim();
  switch (def.type) {
    case "boolean":
      if (!/^(true|false)$/i.test(v)) return `${def.name}: expected true or false, got "${raw}"`;
      return null;
    case "int":
    case "short":
    case "long": {
      if (!INT_RE.test(v)) return `${def.name}: expected an integer, got "${raw}"`;
      const n = BigInt(v);
      const [lo, hi] = def.type === "int" ? [-(2n ** 31n), 2n ** 31n - 1n] : def.type === "short" ? [-(2n ** 15n), 2n ** 15n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n];
      if (n < lo || n > hi) return `${def.name}: ${raw} is out of range for a ${def.type}`;
      if (def.min !== undefined && n < BigInt(def.min)) return `${def.name}: ${raw} is below the minimum ${def.min}`;
      if (def.max !== undefined && n > BigInt(def.max)) return `${def.name}: ${raw} is above the maximum ${def.max}`;
      return null;
    }
    case "double":
      if (!DOUBLE_RE.test(v)) return `${def.name}: expected a number, got "${raw}"`;
      return null;
    case "list":
      if (def.oneOf) {
        const parts = v.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
        for (const p of parts) if (!def.oneOf.includes(p)) return `${def.name}: "${p}" is not one of ${def.oneOf.join(", ")}`;
      }
      return null;
    default:
      if (def.oneOf && !def.oneOf.includes(v)) return `${def.name}: "${raw}" is not one of ${def.oneOf.join(", ")}`;
      return null;
  }
}

/** Parses Java `.properties` text: `key=value` / `key: value` / `key value`, `#`/`!` comments, `\` line continuations. */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^\s+/, "");
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^\s+/, "");
    }
    const m = /^((?:\\.|[^=:\s\\])+)\s*[=:\s]\s*(.*)$/.exec(line);
    const key = unescapeProperty(m ? m[1]! : line);
    const value = m ? unescapeProperty(m[2]!.replace(/\s+$/, "")) : "";
    out.set(key, value);
  }
  return out;
}

function unescapeProperty(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, c: string) => {
    if (c.length === 5) return String.fromCharCode(parseInt(c.slice(1), 16));
    return c === "t" ? "\t" : c === "n" ? "\n" : c === "r" ? "\r" : c === "f" ? "\f" : c;
  });
}

/** The broker's static configuration: explicitly set values over Kafka's defaults. */
export class BrokerConfig {
  /** Values set in server.properties / --set / options (the STATIC_BROKER_CONFIG source). */
  get explicit(): ReadonlyMap<string, string> {
    return this.values;
  }
  private readonly values: Map<string, string>;
  /** Dynamic broker configs: DYNAMIC_BROKER_CONFIG (this node) and DYNAMIC_DEFAULT_BROKER_CONFIG (""). */
  dynamicBroker: ReadonlyMap<string, string> = new Map();
  dynamicDefault: ReadonlyMap<string, string> = new Map();

  constructor(values: ReadonlyMap<string, string>) {
    for (const [k, v] of values) {
      const def = BROKER_CONFIG_BY_NAME.get(k);
      if (def) {
        const err = validateValue(def, v);
        if (err) throw new ConfigError(err);
      }
    }
    this.values = new Map(values);
  }

  /**
   * Records the listener actually bound when `listeners` was not set (host and port from options or
   * `--host`/`--port`, port 0 resolved), as a static setting, so DescribeConfigs reports what is
   * served; nothing is recorded when it equals the default.
   */
  recordBoundListener(host: string, port: number): void {
    if (this.values.has("listeners")) return;
    const listener = `PLAINTEXT://${host.includes(":") ? `[${host}]` : host}:${port}`;
    if (listener !== BROKER_CONFIG_BY_NAME.get("listeners")?.default) this.values.set("listeners", listener);
  }

  /** A config's set value and its source, dynamic before static; undefined when only the default applies. */
  lookup(name: string): { value: string; source: number } | undefined {
    const d = this.dynamicBroker.get(name);
    if (d !== undefined) return { value: d.trim(), source: ConfigSource.DYNAMIC_BROKER_CONFIG };
    const c = this.dynamicDefault.get(name);
    if (c !== undefined) return { value: c.trim(), source: ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG };
    const v = this.explicit.get(name);
    if (v !== undefined) return { value: v.trim(), source: ConfigSource.STATIC_BROKER_CONFIG };
    return undefined;
  }

  get(name: string): string | null {
    return this.lookup(name)?.value ?? BROKER_CONFIG_BY_NAME.get(name)?.default ?? null;
  }

  int(name: string): number {
    return Number(this.get(name));
  }

  bool(name: string): boolean {
    return (this.get(name) ?? "").toLowerCase() === "true";
  }

  /** A topic config's broker-level default and where it came from (the first set synonym wins). */
  topicDefault(def: TopicConfigDef): { value: string | null; source: number; synonym: string | null } {
    for (const syn of def.synonyms) {
      const v = this.lookup(syn);
      if (v !== undefined) {
        const scale = BROKER_CONFIG_BY_NAME.get(syn)?.scale;
        const value = scale !== undefined ? (BigInt(v.value) * BigInt(scale)).toString() : v.value;
        return { value, source: v.source, synonym: syn };
      }
    }
    return { value: def.default, source: ConfigSource.DEFAULT_CONFIG, synonym: null };
  }

  /** The effective value of a topic config given the topic's own overrides. */
  topicValue(name: string, overrides: ReadonlyMap<string, string>): string | null {
    const o = overrides.get(name);
    if (o !== undefined) return o;
    const def = TOPIC_CONFIG_BY_NAME.get(name);
    return def ? this.topicDefault(def).value : null;
  }
}

/** The first listener of `listeners` (`NAME://host:port`, config-listeners.ts parseEndpoint): its name, host and port. */
export function parseListener(listeners: string): ListenerEndpoint {
  const first = listeners.split(",")[0]!.trim();
  const endpoint = parseEndpoint(first);
  if (!endpoint) throw new ConfigError(`listeners: cannot parse "${first}" (expected NAME://host:port)`);
  if (endpoint.port > 65535) throw new ConfigError(`listeners: port ${endpoint.port} is out of range`);
  return endpoint;
}
