/**
 * The coordinator runtime: one partition of an internal, compacted topic (`__consumer_offsets` for
 * groups; `__transaction_state` and share-group state later) and the in-memory state rebuilt from it.
 * Groups, transactions and share groups share it (Kafka's CoordinatorRuntime, in small).
 *
 * Model:
 *  - An operation is a step `(shard) → { records, response, replay }`. Operations of one partition
 *    run one at a time (a serial queue: the partition is the one owner of its groups).
 *  - The step's records are appended to the partition's log as one batch; the response is released
 *    only once the append is done (and synced, when the topic's flush policy asks for it). So an
 *    acknowledged commit is in the log.
 *  - `replay: true` (offset commits, deletions): the records are applied to the state by the shard's
 *    own `replay` once appended, the very function that rebuilds the state at start, so the live state
 *    and a restart's state cannot differ. `replay: false` (classic group membership): the step
 *    already changed the in-memory state (pending joins and syncs are not in the log) and the records
 *    are a snapshot for restarts; replay applies them only at load.
 *  - Start-up (`load`) reads the whole log from its start and replays every record in offset order.
 *  - Timers (`schedule`) run on the injected clock and enqueue operations like requests do; a timer
 *    set again under the same key replaces the earlier one, also when it already fired and waits in
 *    the queue (Kafka's CoordinatorTimer).
 * A step that throws, or whose records fail to append (the storage refuses them, or throws), rejects
 * the operation (the handler answers with an error) and leaves the state as it was before the step:
 * `replay: true` records were never applied, and what a step changed in place is undone by the shard's
 * `rollback` (its undo journal, Kafka's revert to the last committed timeline snapshot); `commit`
 * forgets the journal once the records are in the log.
 */
import fastq from "fastq";
import { ControlRecordType, batchPositions, buildRecordBatch, isControl, isTransactional, parseControlRecordKey, readRecords } from "@odradek/codec";
import { ErrorCode } from "@odradek/codec";
import type { Clock, Timer } from "../clock.js";
import { errorName, storageFault } from "../storage-errors.js";

export interface CoordinatorRecord {
  key: Buffer;
  /** null: a tombstone. */
  value: Buffer | null;
}

export interface CoordinatorResult<T> {
  records: CoordinatorRecord[];
  response: T;
  /** Apply the records through the shard's replay once appended (default true). */
  replay?: boolean;
  /**
   * Written as a transactional batch of this producer (TxnOffsetCommit): replayed through
   * `replayTransactional` and made visible, or dropped, by the transaction's marker.
   */
  transactional?: { producerId: number; producerEpoch: number };
}

export interface CoordinatorShard {
  replay(record: CoordinatorRecord, offset: number): void;
  /**
   * Records a step produced as a side effect of changing in-memory state (a group that became empty
   * while another request was handled): written with that step's records, never replayed live.
   */
  drainRecords?(): CoordinatorRecord[];
  /** A record of an open transaction (held until its marker; see CoordinatorResult.transactional). */
  replayTransactional?(record: CoordinatorRecord, offset: number, producerId: number): void;
  /** A transaction marker: the producer's pending records become visible (commit) or are dropped. */
  replayEndTransaction?(producerId: number, commit: boolean, offset: number): void;
  /** The step threw or its records failed to append: undo what it changed in memory, newest first. */
  rollback?(): void;
  /** The step's records are appended (or it had none): its changes stay. */
  commit?(): void;
}

/** What the runtime needs of a partition log (storage's PartitionLog fits). */
export interface CoordinatorLog {
  readonly logStartOffset: number;
  readonly highWatermark: number;
  append(batch: Buffer, options: { leaderEpoch: number; origin: "coordinator" }): Promise<{ error?: string; errorMessage?: string }>;
  appendTxnMarker(marker: { producerId: number; producerEpoch: number; coordinatorEpoch: number; commit: boolean }): Promise<{ baseOffset: number; error?: string; errorMessage?: string }>;
  read(offset: number, options: { maxBytes: number }): Promise<{ records: Buffer[]; release: () => void }>;
}

