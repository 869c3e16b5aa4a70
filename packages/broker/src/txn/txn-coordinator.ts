/**
 * The transaction coordinator: routes each transactional id to its `__transaction_state` partition
 * (Kafka's rule: `abs(javaHashCode(id)) % transaction.state.log.num.partitions`), runs its steps there
 * one at a time (txn-shard.ts on the coordinator runtime) and writes the transaction markers.
 *
 * A commit or abort goes: PrepareCommit/PrepareAbort record durable → EndTxn answered → a marker
 * (control batch) appended to every partition of the transaction (data partitions through their log;
 * `__consumer_offsets` partitions through the group coordinator's queue, which applies the pending
 * offsets) → CompleteCommit/CompleteAbort record. A marker that fails is retried after
 * `RETRY_MS`; a partition whose topic was deleted is skipped. After a restart every transaction left
 * in Prepare* gets its markers again (a second marker for a closed transaction is harmless: Kafka
 * re-sends them on load too).
 * Timers on the broker clock: every `transaction.abort.timed.out.transaction.cleanup.interval.ms`
 * open transactions past their timeout are fenced and aborted; every
 * `transaction.remove.expired.transaction.cleanup.interval.ms` idle ids past
 * `transactional.id.expiration.ms` are removed.
 */
import { ErrorCode } from "@odradek/codec";
import type { BrokerServices } from "../services.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { CoordinatorPartition } from "../coordinator/coordinator-partition.js";
import { CoordinatorTopic } from "../coordinator/coordinator-topic.js";
import { GROUP_METADATA_TOPIC } from "../group/group-coordinator.js";
import { splitTopicPartition } from "./txn-records.js";
import { TxnShard } from "./txn-shard.js";
import type { MarkerJob, TxnAnswer, TxnStepResult } from "./txn-shard.js";
import type { TxnMetadata } from "./txn-metadata.js";

export const TRANSACTION_STATE_TOPIC = "__transaction_state";
const RETRY_MS = 500;

export class TxnCoordinator {
  private readonly topic: CoordinatorTopic<TxnShard>;
  private readonly shardConfig;
  private closed = false;
  /** Marker jobs in flight, by transactional id (one at a time per id). */
  private readonly inFlight = new Map<string, Promise<void>>();

  constructor(private readonly broker: Pick<BrokerServices, "topics" | "config" | "producerIds" | "delayedFetches" | "groups">, readonly clock: Clock, private readonly log: Logger) {
    const c = broker.config;
    this.shardConfig = { maxTimeoutMs: c.int("transaction.max.timeout.ms"), idExpirationMs: c.int("transactional.id.expiration.ms") };
    this.topic = new CoordinatorTopic(broker, clock, {
      topic: TRANSACTION_STATE_TOPIC,
      partitionsConfig: "transaction.state.log.num.partitions",
      configs: () => new Map([
        ["cleanup.policy", "compact"],
        ["compression.type", "uncompressed"],
        ["min.insync.replicas", "1"],
        ["segment.bytes", String(c.int("transaction.state.log.segment.bytes"))],
      ]),
      shard: () => new TxnShard(this.shardConfig),
      loaded: (parts, records, ms) => {
        const pending = parts.flatMap((p) => p.shard.pendingMarkers());
        if (records > 0) this.log.info({ topic: TRANSACTION_STATE_TOPIC, records, transactionalIds: parts.reduce((n, p) => n + p.shard.txns.size, 0), completing: pending.length, ms }, "loaded transactions");
        this.startTimers(parts);
        // Transactions a crash left between PrepareX and CompleteX get their markers now.
        for (const job of pending) this.sendMarkers(parts, job);
      },
    });
  }

  partitionFor(transactionalId: string): number {
    return this.topic.partitionFor(transactionalId);
  }

  private startTimers(parts: CoordinatorPartition<TxnShard>[]): void {
    const abortEvery = this.broker.config.int("transaction.abort.timed.out.transaction.cleanup.interval.ms");
    const expireEvery = this.broker.config.int("transaction.remove.expired.transaction.cleanup.interval.ms");
    for (const cp of parts) {
      const abort = (): void => {
        cp.schedule("abort-timed-out", abortEvery, (s) => {
          const r = s.abortTimedOut(this.clock.now());
          for (const job of r.response) this.log.info({ transactionalId: job.transactionalId, producerId: job.producerId }, "aborting a transaction past its transaction.timeout.ms");
          abort();
          // The markers go out once the PrepareAbort records are durable: after this step's append,
          // which comes before the empty step queued here.
          if (r.response.length) cp.run(() => ({ records: [], response: null })).then(() => r.response.forEach((j) => this.sendMarkers(parts, j)), () => {});
          return r;
        });
      };
      const expire = (): void => {
        cp.schedule("expire-ids", expireEvery, (s) => {
          const r = s.expireIds(this.clock.now());
          if (r.response.length) this.log.info({ transactionalIds: r.response.length }, "removed transactional ids past transactional.id.expiration.ms");
          expire();
          return r;
        });
      };
      abort();
      expire();
    }
  }

