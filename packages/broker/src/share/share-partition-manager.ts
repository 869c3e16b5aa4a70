/**
 * The share-partitions of this broker (KIP-932's SharePartitionManager): one SharePartition per
 * (share group, topic partition), each changed by one operation at a time (its own serial queue: the
 * one owner of that state), loaded from `__share_group_state` on first use or initialized from
 * `share.auto.offset.reset` (latest by default; earliest; by_duration:<ISO-8601 duration>).
 *
 * Operations: acquire (ShareFetch: reads whole batches from the log, from the oldest AVAILABLE offset
 * or the window's end, up to the high watermark, or the last stable offset when the group's
 * `share.isolation.level` is read_committed), acknowledge (ShareFetch's piggy-backed and
 * ShareAcknowledge's), release a member's records (session closed, member gone), lock expiry (a timer
 * per share-partition on the broker clock, set to its earliest lock deadline). Every change that alters what is persisted is
 * written (share-state.ts) before the operation resolves. A release or expiry wakes waiting share
 * fetches of that partition (DelayedFetches.notifyAppend).
 */
import fastq from "fastq";
import { batchPositions, isControl, isTransactional, readRecords } from "@odradek/codec";
import type { Topic } from "../topic-registry.js";
import type { BrokerServices } from "../services.js";
import type { Clock, Timer } from "../clock.js";
import type { Logger } from "../logger.js";
import { AbortedBatches, CONTROL_TYPE_ABORT, controlRecordType } from "./aborted-batches.js";
import { SharePartition } from "./share-partition.js";
import type { AcquiredRange, LogBatchView, SharePartitionLimits } from "./share-partition.js";
import { ShareStateStore, shareKey } from "./share-state.js";

interface Entry {
  sp: SharePartition;
  queue: fastq.queueAsPromised<() => Promise<unknown>, unknown>;
  timer: Timer | null;
  createTimestamp: number;
}

export interface Acquired {
  records: Buffer[];
  acquired: AcquiredRange[];
  count: number;
}

/** Contiguous offsets with the same delivery count, as ShareFetch's AcquiredRecords list them. */
function ranges(offsets: number[], sp: SharePartition): AcquiredRange[] {
  const out: AcquiredRange[] = [];
  for (const o of offsets) {
    const dc = sp.offsets.get(o)!.deliveryCount;
    const last = out[out.length - 1];
    if (last && last.lastOffset === o - 1 && last.deliveryCount === dc) last.lastOffset = o;
    else out.push({ firstOffset: o, lastOffset: o, deliveryCount: dc });
  }
  return out;
}

/** "PnDTnHnMnS"-style ISO-8601 durations (by_duration:...), in ms. */
function isoDurationMs(s: string): number | null {
  const m = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/.exec(s);
  if (!m) return null;
  return (Number(m[1] ?? 0) * 86_400 + Number(m[2] ?? 0) * 3_600 + Number(m[3] ?? 0) * 60 + Number(m[4] ?? 0)) * 1000;
}

export class SharePartitionManager {
  readonly store: ShareStateStore;
  private readonly entries = new Map<string, Promise<Entry>>();

  constructor(private readonly broker: Pick<BrokerServices, "topics" | "config" | "delayedFetches">, private readonly clock: Clock, private readonly log: Logger, private readonly groupConfig: (groupId: string, name: string) => string) {
    this.store = new ShareStateStore(broker, clock, log);
  }

  private limits(groupId: string): SharePartitionLimits {
    const c = this.broker.config;
    return {
      deliveryCountLimit: Number(this.groupConfig(groupId, "share.delivery.count.limit")) || c.int("group.share.delivery.count.limit"),
      maxInFlight: Number(this.groupConfig(groupId, "share.partition.max.record.locks")) || c.int("group.share.partition.max.record.locks"),
      lockDurationMs: Number(this.groupConfig(groupId, "share.record.lock.duration.ms")) || c.int("group.share.record.lock.duration.ms"),
    };
  }

  lockDurationMs(groupId: string): number {
    return this.limits(groupId).lockDurationMs;
  }

  private entry(groupId: string, topic: Topic, partition: number): Promise<Entry> {
    const key = shareKey(groupId, topic.id, partition);
    let e = this.entries.get(key);
    if (!e) {
      e = (async () => {
        const stored = await this.store.read(groupId, topic.id, partition);
        const limits = this.limits(groupId);
        let sp: SharePartition;
        let createTimestamp = this.clock.now();
        if (stored) {
          sp = SharePartition.fromSnapshot(groupId, topic.id, partition, stored.startOffset, stored.stateBatches, limits);
          createTimestamp = stored.createTimestamp;
        } else {
          const start = await this.initialOffset(groupId, topic, partition);
          sp = new SharePartition(groupId, topic.id, partition, start, start, limits);
          await this.store.write(groupId, topic.id, partition, { stateEpoch: 0, startOffset: start, createTimestamp, stateBatches: [] });
        }
        return { sp, queue: fastq.promise((task: () => Promise<unknown>) => task(), 1), timer: null, createTimestamp };
      })();
      this.entries.set(key, e);
      e.catch(() => this.entries.delete(key));
    }
    return e;
  }

