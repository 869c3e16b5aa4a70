/**
 * The bridge from Kafka's broker and topic configs to the storage engine: a topic's effective log
 * configs (its own overrides over the broker's `log.*` synonyms over Kafka's defaults, see config.ts)
 * and the log store's scheduler intervals.
 */
import type { LogStoreOptions, LogStoreReconfiguration } from "@odradek/storage";
import { TOPIC_CONFIGS } from "./config.js";
import type { BrokerConfig } from "./config.js";

/** The topic configs the storage engine reads (effect "storage" in the table). */
const STORAGE_KEYS = TOPIC_CONFIGS.filter((d) => d.effect === "storage").map((d) => d.name);

/** Every storage-relevant config of a topic, resolved. */
export function logConfigsFor(config: BrokerConfig, overrides: ReadonlyMap<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of STORAGE_KEYS) {
    const v = config.topicValue(k, overrides);
    if (v !== null) out[k] = v;
  }
  return out;
}

/** Node's timers (under the system clock) take at most 2^31-1 ms; Kafka's "never" (Long.MAX_VALUE) becomes "rarely". */
const clampMs = (v: string | null, fallback: number): number => {
  const n = Number(v);
  return Number.isFinite(n) && n > 0 && n < 0x7fffffff ? n : fallback;
};

/** The log store's background intervals from Kafka's broker configs. */
/**
 * Bytes one key of the cleaner's offset map takes here (a JS Map entry with a short string key), against
 * Kafka's 24 (MD5 + offset): `log.cleaner.dedupe.buffer.size` (Kafka's default 128 MiB) gives ~1M keys.
 */
const CLEANER_MAP_BYTES_PER_KEY = 128;

export function logSchedule(config: BrokerConfig): Pick<LogStoreOptions, "retentionCheckIntervalMs" | "flushCheckIntervalMs" | "checkpointIntervalMs" | "cleanerBackoffMs" | "cleanerMaxMapEntries" | "producerIdExpirationMs" | "producerIdExpirationCheckIntervalMs"> {
  return {
    producerIdExpirationMs: clampMs(config.get("producer.id.expiration.ms"), 86_400_000),
    producerIdExpirationCheckIntervalMs: clampMs(config.get("producer.id.expiration.check.interval.ms"), 600_000),
    retentionCheckIntervalMs: clampMs(config.get("log.retention.check.interval.ms"), 300_000),
    // The flush check is cheap (it only compares clocks unless a topic sets flush.ms), so it runs every
    // second unless log.flush.scheduler.interval.ms asks for more often.
    flushCheckIntervalMs: Math.min(1_000, clampMs(config.get("log.flush.scheduler.interval.ms"), 1_000)),
    checkpointIntervalMs: clampMs(config.get("log.flush.offset.checkpoint.interval.ms"), 60_000),
    cleanerBackoffMs: clampMs(config.get("log.cleaner.backoff.ms"), 15_000),
    cleanerMaxMapEntries: Math.max(1, Math.floor(Number(config.get("log.cleaner.dedupe.buffer.size") ?? 134_217_728) / CLEANER_MAP_BYTES_PER_KEY)),
  };
}

/** The scheduler settings a dynamic broker config changes on a running log store (dynamic-broker-config.ts). */
export function logStoreReconfiguration(config: BrokerConfig): LogStoreReconfiguration {
  const { cleanerBackoffMs, cleanerMaxMapEntries, producerIdExpirationMs } = logSchedule(config);
  return { cleanerBackoffMs, cleanerMaxMapEntries, producerIdExpirationMs };
}