/**
 * A step's records could not be written. `errorCode` is what the client is told, Kafka's
 * CoordinatorOperationExceptionHelper mapping of the append's error: a failed disk or a partition that
 * moved away → NOT_COORDINATOR (the client finds the coordinator again and retries), a missing partition
 * or a timeout → COORDINATOR_NOT_AVAILABLE, anything else UNKNOWN_SERVER_ERROR.
 */
export class CoordinatorWriteError extends Error {
  constructor(message: string, readonly errorCode: number = ErrorCode.UNKNOWN_SERVER_ERROR) {
    super(message);
  }
}

function writeError(error: string, message: string | undefined): CoordinatorWriteError {
  const code =
    error === "KAFKA_STORAGE_ERROR" || error === "NOT_LEADER_OR_FOLLOWER" ? ErrorCode.NOT_COORDINATOR
    : error === "UNKNOWN_TOPIC_OR_PARTITION" || error === "NOT_ENOUGH_REPLICAS" || error === "REQUEST_TIMED_OUT" ? ErrorCode.COORDINATOR_NOT_AVAILABLE
    : ErrorCode.UNKNOWN_SERVER_ERROR;
  return new CoordinatorWriteError(`appending to the coordinator log failed: ${error}${message ? ` (${message})` : ""}`, code);
}

/** A storage call that threw, as an append error (storage-errors.ts names its faults). */
const thrown = (e: unknown) => {
  const fault = storageFault(e);
  return { error: fault ? errorName(fault.errorCode) : "UNKNOWN_SERVER_ERROR", errorMessage: e instanceof Error ? e.message : String(e) };
};

export class CoordinatorPartition<S extends CoordinatorShard> {
  private readonly queue = fastq.promise((task: () => Promise<unknown>) => task(), 1);
  private readonly timers = new Map<string, Timer>();
  private closed = false;

  constructor(
    readonly partition: number,
    private readonly log: CoordinatorLog,
    readonly shard: S,
    readonly clock: Clock,
  ) {}

  /** Rebuilds the shard's state from the log; returns the number of records replayed. */
  async load(): Promise<number> {
    let offset = this.log.logStartOffset;
    let n = 0;
    while (offset < this.log.highWatermark) {
      const r = await this.log.read(offset, { maxBytes: 1 << 20 });
      try {
        if (r.records.length === 0) break;
        for (const chunk of r.records) {
          for (const b of batchPositions(chunk, { allowPartial: true })) {
            if (b.partial) break;
            const next = b.header.baseOffset + b.header.lastOffsetDelta + 1;
            const h = b.header;
            if (isControl(h.attributes)) {
              // A transaction marker: its record's key says commit (1) or abort (0).
              for (const rec of readRecords(chunk, b.pos)) {
                const type = parseControlRecordKey(rec.key)?.type;
                if (h.baseOffset >= offset && (type === ControlRecordType.commit || type === ControlRecordType.abort)) {
                  this.shard.replayEndTransaction?.(h.producerId, type === ControlRecordType.commit, h.baseOffset);
                }
              }
            } else {
              const txn = isTransactional(h.attributes);
              for (const rec of readRecords(chunk, b.pos)) {
                const at = h.baseOffset + rec.offsetDelta;
                if (at < offset || !rec.key) continue;
                if (txn) this.shard.replayTransactional?.({ key: rec.key, value: rec.value }, at, h.producerId);
                else this.shard.replay({ key: rec.key, value: rec.value }, at);
                n++;
              }
            }
            offset = next;
          }
        }
      } finally {
        r.release();
      }
    }
    return n;
  }

