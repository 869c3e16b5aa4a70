/**
 * The state of one `__transaction_state` partition: its transactional ids (txn-metadata.ts), changed
 * only by steps on that partition's queue and rebuilt at start by replaying its records. Every step
 * is pure: it reads the state, decides (Kafka's TransactionCoordinator rules, quoted per step) and
 * returns the one record of the new metadata; the record is applied by `replay` once it is durable,
 * the same function that rebuilds the state at start. So what a client was told is what a restart sees.
 *
 * What Kafka keeps only in memory: `lastProducerEpoch` (a hint set by the step, read by replay; -1
 * after a restart, as after a coordinator move in Kafka) and PrepareEpochFence (never written: a fence
 * is written as PrepareAbort with the bumped epoch, as Kafka's endTransaction(isFromClient=false) does).
 * Errors are Kafka's codes; `message` says what the coordinator saw.
 */
import { ErrorCode } from "@odradek/codec";
import type { CoordinatorRecord, CoordinatorResult, CoordinatorShard } from "../coordinator/coordinator-partition.js";
import { copy, is, isEpochExhausted, TxnStates } from "./txn-metadata.js";
import type { TxnMetadata } from "./txn-metadata.js";
import { decodeTxnRecord, txnRecord } from "./txn-records.js";

export interface TxnConfig {
  maxTimeoutMs: number;
  idExpirationMs: number;
}

/** A step's answer: an error (with what the coordinator saw) or the metadata the client is told about. */
export interface TxnAnswer {
  errorCode: number;
  message?: string;
  /** Set when errorCode is NONE (the state after the step). */
  metadata?: TxnMetadata;
  /** Markers to write once the record is durable. */
  markers?: MarkerJob;
  /** The step needs a newly allocated producer id: run it again with one. */
  needProducerId?: boolean;
}

/** Markers to write once the step's record is durable (EndTxn, a fence, a timeout, a restart). */
export interface MarkerJob {
  transactionalId: string;
  producerId: number;
  producerEpoch: number;
  commit: boolean;
  partitions: string[];
}

export type TxnStepResult = CoordinatorResult<TxnAnswer>;

const NO_ID = -1;
const fail = (errorCode: number, message: string): TxnStepResult => ({ records: [], response: { errorCode, message } });
const ok = (m: TxnMetadata, records: CoordinatorRecord[] = []): TxnStepResult => ({ records, response: { errorCode: 0, metadata: m } });
const needId = (): TxnStepResult => ({ records: [], response: { errorCode: ErrorCode.NONE, needProducerId: true } });

export function markersOf(m: TxnMetadata): MarkerJob {
  return { transactionalId: m.transactionalId, producerId: m.producerId, producerEpoch: m.producerEpoch, commit: is(m, "PrepareCommit"), partitions: [...m.partitions] };
}

export class TxnShard implements CoordinatorShard {
  readonly txns = new Map<string, TxnMetadata>();
  /** lastProducerEpoch of a record being written (not in Kafka's record layout). */
  private readonly lastEpochHints = new Map<string, number>();

  constructor(readonly config: TxnConfig) {}

  replay(record: CoordinatorRecord): void {
    const r = decodeTxnRecord(record.key, record.value);
    if (r.value === null) {
      this.txns.delete(r.transactionalId);
      return;
    }
    const lastProducerEpoch = this.lastEpochHints.get(r.transactionalId) ?? NO_ID;
    this.lastEpochHints.delete(r.transactionalId);
    this.txns.set(r.transactionalId, { ...r.value, transactionalId: r.transactionalId, lastProducerEpoch });
  }

  private write(m: TxnMetadata): CoordinatorRecord {
    this.lastEpochHints.set(m.transactionalId, m.lastProducerEpoch);
    return txnRecord(m.transactionalId, m);
  }

