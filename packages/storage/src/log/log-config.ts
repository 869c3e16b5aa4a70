/**
 * Per-topic log configuration with Kafka's names and defaults. `parseLogConfig` reads Kafka's string
 * topic configs (`segment.bytes`, `retention.ms`, ...); unknown keys are ignored here (the broker
 * validates them). `LOG_CONFIG_DEFAULTS` is the one place of these configs' defaults: the broker's
 * config table (DescribeConfigs, CreateTopics) takes them from here.
 */
export const CleanupPolicy = { delete: "delete", compact: "compact" } as const;
export type CleanupPolicy = (typeof CleanupPolicy)[keyof typeof CleanupPolicy];

export interface LogConfig {
  segmentBytes: number;
  segmentMs: number;
  /** Up to this much is taken off segment.ms, drawn once per segment (Kafka's segment.jitter.ms). */
  segmentJitterMs: number;
  segmentIndexBytes: number;
  indexIntervalBytes: number;
  /** -1 = unlimited. */
  retentionMs: number;
  /** -1 = unlimited. */
  retentionBytes: number;
  cleanupPolicy: readonly CleanupPolicy[];
  deleteRetentionMs: number;
  /** Records appended between fsyncs; Infinity (Kafka: Long.MAX_VALUE) leaves it to the page cache. */
  flushMessages: number;
  flushMs: number;
  messageTimestampType: "CreateTime" | "LogAppendTime";
  /** CreateTime bounds (ms) of a record's timestamp below / above the broker's clock; Kafka's Long.MAX_VALUE reads as 2^63. */
  messageTimestampBeforeMaxMs: number;
  messageTimestampAfterMaxMs: number;
  /** The topic's codec for stored batches (`producer` keeps the producer's; `uncompressed` = none). */
  compressionType: string;
  /** The largest batch accepted (bytes, log overhead included). */
  maxMessageBytes: number;
  /** Snapshots kept (Kafka keeps a few; we keep the newest two). */
  maxProducerSnapshots: number;
}

/** Kafka's Long.MAX_VALUE, its "never" (read as Infinity). */
const LONG_MAX = "9223372036854775807";

/** The topic configs storage reads, with Kafka 4.4's defaults in Kafka's string form. */
export const LOG_CONFIG_DEFAULTS = {
  "segment.bytes": String(1024 * 1024 * 1024),
  "segment.ms": String(7 * 24 * 3600 * 1000),
  "segment.jitter.ms": "0",
  "segment.index.bytes": String(10 * 1024 * 1024),
  "index.interval.bytes": "4096",
  "retention.ms": String(7 * 24 * 3600 * 1000),
  "retention.bytes": "-1",
  "delete.retention.ms": String(24 * 3600 * 1000),
  "flush.messages": LONG_MAX,
  "flush.ms": LONG_MAX,
  "cleanup.policy": "delete",
  "message.timestamp.type": "CreateTime",
  "message.timestamp.before.max.ms": LONG_MAX,
  "message.timestamp.after.max.ms": "3600000",
  "compression.type": "producer",
  "max.message.bytes": "1048588",
} as const;
export type LogConfigKey = keyof typeof LOG_CONFIG_DEFAULTS;
export const LOG_CONFIG_KEYS = Object.keys(LOG_CONFIG_DEFAULTS) as LogConfigKey[];

const num = (v: string): number => {
  const n = Number(v);
  return n >= Number.MAX_SAFE_INTEGER ? Infinity : n;
};

/** Kafka topic config keys → LogConfig fields over `base`. */
export function parseLogConfig(configs: Readonly<Record<string, string | null | undefined>>, base: LogConfig = defaultLogConfig): LogConfig {
  const c: LogConfig = { ...base };
  for (const [k, v] of Object.entries(configs)) {
    if (v == null) continue;
    switch (k) {
      case "segment.bytes": c.segmentBytes = num(v); break;
      case "segment.ms": c.segmentMs = num(v); break;
      case "segment.jitter.ms": c.segmentJitterMs = num(v); break;
      case "segment.index.bytes": c.segmentIndexBytes = num(v); break;
      case "index.interval.bytes": c.indexIntervalBytes = num(v); break;
      case "retention.ms": c.retentionMs = num(v); break;
      case "retention.bytes": c.retentionBytes = num(v); break;
      case "delete.retention.ms": c.deleteRetentionMs = num(v); break;
      case "flush.messages": c.flushMessages = num(v); break;
      case "flush.ms": c.flushMs = num(v); break;
      case "cleanup.policy": c.cleanupPolicy = v.split(",").map((s) => s.trim()).filter((s): s is CleanupPolicy => s === "delete" || s === "compact"); break;
      case "message.timestamp.type": c.messageTimestampType = v === "LogAppendTime" ? "LogAppendTime" : "CreateTime"; break;
      // Not clamped to Infinity: the validator prints Kafka's bounds from them (see log-validator.ts).
      case "message.timestamp.before.max.ms": c.messageTimestampBeforeMaxMs = Number(v); break;
      case "message.timestamp.after.max.ms": c.messageTimestampAfterMaxMs = Number(v); break;
      case "compression.type": c.compressionType = v.trim(); break;
      case "max.message.bytes": c.maxMessageBytes = Number(v); break;
      default: break;
    }
  }
  return c;
}

/** Kafka's defaults as a LogConfig (each field but maxProducerSnapshots is set from LOG_CONFIG_DEFAULTS). */
export const defaultLogConfig: LogConfig = parseLogConfig(LOG_CONFIG_DEFAULTS, {
  segmentBytes: 0,
  segmentMs: 0,
  segmentJitterMs: 0,
  segmentIndexBytes: 0,
  indexIntervalBytes: 0,
  retentionMs: 0,
  retentionBytes: 0,
  cleanupPolicy: [],
  deleteRetentionMs: 0,
  flushMessages: 0,
  flushMs: 0,
  messageTimestampType: "CreateTime",
  messageTimestampBeforeMaxMs: 0,
  messageTimestampAfterMaxMs: 0,
  compressionType: "",
  maxMessageBytes: 0,
  maxProducerSnapshots: 2,
});
