/**
 * Stopgap idempotent-producer state for one partition (Kafka's ProducerStateManager, reduced),
 * until `@odradek/storage` provides it. Rebuilt on open from the batch headers of the log.
 *
 * Per producer id: the current epoch and the last five appended batches (first/last sequence and
 * offsets), which is how many in-flight batches a client may have (max.in.flight <= 5).
 * Rules, as Kafka's `ProducerAppendInfo.checkSequence`:
 *  - epoch below the current one → INVALID_PRODUCER_EPOCH (fenced)
 *  - a new epoch must start at sequence 0, else OUT_OF_ORDER_SEQUENCE_NUMBER (a producer with no
 *    state yet may start anywhere: its earlier batches may have been removed by retention)
 *  - same epoch: a batch equal to one of the last five (first and last sequence) is a duplicate and
 *    is answered with the original offsets; otherwise the first sequence must follow the last one
 *    (wrapping at 2^31-1 → 0), else OUT_OF_ORDER_SEQUENCE_NUMBER.
 */
import { ErrorCode } from "@odradek/codec";
import type { BatchHeader } from "./record-batch.js";

const MAX_BATCHES = 5;
const INT32_MAX = 2147483647;

interface BatchMeta {
  firstSeq: number;
  lastSeq: number;
  firstOffset: bigint;
  lastOffset: bigint;
}

interface ProducerEntry {
  epoch: number;
  batches: BatchMeta[];
}

export type SequenceCheck =
  | { kind: "append" }
  | { kind: "duplicate"; firstOffset: bigint; lastOffset: bigint }
  | { kind: "error"; errorCode: number; message: string };

function lastSeqOf(h: BatchHeader): number {
  const s = h.baseSequence + h.lastOffsetDelta;
  return s > INT32_MAX ? s - INT32_MAX - 1 : s;
}

export class ProducerStateManager {
  private readonly producers = new Map<bigint, ProducerEntry>();

  check(h: BatchHeader): SequenceCheck {
    if (h.producerId < 0n || h.baseSequence < 0) return { kind: "append" };
    const e = this.producers.get(h.producerId);
    if (!e) return { kind: "append" };
    if (h.producerEpoch < e.epoch) {
      return { kind: "error", errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `epoch ${h.producerEpoch} is older than the current ${e.epoch}` };
    }
    if (h.producerEpoch > e.epoch) {
      if (h.baseSequence !== 0) return { kind: "error", errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `new epoch ${h.producerEpoch} starts at sequence ${h.baseSequence}, expected 0` };
      return { kind: "append" };
    }
    const last = lastSeqOf(h);
    for (const b of e.batches) {
      if (b.firstSeq === h.baseSequence && b.lastSeq === last) return { kind: "duplicate", firstOffset: b.firstOffset, lastOffset: b.lastOffset };
    }
    const tail = e.batches[e.batches.length - 1];
    if (tail) {
      const expected = tail.lastSeq === INT32_MAX ? 0 : tail.lastSeq + 1;
      if (h.baseSequence !== expected) {
        return { kind: "error", errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `sequence ${h.baseSequence} does not follow ${tail.lastSeq}` };
      }
    }
    return { kind: "append" };
  }

  /** Records an appended batch (also used to rebuild state from the log). */
  recover(h: BatchHeader, firstOffset: bigint, lastOffset: bigint): void {
    if (h.producerId < 0n) return;
    let e = this.producers.get(h.producerId);
    if (!e || h.producerEpoch > e.epoch) {
      e = { epoch: h.producerEpoch, batches: [] };
      this.producers.set(h.producerId, e);
    }
    if (h.baseSequence < 0) return;
    e.batches.push({ firstSeq: h.baseSequence, lastSeq: lastSeqOf(h), firstOffset, lastOffset });
    if (e.batches.length > MAX_BATCHES) e.batches.shift();
  }
}