  /** Where a new share-partition starts: `share.auto.offset.reset` of the group. */
  private async initialOffset(groupId: string, topic: Topic, partition: number): Promise<number> {
    const log = topic.partitions[partition]!.log;
    const reset = this.groupConfig(groupId, "share.auto.offset.reset");
    if (reset === "earliest") return log.logStartOffset;
    if (reset.startsWith("by_duration:")) {
      const ms = isoDurationMs(reset.slice("by_duration:".length));
      const found = ms === null ? null : await log.offsetForTimestamp(this.clock.now() - ms);
      return found ? found.offset : log.highWatermark;
    }
    return log.highWatermark;
  }

  /** Makes sure the share-partitions exist (the group coordinator calls this when it first assigns them). */
  async initialize(groupId: string, partitions: { topic: Topic; partition: number }[]): Promise<void> {
    await Promise.all(partitions.map((p) => this.entry(groupId, p.topic, p.partition)));
  }

  private async run<T>(groupId: string, topic: Topic, partition: number, op: (sp: SharePartition, e: Entry) => Promise<T> | T): Promise<T> {
    const e = await this.entry(groupId, topic, partition);
    return e.queue.push(async () => op(e.sp, e)) as Promise<T>;
  }

  private async persist(e: Entry): Promise<void> {
    const sp = e.sp;
    await this.store.write(sp.groupId, sp.topicId, sp.partition, { stateEpoch: 0, startOffset: sp.startOffset, createTimestamp: e.createTimestamp, stateBatches: sp.snapshot() });
  }

  /** Re-arms the share-partition's lock timer at its earliest deadline. */
  private arm(e: Entry, topic: Topic, partition: number): void {
    e.timer?.cancel();
    e.timer = null;
    const at = e.sp.nextLockDeadline();
    if (at === null) return;
    e.timer = this.clock.setTimeout(() => {
      e.timer = null;
      void e.queue.push(async () => {
        const n = e.sp.expireLocks(this.clock.now());
        if (n > 0) {
          await this.persist(e);
          this.broker.delayedFetches.notifyAppend(topic.name, partition);
        }
        this.arm(e, topic, partition);
      }).catch((err: Error) => this.log.warn({ err: err.message }, "share-partition lock expiry failed"));
    }, Math.max(0, at - this.clock.now()));
  }

  /**
   * Acquires up to `maxRecords` records for `member`: whole batches (may go past it within a batch),
   * or exactly `maxRecords` with `recordLimit` (ShareFetch v2's record_limit mode). Under
   * `share.isolation.level=read_committed` only below the last stable offset, and batches of aborted
   * transactions are archived, never delivered (aborted-batches.ts).
   */
  acquire(groupId: string, member: string, topic: Topic, partition: number, maxRecords: number, maxBytes: number, recordLimit = false): Promise<Acquired> {
    return this.run(groupId, topic, partition, async (sp, e) => {
      const log = topic.partitions[partition]!.log;
      sp.archiveOutside(log.logStartOffset);
      const out: Acquired = { records: [], acquired: [], count: 0 };
      const committed = this.groupConfig(groupId, "share.isolation.level") === "read_committed";
      const upper = committed ? log.lastStableOffset : log.highWatermark;

      if (!sp.canAcquire(upper)) return out;
      let offset = sp.nextFetchOffset();
      let bytes = 0;
      const got: number[] = [];
      const now = this.clock.now();
      while (offset < upper && got.length < maxRecords && bytes < maxBytes) {
        const r = await log.read(offset, { maxBytes: Math.max(1, maxBytes - bytes), minOneBatch: true, ...(committed ? { isolation: "READ_COMMITTED" as const } : {}) });
        try {
          if (r.error || r.records.length === 0) break;
          const aborted = committed ? new AbortedBatches(r.abortedTransactions ?? []) : null;
          let progressed = false;
          for (const chunk of r.records) {
            for (const b of batchPositions(chunk, { allowPartial: true })) {
              if (b.partial) break;
              const h = b.header;
              const last = h.baseOffset + h.lastOffsetDelta;
              const control = isControl(h.attributes);
              const records = [...readRecords(chunk, b.pos)];
              const abortMarker = control && controlRecordType(records[0]?.key ?? null) === CONTROL_TYPE_ABORT;
              const isAborted = aborted?.isAborted({ producerId: h.producerId, lastOffset: last, transactional: isTransactional(h.attributes), control, abortMarker }) ?? false;
              if (last < offset) continue;
              progressed = true;
              offset = last + 1;
              const view: LogBatchView = { baseOffset: h.baseOffset, lastOffset: last, control, aborted: isAborted, offsets: control || isAborted ? [] : records.map((rec) => h.baseOffset + rec.offsetDelta) };
              const taken = sp.acquireFromBatch(member, view, maxRecords - got.length, now, recordLimit);
              if (taken.length > 0) {
                got.push(...taken);
                const bytesOf = chunk.subarray(b.pos, b.pos + h.batchLength + 12);
                out.records.push(Buffer.from(bytesOf));
                bytes += bytesOf.length;
              }
              if (got.length >= maxRecords || bytes >= maxBytes) break;
              // Past the window's end and it is full: stop reading.
              if (offset >= sp.endOffset && sp.endOffset - sp.startOffset >= sp.limits.maxInFlight) break;
              // Everything below the window's end is done and nothing is AVAILABLE there: jump to the end.
              const next = sp.nextFetchOffset();
              if (next > offset) offset = next;
            }
            if (got.length >= maxRecords || bytes >= maxBytes) break;
          }
          if (!progressed) break;
        } finally {
          r.release();
        }
        if (offset >= sp.endOffset && sp.endOffset - sp.startOffset >= sp.limits.maxInFlight) break;
      }
      out.acquired = ranges(got, sp);
      out.count = got.length;
      // Acquisition is not persisted (Kafka does not either): the new window end and archived control
      // offsets are written with the next acknowledgement; a restart delivers these again.
      if (got.length > 0) this.arm(e, topic, partition);
      return out;
    });
  }

