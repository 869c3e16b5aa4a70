/**
 * Record batches with the timestamps real clients put in them, produced byte for byte to a broker,
 * and what the broker then shows: its segments, the entries of each `.timeindex`, its ListOffsets
 * answers by time and its log start offsets after a retention check. Used against odradek always and
 * against Apache Kafka 4.4 when it can run (timestamps-kafka.test.ts), so both are observed the same way.
 *
 * Headers as each client writes them (RecordBatch v2, CreateTime):
 *  - librdkafka (rdkafka_msgset_writer.c): BaseTimestamp = the first message's timestamp, MaxTimestamp
 *    = the largest message timestamp but starting from 0, so records without a timestamp (-1) go out
 *    under a header that says 0; record deltas from the base.
 *  - kafkajs (producer/createTopicData + RecordBatch): firstTimestamp = the smallest record timestamp,
 *    maxTimestamp = the largest; records default to Date.now().
 *  - Java client (MemoryRecordsBuilder): baseTimestamp = the first record's, maxTimestamp = the largest;
 *    explicit timestamps are kept as given (test fixtures often use a fixed date in 2017, or 0).
 *  - franz-go (kgo): FirstTimestamp = the first record's, MaxTimestamp = the largest; a producer
 *    clock ahead of the broker's gives future timestamps (within message.timestamp.after.max.ms, 1 h).
 * One more: "understated", records stamped now under a header that says 0 (a header the broker must
 * not trust).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ApiKey, CompressionCodec, LOG_OVERHEAD, MAX_TIMESTAMP_OFFSET, computeBatchCrc, readBatchHeader, buildRecordBatch, updateBatchCrc, writeInt64 } from "@odradek/codec";
import { TestClient } from "./helpers.js";

/** 2017-01-01T00:00:00Z, a fixture date. */
export const OLD = 1_483_228_800_000;
const RECORDS_PER_BATCH = 4;
/** ~6 KB a batch: past index.interval.bytes (4096), so time index entries appear between batches. */
const VALUE = Buffer.alloc(1500, 0x61);

type Kind = "librdkafka" | "librdkafka-lz4" | "kafkajs" | "java-old" | "java-zero" | "franz-future" | "understated";

interface Times {
  now: number;
  future: number;
}

/** Record timestamps of batch `b` of a kind (-1 = none). */
function stamps(kind: Kind, b: number, t: Times): number[] {
  // out of order within a batch: the max is the second record
  const at = (base: number) => [1, 3, 0, 2].map((d) => base + b * 10 + d);
  switch (kind) {
    case "librdkafka":
    case "librdkafka-lz4": return Array(RECORDS_PER_BATCH).fill(-1);
    case "kafkajs": return at(t.now);
    case "java-old": return at(OLD);
    case "java-zero": return Array(RECORDS_PER_BATCH).fill(0);
    case "franz-future": return at(t.future);
    case "understated": return at(t.now);
  }
}

/** One batch as `kind` builds it. */
export function clientBatch(kind: Kind, b: number, t: Times): Buffer {
  const ts = stamps(kind, b, t);
  const compression = kind === "librdkafka-lz4" ? CompressionCodec.lz4 : CompressionCodec.none;
  const batch = buildRecordBatch({ compression, baseTimestamp: ts[0]!, records: ts.map((timestamp, i) => ({ key: `k${b}-${i}`, value: VALUE, timestamp })) });
  const headerMax = kind.startsWith("librdkafka") ? Math.max(0, ...ts) : kind === "understated" ? 0 : Math.max(...ts);
  writeInt64(batch, headerMax, MAX_TIMESTAMP_OFFSET);
  updateBatchCrc(batch, 0);
  return batch;
}