  /**
   * InitProducerId with a transactional id. `expected` is KIP-360's current producer id/epoch (v3+);
   * `freshId` a newly allocated producer id when the step asked for one (`needProducerId`).
   */
  initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: number; epoch: number } | null, now: number, freshId: number | null): TxnStepResult {
    if (transactionalId === "") return fail(ErrorCode.INVALID_REQUEST, "the transactional id is empty");
    if (timeoutMs <= 0 || timeoutMs > this.config.maxTimeoutMs) {
      return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT, `transaction.timeout.ms ${timeoutMs} is not in 1..${this.config.maxTimeoutMs} (transaction.max.timeout.ms)`);
    }
    let m = this.txns.get(transactionalId);
    if (!m) {
      if (freshId === null) return needId();
      m = {
        transactionalId, producerId: freshId, previousProducerId: NO_ID, nextProducerId: NO_ID, producerEpoch: -1, lastProducerEpoch: -1,
        timeoutMs, state: TxnStates.Empty, partitions: new Set(), startMs: -1, lastUpdateMs: now, clientTransactionVersion: 0,
      };
    }
    // Kafka's isValidProducerId: a brand-new id, the current id, or the previous id with an exhausted epoch (a retry after a rotation).
    if (expected && !(m.producerEpoch === -1 || expected.producerId === m.producerId || (expected.producerId === m.previousProducerId && isEpochExhausted(expected.epoch)))) {
      return fail(ErrorCode.PRODUCER_FENCED, `producer ${expected.producerId} epoch ${expected.epoch} is not the current producer ${m.producerId} of ${transactionalId}`);
    }
    if (is(m, "PrepareCommit", "PrepareAbort")) return fail(ErrorCode.CONCURRENT_TRANSACTIONS, `the transaction of ${transactionalId} is completing (${m.state.name})`);
    if (is(m, "Ongoing")) {
      // Fence the producer: the open transaction is aborted with a bumped epoch; the caller retries
      // (CONCURRENT_TRANSACTIONS) and gets a second bump once the abort completed.
      const fenced = copy(m, { producerEpoch: m.producerEpoch + 1, lastProducerEpoch: NO_ID, state: TxnStates.PrepareAbort, lastUpdateMs: now });
      return { records: [this.write(fenced)], response: { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS, message: `${transactionalId} had an open transaction: it is being aborted`, markers: markersOf(fenced) } };
    }
    let next: TxnMetadata;
    if (isEpochExhausted(m.producerEpoch) && (!expected || expected.epoch === m.producerEpoch)) {
      if (freshId === null) return needId();
      next = copy(m, { previousProducerId: m.producerId, producerId: freshId, producerEpoch: 0, lastProducerEpoch: expected ? m.producerEpoch : NO_ID });
    } else if (!expected) {
      next = copy(m, { producerEpoch: m.producerEpoch + 1, lastProducerEpoch: NO_ID });
    } else if (m.producerEpoch === -1 || expected.epoch === m.producerEpoch) {
      next = copy(m, { producerEpoch: m.producerEpoch + 1, lastProducerEpoch: m.producerEpoch });
    } else if (expected.epoch === m.lastProducerEpoch) {
      // A retry of an InitProducerId that succeeded: the same epoch again.
      next = copy(m);
    } else {
      return fail(ErrorCode.PRODUCER_FENCED, `expected epoch ${expected.epoch} is neither the current ${m.producerEpoch} nor the previous ${m.lastProducerEpoch} of ${transactionalId}`);
    }
    next = copy(next, { timeoutMs, state: TxnStates.Empty, partitions: new Set(), startMs: -1, lastUpdateMs: now, nextProducerId: NO_ID });
    return ok(next, [this.write(next)]);
  }

  /** Common checks of AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and Produce verification. */
  private check(transactionalId: string, producerId: number, epoch: number): TxnAnswer {
    if (transactionalId === "") return { errorCode: ErrorCode.INVALID_REQUEST, message: "the transactional id is empty" };
    const m = this.txns.get(transactionalId);
    if (!m || m.producerId !== producerId) {
      return { errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING, message: `producer ${producerId} is not the producer of ${transactionalId}${m ? ` (${m.producerId} is)` : " (unknown transactional id)"}` };
    }
    if (m.producerEpoch !== epoch) return { errorCode: ErrorCode.PRODUCER_FENCED, message: `epoch ${epoch} of producer ${producerId} is not the current ${m.producerEpoch}` };
    if (is(m, "PrepareCommit", "PrepareAbort")) return { errorCode: ErrorCode.CONCURRENT_TRANSACTIONS, message: `the previous transaction of ${transactionalId} is completing (${m.state.name})` };
    return { errorCode: 0, metadata: m };
  }

  /** AddPartitionsToTxn / AddOffsetsToTxn (the offsets partition) / a TV2 implicit add: opens or extends the transaction. */
  addPartitions(transactionalId: string, producerId: number, epoch: number, partitions: readonly string[], now: number, clientTransactionVersion: number): TxnStepResult {
    const c = this.check(transactionalId, producerId, epoch);
    if (c.errorCode !== 0) return { records: [], response: c };
    const m = c.metadata!;
    if (is(m, "Ongoing") && partitions.every((p) => m.partitions.has(p))) return ok(m);
    const next = copy(m, {
      state: TxnStates.Ongoing,
      startMs: is(m, "Ongoing") ? m.startMs : now,
      lastUpdateMs: now,
      clientTransactionVersion: is(m, "Ongoing") ? m.clientTransactionVersion : clientTransactionVersion,
    });
    for (const p of partitions) next.partitions.add(p);
    return ok(next, [this.write(next)]);
  }

  /** Produce's and TxnOffsetCommit's verification (KIP-890 part 1): is the partition in the open transaction? */
  verify(transactionalId: string, producerId: number, epoch: number, partition: string): TxnAnswer {
    const c = this.check(transactionalId, producerId, epoch);
    if (c.errorCode !== 0) return c;
    if (!is(c.metadata!, "Ongoing") || !c.metadata!.partitions.has(partition)) {
      return { errorCode: ErrorCode.INVALID_TXN_STATE, message: `${partition} was not added to the transaction of ${transactionalId} (state ${c.metadata!.state.name})` };
    }
    return c;
  }

  /**
   * EndTxn (client) — Kafka's endTransaction. TV2 (`clientTransactionVersion` 2, EndTxn v5+) bumps the
   * epoch at every commit/abort, answers a retry with the previous epoch idempotently, and aborts an
   * empty transaction with a bump too.
   */
  endTxn(transactionalId: string, producerId: number, epoch: number, commit: boolean, clientTransactionVersion: number, now: number, freshId: number | null): TxnStepResult {
    if (transactionalId === "") return fail(ErrorCode.INVALID_REQUEST, "the transactional id is empty");
    const m = this.txns.get(transactionalId);
    if (!m) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `${transactionalId} is not a known transactional id`);
    const v2 = m.clientTransactionVersion >= 2 || (clientTransactionVersion >= 2 && is(m, "Empty", "CompleteCommit", "CompleteAbort"));
    const retryOnBump = v2 && m.producerEpoch === epoch + 1;
    const retryOnOverflow = v2 && m.previousProducerId === producerId && epoch === 32766 && m.producerEpoch === 0;
    if (m.producerId !== producerId && !retryOnOverflow) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING, `producer ${producerId} is not the producer of ${transactionalId} (${m.producerId} is)`);
    const validEpoch = !v2
      ? epoch === m.producerEpoch
      : is(m, "Ongoing", "Empty")
        ? epoch === m.producerEpoch
        : is(m, "PrepareCommit", "PrepareAbort")
          ? retryOnBump
          : retryOnBump || retryOnOverflow || epoch === m.producerEpoch;
    if (!validEpoch) return fail(ErrorCode.PRODUCER_FENCED, `epoch ${epoch} of producer ${producerId} is fenced: ${transactionalId} is at epoch ${m.producerEpoch} (${m.state.name})`);
    const asked = commit ? "commit" : "abort";
    const prepare = (): TxnStepResult => {
      const bump = clientTransactionVersion >= 2;
      let nextProducerId = NO_ID;
      if (bump && isEpochExhausted(m.producerEpoch)) {
        if (freshId === null) return needId();
        nextProducerId = freshId;
      }
      const next = copy(m, {
        state: commit ? TxnStates.PrepareCommit : TxnStates.PrepareAbort,
        producerEpoch: bump ? m.producerEpoch + 1 : m.producerEpoch,
        lastProducerEpoch: bump ? m.producerEpoch : m.lastProducerEpoch,
        nextProducerId, lastUpdateMs: now, clientTransactionVersion,
      });
      return { records: [this.write(next)], response: { errorCode: 0, metadata: next, markers: markersOf(next) } };
    };
    switch (m.state) {
      case TxnStates.Ongoing:
        return prepare();
      case TxnStates.Empty:
        // KIP-890: a TV2 abort of an empty transaction still bumps the epoch (it may follow a failed produce).
        if (v2 && clientTransactionVersion >= 2 && !commit) return prepare();
        return fail(ErrorCode.INVALID_TXN_STATE, `${transactionalId} has no open transaction to ${asked}`);
      case TxnStates.CompleteCommit:
      case TxnStates.CompleteAbort:
        // TV2, the current epoch (not a retry): an abort with nothing open, bumped like any end.
        if (v2 && epoch === m.producerEpoch && m.producerId === producerId) {
          if (!commit && clientTransactionVersion >= 2) return prepare();
          return fail(ErrorCode.INVALID_TXN_STATE, `${transactionalId} has no open transaction to ${asked}`);
        }
        if (is(m, commit ? "CompleteCommit" : "CompleteAbort")) return ok(m); // a retry: answered as the first time
        return fail(ErrorCode.INVALID_TXN_STATE, `${transactionalId}'s last transaction ended with ${commit ? "an abort" : "a commit"}; cannot ${asked} it`);
      case TxnStates.PrepareCommit:
      case TxnStates.PrepareAbort:
        if (is(m, commit ? "PrepareCommit" : "PrepareAbort")) return fail(ErrorCode.CONCURRENT_TRANSACTIONS, `${transactionalId}'s ${asked} is in progress`);
        return fail(ErrorCode.INVALID_TXN_STATE, `${transactionalId} is in ${m.state.name}; cannot ${asked}`);
      default:
        return fail(ErrorCode.INVALID_TXN_STATE, `${transactionalId} is ${m.state.name}`);
    }
  }

  /** After the markers of a PrepareCommit/PrepareAbort are written: Complete*, partitions cleared. */
  complete(transactionalId: string, producerId: number, epoch: number, now: number): TxnStepResult {
    const m = this.txns.get(transactionalId);
    if (!m || m.producerId !== producerId || m.producerEpoch !== epoch || !is(m, "PrepareCommit", "PrepareAbort")) {
      return fail(ErrorCode.INVALID_TXN_STATE, `${transactionalId} moved on before its markers were written`);
    }
    const rotate = m.clientTransactionVersion >= 2 && m.nextProducerId !== NO_ID;
    const next = copy(m, {
      state: is(m, "PrepareCommit") ? TxnStates.CompleteCommit : TxnStates.CompleteAbort,
      partitions: new Set(),
      producerId: rotate ? m.nextProducerId : m.producerId,
      previousProducerId: rotate ? m.producerId : m.previousProducerId,
      producerEpoch: rotate ? 0 : m.producerEpoch,
      lastProducerEpoch: m.producerEpoch,
      nextProducerId: NO_ID,
      lastUpdateMs: now,
    });
    return ok(next, [this.write(next)]);
  }

  /** Aborts every transaction open longer than its timeout (Kafka's abortTimedOutTransactions): fence + PrepareAbort. */
  abortTimedOut(now: number): CoordinatorResult<MarkerJob[]> {
    const records: CoordinatorRecord[] = [];
    const jobs: MarkerJob[] = [];
    for (const m of this.txns.values()) {
      if (!is(m, "Ongoing") || m.startMs + m.timeoutMs >= now) continue;
      const fenced = copy(m, { producerEpoch: isEpochExhausted(m.producerEpoch) ? m.producerEpoch : m.producerEpoch + 1, lastProducerEpoch: NO_ID, state: TxnStates.PrepareAbort, lastUpdateMs: now });
      records.push(this.write(fenced));
      jobs.push(markersOf(fenced));
    }
    return { records, response: jobs };
  }

  /** transactional.id.expiration.ms: ids idle that long with no open transaction are forgotten (a tombstone). */
  expireIds(now: number): CoordinatorResult<string[]> {
    const gone: string[] = [];
    for (const m of this.txns.values()) {
      if (is(m, "Empty", "CompleteCommit", "CompleteAbort") && m.lastUpdateMs + this.config.idExpirationMs <= now) gone.push(m.transactionalId);
    }
    return { records: gone.map((id) => txnRecord(id, null)), response: gone };
  }

  /** Transactions whose markers must (still) be written: every Prepare* after a load. */
  pendingMarkers(): MarkerJob[] {
    return [...this.txns.values()].filter((m) => is(m, "PrepareCommit", "PrepareAbort")).map(markersOf);
  }
}
