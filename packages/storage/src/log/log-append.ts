/**
 * The append path of UnifiedLog (Kafka's UnifiedLog.append): check, then write on the calling thread
 * or through the log's serial queue.
 *
 *  - Checks: log-validator.ts step 1 at once; for a client's append the transaction verifier and the
 *    record checks of record-validator.ts when needed (asynchronous, before the append queues, as the
 *    broker's Produce ran them before); step 2 (producer state, offsets) where the append is written.
 *  - Inline: when nothing of the log is queued or running, one append is assigned offsets, written
 *    with a synchronous write, indexed and answered in one call (no roll, no sync).
 *  - Group commit: appends that arrive while the log is busy join one group (at most
 *    MAX_APPEND_GROUP): each is assigned offsets and answered on its own, the accepted ones written
 *    with one writev per segment and, under flush.messages, one fsync before any is acknowledged.
 *    A group is sealed when it starts running or when another mutation queues behind it (seal()),
 *    so no append overtakes an earlier truncation, roll or retention.
 */
import type { Logger } from "../logger.js";
import { isControl, isTransactional } from "@odradek/codec";
import { LOG_OVERHEAD } from "../record/batch.js";
import type { AppendedBatch } from "./log-segment.js";
import type { LocalLog } from "./local-log.js";
import { analyzeAndValidateRecords, validateAndAssignOffsets } from "./log-validator.js";
import type { CheckedAppend, Rejection, ValidatedAppend, ValidationContext } from "./log-validator.js";
import { needsRecordValidation, validateRecords, validationPolicy } from "./record-validator.js";
import type { ValidationPolicy } from "./record-validator.js";
import type { ProducerStateEntry } from "./producer-state-manager.js";
import type { AppendOptions, AppendResult } from "./partition-log.js";

/**
 * What the append path needs of its UnifiedLog: the UnifiedLog itself (no per-log wiring object), which
 * is also what the validator reads (ValidationContext: producer state, log start offset, config, clock).
 */
export interface AppendingLog extends ValidationContext {
  readonly local: LocalLog;
  readonly logger: Logger;
  /** Open, not failed, and nothing of the log queued or running. */
  idle(): boolean;
  /** Runs `fn` in the log's serial queue (refused once the log is closed or failed). */
  enqueue<T>(fn: () => Promise<T>): Promise<T>;
  roll(now: number): Promise<unknown>;
  /** Producer state, leader epoch and log end after `p` was written. */
  recordAppended(p: ValidatedAppend): void;
}

/** Appends answered together (a bound on one writev). */
const MAX_APPEND_GROUP = 64;

interface PendingAppend {
  checked: CheckedAppend;
  options: AppendOptions;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

/** An accepted append with its offsets assigned, not yet written. */
interface Prepared extends ValidatedAppend {
  a: PendingAppend;
}
const NO_PRODUCERS: ReadonlyMap<number, ProducerStateEntry> = new Map();

export class LogAppender {
  /** The appends of the group queued last, which later appends join until it starts or is sealed. */
  private openGroup: PendingAppend[] | null = null;

  constructor(private readonly log: AppendingLog) {}

  /** Appends queued after this call do not join a group queued before it. */
  seal(): void {
    this.openGroup = null;
  }

  /**
   * Checks the append (log-validator.ts step 1; for a client, the transaction verifier and the record
   * checks of record-validator.ts when needed, which are asynchronous), then writes it: on the calling
   * thread when nothing of this log is queued, else in the log's queue.
   */
  append(records: Buffer, options: AppendOptions): Promise<AppendResult> {
    const origin = options.origin ?? "client";
    const checked = analyzeAndValidateRecords(records, origin, this.log.config, this.log.name);
    if (!("headers" in checked)) return Promise.resolve(this.rejected(checked));
    if (origin === "client") {
      const policy = validationPolicy(this.log.config, options.nowMs ?? this.log.now());
      const verify = options.verifyTransaction !== undefined && checked.headers.some((h) => isTransactional(h.attributes) && !isControl(h.attributes));
      if (verify || checked.headers.some((h, k) => needsRecordValidation(this.batchAt(checked, k), h, policy))) return this.appendAfterRecordChecks(checked, options, policy);
    }
    return this.appendChecked(checked, options);
  }

  private rejected(r: Rejection, recordErrors?: AppendResult["recordErrors"]): AppendResult {
    return { baseOffset: -1, lastOffset: -1, logAppendTime: -1, logStartOffset: this.log.logStartOffset, ...r, ...(recordErrors ? { recordErrors } : {}) };
  }

  private batchAt(c: CheckedAppend, k: number): Buffer {
    const pos = c.positions[k]!;
    return c.records.subarray(pos, pos + c.headers[k]!.batchLength + LOG_OVERHEAD);
  }

  /** A client's append past the transaction verifier and the record checks (recompressed batches are checked again). */
  private async appendAfterRecordChecks(checked: CheckedAppend, options: AppendOptions, policy: ValidationPolicy): Promise<AppendResult> {
    for (const h of checked.headers) {
      if (!options.verifyTransaction || !isTransactional(h.attributes) || isControl(h.attributes)) continue;
      const refused = await options.verifyTransaction(h);
      if (refused) return this.rejected(refused);
    }
    const batches: Buffer[] = [];
    let rebuilt = false;
    for (let k = 0; k < checked.headers.length; k++) {
      const h = checked.headers[k]!;
      const batch = this.batchAt(checked, k);
      if (!needsRecordValidation(batch, h, policy)) {
        batches.push(batch);
        continue;
      }
      const v = await validateRecords(batch, h, policy, this.log.name);
      if ("error" in v) return this.rejected({ error: v.error, errorMessage: v.message }, v.recordErrors ?? []);
      batches.push(v.batch);
      rebuilt ||= v.batch !== batch;
    }
    if (!rebuilt) return this.appendChecked(checked, options);
    const again = analyzeAndValidateRecords(batches.length === 1 ? batches[0]! : Buffer.concat(batches), options.origin ?? "client", this.log.config, this.log.name);
    return "headers" in again ? this.appendChecked(again, options) : this.rejected(again);
  }