/** Topics and the kinds of their batches, in produce order. `r-` topics keep Kafka's default retention (7 days); the others retention.ms=-1. */
export const SCENARIOS: Record<string, Kind[]> = {
  librdkafka: ["librdkafka", "librdkafka", "librdkafka", "librdkafka"],
  "librdkafka-lz4": ["librdkafka-lz4", "librdkafka-lz4", "kafkajs", "librdkafka-lz4"],
  kafkajs: ["kafkajs", "kafkajs", "kafkajs", "kafkajs"],
  "java-old": ["java-old", "java-old", "java-old", "java-old"],
  "java-zero": ["java-zero", "java-zero"],
  "franz-future": ["franz-future", "franz-future", "franz-future"],
  understated: ["understated", "understated"],
  mixed: ["librdkafka", "java-old", "kafkajs", "librdkafka", "franz-future"],
  "old-then-now": ["java-old", "kafkajs", "java-old", "kafkajs"],
  "r-librdkafka": ["librdkafka", "librdkafka", "librdkafka"],
  "r-mixed": ["librdkafka", "java-old", "kafkajs", "librdkafka"],
  "r-old-then-now": ["java-old", "java-old", "kafkajs", "java-old"],
  "r-java-old": ["java-old", "java-old"],
};

/** Timestamps in observations, written relative to the run's clock so two runs compare. */
function label(ts: number, t: Times): string {
  if (ts >= t.future - 1000) return `future+${ts - t.future}`;
  if (ts >= t.now - 3_600_000) return `now+${ts - t.now}`;
  if (ts >= OLD && ts < OLD + 1_000_000) return `old+${ts - OLD}`;
  return String(ts);
}

/** The ListOffsets targets asked of every topic (-3 = MAX_TIMESTAMP). */
function targets(t: Times): Array<[string, number]> {
  return [
    ["max", -3], ["0", 0], ["1", 1], ["old", OLD], ["old+15", OLD + 15], ["now-1h", t.now - 3_600_000], ["now", t.now],
    ["now+25", t.now + 25], ["future", t.future], ["future+1000", t.future + 1000],
  ];
}

export interface Observed {
  /** Per topic, "offset@timestamp/leaderEpoch" (or "none") per ListOffsets target. */
  listOffsets: Record<string, Record<string, string>>;
  /** Per topic, the log start offset after a retention check. */
  logStartOffsets: Record<string, number>;
}

export async function produceScenarios(port: number, t: Times): Promise<void> {
  const c = await TestClient.connect(port);
  try {
    const names = Object.keys(SCENARIOS);
    const created = await c.request(ApiKey.CreateTopics, 7, {
      topics: names.map((name) => ({
        name, numPartitions: 1, replicationFactor: 1,
        configs: name.startsWith("r-") ? [] : [{ name: "retention.ms", value: "-1" }],
      })),
      timeoutMs: 30_000,
    });
    for (const tp of created.topics) if (tp.errorCode !== 0) throw new Error(`CreateTopics ${tp.name}: error ${tp.errorCode}`);
    for (const [name, kinds] of Object.entries(SCENARIOS)) {
      for (let b = 0; b < kinds.length; b++) {
        const records = clientBatch(kinds[b]!, b, t);
        const r = await produceWithRetry(c, name, records);
        if (r !== 0) throw new Error(`Produce to ${name}: error ${r}`);
      }
    }
    return;
  } finally {
    await c.close();
  }
}

/** ListOffsets by time for every scenario topic (after the retention check, so both brokers have had one). */
export async function listOffsetsByTime(port: number, t: Times): Promise<Observed["listOffsets"]> {
  const names = Object.keys(SCENARIOS);
  const c = await TestClient.connect(port);
  try {
    const listOffsets: Observed["listOffsets"] = {};
    for (const name of names) {
      listOffsets[name] = {};
      for (const [key, ts] of targets(t)) {
        const r = await c.request(ApiKey.ListOffsets, 8, { replicaId: -1, isolationLevel: 0, topics: [{ name, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: BigInt(ts) }] }] });
        const p = r.topics[0]!.partitions[0]!;
        listOffsets[name]![key] = p.errorCode !== 0 ? `error ${p.errorCode}` : p.offset < 0n ? "none" : `${p.offset}@${label(Number(p.timestamp), t)}`;
      }
    }
    return listOffsets;
  } finally {
    await c.close();
  }
}

