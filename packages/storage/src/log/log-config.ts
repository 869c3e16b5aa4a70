/**
 * Per-topic log configuration with Kafka's names and defaults. `parseLogConfig` reads Kafka's string
 * topic configs (`segment.bytes`, `retention.ms`, ...); unknown keys are ignored here (the broker
 * validates them).
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
  /** Snapshots kept (Kafka keeps a few; we keep the newest two). */
  maxProducerSnapshots: number;
}

export const defaultLogConfig: LogConfig = {
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * 24 * 3600 * 1000,
  segmentJitterMs: 0,
  segmentIndexBytes: 10 * 1024 * 1024,
  indexIntervalBytes: 4096,
  retentionMs: 7 * 24 * 3600 * 1000,
  retentionBytes: -1,
  cleanupPolicy: ["delete"],
  deleteRetentionMs: 24 * 3600 * 1000,
  flushMessages: Infinity,
  flushMs: Infinity,
  messageTimestampType: "CreateTime",
  maxProducerSnapshots: 2,
};

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
      default: break;
    }
  }
  return c;
}