  async ensureReady(): Promise<void> {
    await this.loaded(true);
  }

  private loaded(create: boolean): Promise<CoordinatorPartition<TxnShard>[]> {
    return this.topic.loaded(create);
  }

  /** Runs a step on the transactional id's partition; a step that asks for a fresh producer id is run again with one. */
  private async step(transactionalId: string, step: (s: TxnShard, freshId: number | null) => TxnStepResult, create = true): Promise<TxnAnswer> {
    const parts = await this.loaded(create);
    const cp = parts[this.partitionFor(transactionalId)];
    if (!cp) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, message: `${TRANSACTION_STATE_TOPIC} does not exist yet` };
    let r = await cp.run((s) => step(s, null));
    if (r.needProducerId) {
      const id = await this.broker.producerIds.allocateProducerId();
      r = await cp.run((s) => step(s, id));
    }
    if (r.markers) this.sendMarkers(parts, r.markers);
    return r;
  }

  initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: number; epoch: number } | null): Promise<TxnAnswer> {
    return this.step(transactionalId, (s, id) => s.initProducerId(transactionalId, timeoutMs, expected, this.clock.now(), id));
  }

  addPartitions(transactionalId: string, producerId: number, epoch: number, partitions: string[], clientTransactionVersion: number): Promise<TxnAnswer> {
    return this.step(transactionalId, (s) => s.addPartitions(transactionalId, producerId, epoch, partitions, this.clock.now(), clientTransactionVersion));
  }

  /** Produce / TxnOffsetCommit verification (TV1): the partition must be in the open transaction. */
  async verify(transactionalId: string, producerId: number, epoch: number, partition: string): Promise<TxnAnswer> {
    return this.step(transactionalId, (s) => ({ records: [], response: s.verify(transactionalId, producerId, epoch, partition) }), false);
  }

  endTxn(transactionalId: string, producerId: number, epoch: number, commit: boolean, clientTransactionVersion: number): Promise<TxnAnswer> {
    return this.step(transactionalId, (s, id) => s.endTxn(transactionalId, producerId, epoch, commit, clientTransactionVersion, this.clock.now(), id));
  }

  /** A look at every partition's transactions (ListTransactions, DescribeTransactions). */
  async all<T>(fn: (txns: ReadonlyMap<string, TxnMetadata>) => T): Promise<T[]> {
    const parts = await this.loaded(false);
    return Promise.all(parts.map((p) => p.run((s) => ({ records: [], response: fn(s.txns) }))));
  }

  async describe(transactionalId: string): Promise<TxnMetadata | undefined | null> {
    const parts = await this.loaded(false);
    const cp = parts[this.partitionFor(transactionalId)];
    if (!cp) return null;
    return cp.run((s) => ({ records: [], response: s.txns.get(transactionalId) }));
  }

  /** Writes the markers of a Prepare* transaction, then its Complete* record (retrying until it is done). */
  private sendMarkers(parts: CoordinatorPartition<TxnShard>[], job: MarkerJob): void {
    const prev = this.inFlight.get(job.transactionalId) ?? Promise.resolve();
    const run = prev.then(async () => {
      for (;;) {
        if (this.closed) return;
        try {
          await Promise.all(job.partitions.map((tp) => this.writeMarker(tp, job)));
          const cp = parts[this.partitionFor(job.transactionalId)]!;
          await cp.run((s) => s.complete(job.transactionalId, job.producerId, job.producerEpoch, this.clock.now()));
          this.log.debug({ transactionalId: job.transactionalId, commit: job.commit, partitions: job.partitions.length }, "transaction completed");
          return;
        } catch (e) {
          if (this.closed) return;
          this.log.warn({ transactionalId: job.transactionalId, err: (e as Error).message }, `writing transaction markers failed; retrying in ${RETRY_MS} ms`);
          await new Promise((r) => this.clock.setTimeout(() => r(undefined), RETRY_MS));
        }
      }
    });
    this.inFlight.set(job.transactionalId, run);
    void run.finally(() => {
      if (this.inFlight.get(job.transactionalId) === run) this.inFlight.delete(job.transactionalId);
    });
  }

  private async writeMarker(tp: string, job: MarkerJob): Promise<void> {
    const { topic, partition } = splitTopicPartition(tp);
    if (topic === GROUP_METADATA_TOPIC) {
      await this.broker.groups.writeMarker(partition, job.producerId, job.producerEpoch, job.commit);
      return;
    }
    const p = this.broker.topics.partition(topic, partition);
    if (!p) return; // the topic was deleted: nothing to mark (Kafka drops such markers too)
    const r = await p.log.appendTxnMarker({ producerId: job.producerId, producerEpoch: job.producerEpoch, coordinatorEpoch: 0, commit: job.commit });
    if (r.error) throw new Error(`marker for ${tp}: ${r.error}${r.errorMessage ? ` (${r.errorMessage})` : ""}`);
    this.broker.delayedFetches.notifyAppend(topic, partition);
  }

  /** Waits for markers in flight (tests, shutdown). */
  async settle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight.values()]);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.topic.close();
  }
}