  /** Runs one step on this partition's queue; resolves with its response once its records are appended. */
  run<T>(step: (shard: S) => CoordinatorResult<T>): Promise<T> {
    if (this.closed) return Promise.reject(new CoordinatorWriteError("the coordinator is shutting down"));
    return this.queue.push(async () => {
      try {
        const result = step(this.shard);
        const extra = this.shard.drainRecords?.() ?? [];
        if (result.transactional) {
          if (result.records.length > 0) await this.writeTransactional(result.records, result.transactional);
          if (extra.length > 0) await this.write(extra, 0);
        } else if (result.records.length + extra.length > 0) {
          await this.write([...result.records, ...extra], result.replay ?? true ? result.records.length : 0);
        }
        this.shard.commit?.();
        return result.response;
      } catch (e) {
        this.shard.drainRecords?.();
        this.shard.rollback?.();
        throw e;
      }
    }) as Promise<T>;
  }

  /**
   * Writes a transaction marker to this partition (on its queue, after every operation before it) and
   * hands it to the shard: the producer's pending records become visible or are dropped.
   */
  writeMarker(producerId: number, producerEpoch: number, commit: boolean, coordinatorEpoch = 0): Promise<void> {
    if (this.closed) return Promise.reject(new CoordinatorWriteError("the coordinator is shutting down"));
    return this.queue.push(async () => {
      const r = await this.log.appendTxnMarker({ producerId, producerEpoch, coordinatorEpoch, commit });
      if (r.error) throw new CoordinatorWriteError(`writing a transaction marker failed: ${r.error}${r.errorMessage ? ` (${r.errorMessage})` : ""}`);
      this.shard.replayEndTransaction?.(producerId, commit, r.baseOffset);
    }) as Promise<void>;
  }

  /**
   * Runs `step` on the queue after `ms` on the clock; replaces a timer with the same key. A timer that
   * fired waits in the queue like a request; if an operation ahead of it cancels or replaces it (a
   * heartbeat that restarts the session just before the expiry runs), the expired step does not run,
   * as Kafka's coordinator timer checks at run time, not only when the clock fires. Without that check
   * a member was expired right after a heartbeat, join or sync that the coordinator had accepted,
   * whenever the event loop lagged enough for the two to meet in the queue.
   */
  schedule(key: string, ms: number, step: (shard: S) => CoordinatorResult<unknown>): void {
    this.cancel(key);
    const t = this.clock.setTimeout(() => {
      if (this.timers.get(key) !== t) return;
      this.run((shard) => {
        if (this.timers.get(key) !== t) return { records: [], response: undefined };
        this.timers.delete(key);
        return step(shard);
      }).catch(() => {});
    }, ms);
    this.timers.set(key, t);
  }

  cancel(key: string): void {
    this.timers.get(key)?.cancel();
    this.timers.delete(key);
  }

  hasTimer(key: string): boolean {
    return this.timers.has(key);
  }

  /** Stops the timers and waits for the operations in flight. */
  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) t.cancel();
    this.timers.clear();
    await this.queue.drained();
  }

  /** Appends `records` as one transactional batch of the producer, then hands them to replayTransactional. */
  private async writeTransactional(records: CoordinatorRecord[], p: { producerId: number; producerEpoch: number }): Promise<void> {
    const now = this.clock.now();
    const batch = buildRecordBatch({
      records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })), baseTimestamp: now,
      producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: -1, transactional: true,
    });
    const base = this.log.highWatermark;
    const r = await this.log.append(batch, { leaderEpoch: 0, origin: "coordinator" }).catch(thrown);
    if (r.error) throw writeError(r.error, r.errorMessage);
    for (let i = 0; i < records.length; i++) this.shard.replayTransactional?.(records[i]!, base + i, p.producerId);
  }

  /** Appends `records` as one batch, then replays the first `replayed` of them into the shard. */
  private async write(records: CoordinatorRecord[], replayed: number): Promise<void> {
    const now = this.clock.now();
    const batch = buildRecordBatch({ records: records.map((r) => ({ key: r.key, value: r.value, timestamp: now })), baseTimestamp: now });
    const base = this.log.highWatermark;
    const r = await this.log.append(batch, { leaderEpoch: 0, origin: "coordinator" }).catch(thrown);
    if (r.error) throw writeError(r.error, r.errorMessage);
    for (let i = 0; i < replayed; i++) this.shard.replay(records[i]!, base + i);
  }
}
