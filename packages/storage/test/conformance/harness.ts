/**
 * What a backend gives the conformance suite (a ConformanceTarget), and the suite's helpers. The
 * suite sees a backend only through the storage port (StorageBackend → LogStore, PartitionLog,
 * BrokerMetadataStore), as the broker does; topics are created in the metadata store first, so their
 * logs take the topic's configs from there, as in the broker.
 */
import { afterEach, beforeEach } from "vitest";
import { buildRecordBatch, isControl, readBatchHeader, readRecords } from "@odradek/codec";
import type { PartitionLog, ReadOptions, Storage, StorageBackend } from "../../src/index.js";

/** A fixed "now" the suite's timestamps are near (2023-11-14). */
export const T0 = 1_700_000_000_000;
export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** An append a crash interrupts: the first `keepBytes` of `batch` reach the end of the log, no more. */
export interface TornWrite {
  readonly log: PartitionLog;
  readonly batch: Buffer;
  readonly keepBytes: number;
}

/** One backend under test, fresh and empty. */
export interface Harness {
  readonly backend: StorageBackend;
  /**
   * Abandons `storage` as a crashed process would (no close, no checkpoint), the crash tearing the
   * append of `torn.batch` to `torn.log` (when given) after `keepBytes` of it reached the log; returns
   * the backend a restarted process opens. Absent where the backend cannot simulate a crash.
   */
  crash?(storage: Storage, torn?: TornWrite): Promise<StorageBackend>;
  /** Removes whatever the backend left behind (temp directories). */
  cleanup(): void;
}

export interface ConformanceTarget {
  readonly name: string;
  create(): Harness;
}

/** Opens the backend with no background schedulers (the suite runs retention and compaction itself). */
export function open(backend: StorageBackend, logStore: Record<string, number> = {}): Promise<Storage> {
  return backend.open({ nodeId: 1, logStore: { schedule: false, ...logStore } });
}

/** Each test's storage: a fresh backend opened before it, closed and cleaned up after it. */
export interface Session {
  readonly h: Harness;
  readonly s: Storage;
  /** Closes the storage and opens the backend again (a restart), with these log store options. */
  reopen(logStore?: Record<string, number>): Promise<Storage>;
  /** Opens another backend (what a crash left) in place of the current storage, which is abandoned. */
  openInstead(backend: StorageBackend): Promise<Storage>;
}

export function withStorage(target: ConformanceTarget): Session {
  let h: Harness;
  let s: Storage;
  beforeEach(async () => {
    h = target.create();
    s = await open(h.backend);
  });
  afterEach(async () => {
    await s.close();
    h.cleanup();
  });
  return {
    get h() {
      return h;
    },
    get s() {
      return s;
    },
    async reopen(logStore) {
      await s.close();
      s = await open(h.backend, logStore);
      return s;
    },
    async openInstead(backend) {
      s = await open(backend);
      return s;
    },
  };
}

/** Creates topic `topic` (one partition unless told) with its configs, and opens partition 0's log. */
export async function topicLog(s: Storage, topic: string, configs: Record<string, string> = {}, partitions = 1): Promise<PartitionLog> {
  await s.metadata.createTopic(topic, partitions, configs);
  return s.logs.getOrCreateLog(topic, 0);
}

export interface RecordSpec {
  key?: string | null;
  /** null: a tombstone. Default "v". */
  value?: string | null;
  timestamp?: number;
}

export interface BatchSpec {
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
}

/** An uncompressed v2 batch (CreateTime; timestamps T0 unless given). */
export function batch(records: readonly RecordSpec[], o: BatchSpec = {}): Buffer {
  return buildRecordBatch({
    records: records.map((r) => ({ key: r.key ?? null, value: r.value === undefined ? "v" : r.value, timestamp: r.timestamp ?? T0 })),
    ...o,
  });
}

/** A batch of one record whose value is `size` bytes of `fill`, so that batch sizes are predictable. */
export function sized(key: string | null, size: number, timestamp = T0, fill = "x"): Buffer {
  return batch([{ key, value: fill.repeat(size), timestamp }]);
}

export interface ReadRecord {
  offset: number;
  key: string | null;
  value: string | null;
  timestamp: number;
}

/** Every data record from `from` (default the log start) to the log end, in offset order; control batches skipped. */
export async function readAll(log: PartitionLog, options: Partial<ReadOptions> & { from?: number } = {}): Promise<ReadRecord[]> {
  const out: ReadRecord[] = [];
  let offset = options.from ?? log.logStartOffset;
  for (;;) {
    const r = await log.read(offset, { maxBytes: 1 << 20, ...options });
    if (r.error) throw new Error(`read at ${offset}: ${r.error}`);
    const from = offset;
    try {
      for (const buf of r.records) {
        for (let pos = 0; pos < buf.length; ) {
          const h = readBatchHeader(buf, pos);
          if (!isControl(h.attributes)) {
            for (const rec of readRecords(buf, pos)) {
              const o = h.baseOffset + rec.offsetDelta;
              if (o >= from) out.push({ offset: o, key: rec.key?.toString() ?? null, value: rec.value?.toString() ?? null, timestamp: h.baseTimestamp + rec.timestampDelta });
            }
          }
          offset = Math.max(offset, h.baseOffset + h.lastOffsetDelta + 1);
          pos += h.batchLength + 12;
        }
      }
    } finally {
      r.release();
    }
    if (offset === from) return out;
  }
}

/** The batches a read at `offset` returns, each copied out (valid after release). */
export async function batchesAt(log: PartitionLog, offset: number): Promise<Buffer[]> {
  const r = await log.read(offset, { maxBytes: 1 << 20 });
  try {
    const out: Buffer[] = [];
    for (const buf of r.records) {
      for (let pos = 0; pos < buf.length; ) {
        const size = readBatchHeader(buf, pos).batchLength + 12;
        out.push(Buffer.from(buf.subarray(pos, pos + size)));
        pos += size;
      }
    }
    return out;
  } finally {
    r.release();
  }
}

/** `b` as the log stores it at `baseOffset`: the base offset and the partition leader epoch set (outside the CRC). */
export function asStored(b: Buffer, baseOffset: number, leaderEpoch = 0): Buffer {
  const out = Buffer.from(b);
  out.writeBigInt64BE(BigInt(baseOffset), 0);
  out.writeInt32BE(leaderEpoch, 12);
  return out;
}