  /** Applies acknowledgement batches of `member`; null, or the error text of the first bad batch (nothing of it applied). */
  acknowledge(groupId: string, member: string, topic: Topic, partition: number, batches: readonly { firstOffset: bigint; lastOffset: bigint; acknowledgeTypes: number[] }[]): Promise<string | null> {
    return this.run(groupId, topic, partition, async (sp, e) => {
      let error: string | null = null;
      const now = this.clock.now();
      for (const b of batches) {
        const err = sp.acknowledge(member, Number(b.firstOffset), Number(b.lastOffset), b.acknowledgeTypes, now);
        if (err) error ??= err;
      }
      await this.persist(e);
      this.arm(e, topic, partition);
      if (batches.some((b) => b.acknowledgeTypes.some((t) => t === 2))) this.broker.delayedFetches.notifyAppend(topic.name, partition);
      return error;
    });
  }

  /** Releases what `member` holds on these partitions (share session closed, member left). */
  async releaseMember(groupId: string, member: string, partitions: { topic: Topic; partition: number }[]): Promise<void> {
    await Promise.all(partitions.map((p) => this.run(groupId, p.topic, p.partition, async (sp, e) => {
      if (sp.releaseMember(member) > 0) {
        await this.persist(e);
        this.arm(e, p.topic, p.partition);
        this.broker.delayedFetches.notifyAppend(p.topic.name, p.partition);
      }
    })));
  }

  /** The start offset of a share-partition (DescribeShareGroupOffsets); null when it was never initialized. */
  async startOffset(groupId: string, topic: Topic, partition: number): Promise<{ startOffset: number; deliveryComplete: number } | null> {
    const key = shareKey(groupId, topic.id, partition);
    if (this.entries.has(key)) return this.run(groupId, topic, partition, (sp) => ({ startOffset: sp.startOffset, deliveryComplete: sp.deliveryCompleteCount() }));
    const stored = await this.store.read(groupId, topic.id, partition);
    return stored ? { startOffset: stored.startOffset, deliveryComplete: -1 } : null;
  }

  /** AlterShareGroupOffsets: the share-partition starts over at `offset`. */
  async reset(groupId: string, topic: Topic, partition: number, offset: number): Promise<void> {
    const key = shareKey(groupId, topic.id, partition);
    if (!this.entries.has(key)) {
      await this.store.write(groupId, topic.id, partition, { stateEpoch: 0, startOffset: offset, createTimestamp: this.clock.now(), stateBatches: [] });
      return;
    }
    await this.run(groupId, topic, partition, async (sp, e) => {
      sp.resetTo(offset);
      await this.persist(e);
    });
  }

  /** DeleteShareGroupOffsets / DeleteGroups: the state is forgotten (a tombstone). */
  async delete(groupId: string, topicId: string, partition: number): Promise<void> {
    const key = shareKey(groupId, topicId, partition);
    const e = this.entries.get(key);
    this.entries.delete(key);
    if (e !== undefined) (await e.catch(() => null))?.timer?.cancel();
    await this.store.write(groupId, topicId, partition, null);
  }

  async close(): Promise<void> {
    for (const e of this.entries.values()) (await e.catch(() => null))?.timer?.cancel();
    await this.store.close();
  }
}