  private appendChecked(checked: CheckedAppend, options: AppendOptions): Promise<AppendResult> {
    if (this.openGroup === null && this.log.idle()) {
      const done = this.appendInline(checked, options);
      if (done !== null) return done;
    }
    return new Promise<AppendResult>((resolve, reject) => {
      const pending: PendingAppend = { checked, options, resolve, reject };
      const open = this.openGroup;
      if (open && open.length < MAX_APPEND_GROUP) {
        open.push(pending);
        return;
      }
      const group = [pending];
      this.openGroup = group;
      this.log.enqueue(() => {
        if (this.openGroup === group) this.openGroup = null;
        return this.appendGroupLocked(group);
      }).catch((e: unknown) => {
        for (const a of group) a.reject(e);
      });
    });
  }

  /**
   * The synchronous path, taken when nothing of this log is queued or running: validate, write on the
   * calling thread, index and update producer state in one call, as one queued append would. null when
   * the append needs the queue (a roll first, or a file system without synchronous writes): nothing
   * has changed then. A failed write is cut back by a queued rollback, which later appends wait for.
   */
  private appendInline(checked: CheckedAppend, options: AppendOptions): Promise<AppendResult> | null {
    const records = checked.records;
    const seg = this.log.local.segments.active;
    if (!seg.canAppendSync) return null;
    let prepared: AppendResult | ValidatedAppend;
    try {
      prepared = validateAndAssignOffsets(checked, options, this.log.local.logEndOffset, NO_PRODUCERS, this.log);
    } catch (e) {
      return Promise.reject(e);
    }
    if (!("headers" in prepared)) return Promise.resolve(prepared);
    const now = options.nowMs ?? this.log.now();
    // A roll goes through the queue, which assigns again: offsets and timestamps come out the same.
    if (this.log.local.shouldRoll(0, records.length, now, prepared.maxTimestamp)) return null;
    const start = seg.size;
    try {
      seg.appendSync(records, prepared.batches, now);
    } catch (e) {
      const err = this.log.local.fail("append failed, rolled back", e);
      this.log.enqueue(() => seg.rollbackTo(start)).catch(() => {});
      return Promise.reject(err);
    }
    this.log.recordAppended(prepared);
    const result = prepared.result(this.log.logStartOffset);
    if (this.log.local.unflushedMessages < this.log.config.flushMessages) return Promise.resolve(result);
    return this.log.enqueue(() => this.log.local.flush()).then(() => result);
  }

  /**
   * Appends queued while the log was busy, in order, each validated and answered on its own; the
   * accepted ones are written with one writev per segment (a roll in between splits the write) and,
   * with flush.messages, synced once (group commit: every append is acknowledged after its fsync).
   * A write or fsync failure fails every append of the group not yet acknowledged.
   */
  private async appendGroupLocked(group: readonly PendingAppend[]): Promise<void> {
    let chunk: Prepared[] = [];
    let bytes = 0;
    let next = this.log.local.logEndOffset;
    let producers: ReadonlyMap<number, ProducerStateEntry> = new Map();
    let i = 0;
    let writeNow = this.log.now();
    const write = async (): Promise<void> => {
      if (chunk.length === 0) return;
      const done = chunk;
      chunk = [];
      bytes = 0;
      const bufs: Buffer[] = [];
      const batches: AppendedBatch[] = [];
      let at = 0;
      for (const p of done) {
        bufs.push(p.records);
        for (const b of p.batches) batches.push({ ...b, pos: at + b.pos });
        at += p.records.length;
      }
      try {
        await this.log.local.segments.active.appendv(bufs, batches, writeNow);
      } catch (e) {
        throw this.log.local.fail("append failed, rolled back", e);
      }
      for (const p of done) this.log.recordAppended(p);
      if (this.log.local.unflushedMessages >= this.log.config.flushMessages) await this.log.local.flush();
      for (const p of done) p.a.resolve(p.result(this.log.logStartOffset));
    };
    try {
      for (; i < group.length; i++) {
        const a = group[i]!;
        const prepared = validateAndAssignOffsets(a.checked, a.options, next, producers, this.log);
        if (!("headers" in prepared)) {
          a.resolve(prepared);
          continue;
        }
        const p: Prepared = { ...prepared, a };
        const now = a.options.nowMs ?? this.log.now();
        if (this.log.local.shouldRoll(bytes, p.records.length, now, p.maxTimestamp)) {
          await write();
          this.log.logger.debug({ segment: this.log.local.segments.active.baseOffset, maxTimestamp: p.batches[0]?.maxTimestamp }, "rolling segment");
          await this.log.roll(now);
        }
        chunk.push(p);
        writeNow = now;
        bytes += p.records.length;
        next = p.next;
        producers = p.producers;
      }
      await write();
    } catch (e) {
      for (const p of chunk) p.a.reject(e);
      for (const a of group.slice(i + 1)) a.reject(e);
      throw e;
    }
  }
}