/** Kafka answers NOT_LEADER_OR_FOLLOWER for a moment after CreateTopics. */
async function produceWithRetry(c: TestClient, name: string, records: Buffer): Promise<number> {
  for (let i = 0; ; i++) {
    const r = await c.request(ApiKey.Produce, 9, { acks: -1, timeoutMs: 5000, topicData: [{ name, partitionData: [{ index: 0, records }] }] });
    const code = r.responses[0]!.partitionResponses[0]!.errorCode;
    if ((code !== 6 && code !== 3) || i >= 50) return code;
    await new Promise((res) => setTimeout(res, 200));
  }
}

/** Log start offsets (ListOffsets EARLIEST) of every scenario topic. */
export async function logStartOffsets(port: number): Promise<Record<string, number>> {
  const c = await TestClient.connect(port);
  try {
    const out: Record<string, number> = {};
    for (const name of Object.keys(SCENARIOS)) {
      const r = await c.request(ApiKey.ListOffsets, 8, { replicaId: -1, isolationLevel: 0, topics: [{ name, partitions: [{ partitionIndex: 0, currentLeaderEpoch: -1, timestamp: -2n }] }] });
      out[name] = Number(r.topics[0]!.partitions[0]!.offset);
    }
    return out;
  } finally {
    await c.close();
  }
}

/**
 * Per topic, each segment's base offset with its time index entries ("offset@timestamp"), read from
 * `<logDir>/<topic>-0/*.timeindex` after a clean stop (both brokers trim the files and add the
 * segment's last entry then).
 */
export function timeIndexes(logDir: string, t: Times): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  for (const name of Object.keys(SCENARIOS)) {
    const dir = join(logDir, `${name}-0`);
    const segs: Record<string, string[]> = {};
    for (const f of readdirSync(dir).filter((n) => n.endsWith(".timeindex")).sort()) {
      const base = Number(f.slice(0, 20));
      const buf = readFileSync(join(dir, f));
      const entries: string[] = [];
      for (let p = 0; p + 12 <= buf.length; p += 12) {
        const ts = Number(buf.readBigInt64BE(p));
        const rel = buf.readInt32BE(p + 8);
        if (ts === 0 && rel === 0 && p > 0) break; // preallocated zeros
        entries.push(`${base + rel}@${label(ts, t)}`);
      }
      segs[String(base)] = entries;
    }
    out[name] = segs;
  }
  return out;
}

/** Per topic, each stored batch as Fetch returns it: "baseOffset max=<label> crc=ok|bad attributes=<n>" (the bytes depend on the run's clock, so the CRC is checked, not shown). */
export async function storedHeaders(port: number, t: Times): Promise<Record<string, string[]>> {
  const c = await TestClient.connect(port);
  try {
    const out: Record<string, string[]> = {};
    // not the r- topics: a retention check may run at any moment after their produce
    for (const name of Object.keys(SCENARIOS).filter((n) => !n.startsWith("r-"))) {
      const r = await c.request(ApiKey.Fetch, 12, {
        replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 24, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
        topics: [{ topic: name, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 24, currentLeaderEpoch: -1, logStartOffset: -1n }] }], forgottenTopicsData: [],
      });
      const p = r.responses[0]!.partitions[0]!;
      const records = (p.records ?? Buffer.alloc(0)) as Buffer;
      const rows: string[] = [];
      for (let pos = 0; pos + 61 <= records.length;) {
        const h = readBatchHeader(records, pos);
        rows.push(`${h.baseOffset} max=${label(h.maxTimestamp, t)} crc=${computeBatchCrc(records, pos, h.batchLength) === h.crc ? "ok" : "bad"} attributes=${h.attributes}`);
        pos += LOG_OVERHEAD + h.batchLength;
      }
      out[name] = p.errorCode !== 0 ? [`error ${p.errorCode}`] : rows;
    }
    return out;
  } finally {
    await c.close();
  }
}
