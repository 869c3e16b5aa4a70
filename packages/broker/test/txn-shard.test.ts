/**
 * The transaction coordinator's state machine (txn/txn-shard.ts), step by step as the runtime runs
 * it: a step's records are applied through `replay` (as once they are durable), and a second shard
 * that replays the same records must end in the same state (what a restart sees).
 */
import { describe, expect, it } from "vitest";
import { ErrorCode } from "@odradek/codec";
import type { CoordinatorRecord } from "../src/coordinator/coordinator-partition.js";
import { TxnShard } from "../src/txn/txn-shard.js";
import type { CoordinatorResult } from "../src/coordinator/coordinator-partition.js";

const DAY = 86_400_000;

class Harness {
  readonly shard = new TxnShard({ maxTimeoutMs: 900_000, idExpirationMs: 7 * DAY });
  readonly log: CoordinatorRecord[] = [];
  now = 1_000_000;
  nextId = 1000;

  /** Runs a step as the runtime does (asking again with a fresh id when needed) and applies its records. */
  run<R>(step: (s: TxnShard, freshId: number | null) => CoordinatorResult<R>): R {
    let r = step(this.shard, null);
    if ((r.response as { needProducerId?: boolean }).needProducerId) r = step(this.shard, this.nextId++);
    for (const rec of r.records) {
      this.log.push(rec);
      this.shard.replay(rec);
    }
    return r.response;
  }

  state(id: string) {
    const m = this.shard.txns.get(id);
    return m && { state: m.state.name, producerId: m.producerId, epoch: m.producerEpoch, partitions: [...m.partitions].sort() };
  }

  /** A new shard rebuilt from every record written so far. */
  replayed(): TxnShard {
    const s = new TxnShard({ maxTimeoutMs: 900_000, idExpirationMs: 7 * DAY });
    for (const rec of this.log) s.replay(rec);
    return s;
  }
}

const init = (h: Harness, id: string, expected: { producerId: number; epoch: number } | null = null, timeout = 60_000) =>
  h.run((s, fresh) => s.initProducerId(id, timeout, expected, h.now, fresh));

describe("transaction coordinator state machine", () => {
  it("InitProducerId creates the id at epoch 0 and every later call fences the earlier producer", () => {
    const h = new Harness();
    const a = init(h, "t1");
    expect(a).toMatchObject({ errorCode: 0, metadata: { producerId: 1000, producerEpoch: 0 } });
    const b = init(h, "t1");
    expect(b.metadata).toMatchObject({ producerId: 1000, producerEpoch: 1 });
    // The first producer (epoch 0) is fenced everywhere.
    expect(h.run((s) => s.addPartitions("t1", 1000, 0, ["orders-0"], h.now, 0)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect(h.run((s, f) => s.endTxn("t1", 1000, 0, true, 0, h.now, f)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    // KIP-360: the current producer may re-init with its id/epoch; a retry of that answers the same epoch.
    expect(init(h, "t1", { producerId: 1000, epoch: 1 }).metadata!.producerEpoch).toBe(2);
    expect(init(h, "t1", { producerId: 1000, epoch: 1 }).metadata!.producerEpoch).toBe(2);
    expect(init(h, "t1", { producerId: 1000, epoch: 0 }).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    expect(init(h, "t1", { producerId: 77, epoch: 2 }).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  });

  it("refuses an empty id and timeouts outside 1..transaction.max.timeout.ms", () => {
    const h = new Harness();
    expect(init(h, "").errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect(init(h, "t", null, 900_001).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect(init(h, "t", null, 0).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    expect(h.log).toEqual([]);
  });

  it("add → commit → markers → complete; a retried EndTxn is answered as the first, the other outcome is refused", () => {
    const h = new Harness();
    init(h, "t");
    expect(h.run((s, f) => s.endTxn("t", 1000, 0, true, 0, h.now, f)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE); // nothing open
    expect(h.run((s) => s.addPartitions("t", 1000, 0, ["a-0", "b-1"], h.now, 0)).errorCode).toBe(0);
    expect(h.run((s) => s.addPartitions("t", 1000, 0, ["a-0"], h.now, 0)).errorCode).toBe(0); // already in: no record
    expect(h.log).toHaveLength(2);
    expect(h.state("t")).toEqual({ state: "Ongoing", producerId: 1000, epoch: 0, partitions: ["a-0", "b-1"] });
    expect(h.shard.verify("t", 1000, 0, "a-0").errorCode).toBe(0);
    expect(h.shard.verify("t", 1000, 0, "c-0").errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    const end = h.run((s, f) => s.endTxn("t", 1000, 0, true, 0, h.now, f));
    expect(end.markers).toEqual({ transactionalId: "t", producerId: 1000, producerEpoch: 0, commit: true, partitions: ["a-0", "b-1"] });
    expect(h.state("t")!.state).toBe("PrepareCommit");
    // While the markers are written: the same request again → CONCURRENT_TRANSACTIONS, new work too.
    expect(h.run((s, f) => s.endTxn("t", 1000, 0, true, 0, h.now, f)).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(h.run((s, f) => s.endTxn("t", 1000, 0, false, 0, h.now, f)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    expect(h.run((s) => s.addPartitions("t", 1000, 0, ["a-0"], h.now, 0)).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(h.run((s) => s.complete("t", 1000, 0, h.now)).errorCode).toBe(0);
    expect(h.state("t")).toEqual({ state: "CompleteCommit", producerId: 1000, epoch: 0, partitions: [] });
    expect(h.run((s, f) => s.endTxn("t", 1000, 0, true, 0, h.now, f)).errorCode).toBe(0);
    expect(h.run((s, f) => s.endTxn("t", 1000, 0, false, 0, h.now, f)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
    // The next transaction starts from CompleteCommit.
    expect(h.run((s) => s.addPartitions("t", 1000, 0, ["c-0"], h.now, 0)).errorCode).toBe(0);
    expect(h.state("t")!.partitions).toEqual(["c-0"]);
  });

  it("InitProducerId during an open transaction aborts it with a bumped epoch, then hands out a newer one", () => {
    const h = new Harness();
    init(h, "t");
    h.run((s) => s.addPartitions("t", 1000, 0, ["a-0"], h.now, 0));
    const r = init(h, "t");
    expect(r.errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    expect(r.markers).toMatchObject({ producerId: 1000, producerEpoch: 1, commit: false, partitions: ["a-0"] });
    expect(h.state("t")!.state).toBe("PrepareAbort");
    expect(init(h, "t").errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS); // markers still being written
    h.run((s) => s.complete("t", 1000, 1, h.now));
    expect(init(h, "t").metadata).toMatchObject({ producerId: 1000, producerEpoch: 2 });
  });

  it("a transaction past its timeout is fenced and aborted; the fenced producer cannot end it", () => {
    const h = new Harness();
    init(h, "t", null, 10_000);
    h.run((s) => s.addPartitions("t", 1000, 0, ["a-0"], h.now, 0));
    h.now += 10_000;
    expect(h.run((s) => s.abortTimedOut(h.now))).toEqual([]); // not past yet (strictly later)
    h.now += 1;
    const jobs = h.run((s) => s.abortTimedOut(h.now));
    expect(jobs).toEqual([{ transactionalId: "t", producerId: 1000, producerEpoch: 1, commit: false, partitions: ["a-0"] }]);
    expect(h.run((s, f) => s.endTxn("t", 1000, 0, true, 0, h.now, f)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
    h.run((s) => s.complete("t", 1000, 1, h.now));
    expect(h.state("t")).toEqual({ state: "CompleteAbort", producerId: 1000, epoch: 1, partitions: [] });
  });

  it("an exhausted epoch rotates to a new producer id", () => {
    const h = new Harness();
    init(h, "t");
    h.shard.txns.get("t")!.producerEpoch = 32766;
    const r = init(h, "t");
    expect(r.metadata).toMatchObject({ producerId: 1001, producerEpoch: 0, previousProducerId: 1000 });
  });

  it("transactions version 2: every end bumps the epoch; a retry with the old epoch is answered; an empty abort bumps too", () => {
    const h = new Harness();
    init(h, "t");
    h.run((s) => s.addPartitions("t", 1000, 0, ["a-0"], h.now, 2));
    const end = h.run((s, f) => s.endTxn("t", 1000, 0, true, 2, h.now, f));
    expect(end.metadata).toMatchObject({ producerId: 1000, producerEpoch: 1 });
    expect(end.markers!.producerEpoch).toBe(1);
    expect(h.run((s, f) => s.endTxn("t", 1000, 0, true, 2, h.now, f)).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
    h.run((s) => s.complete("t", 1000, 1, h.now));
    const retry = h.run((s, f) => s.endTxn("t", 1000, 0, true, 2, h.now, f));
    expect(retry).toMatchObject({ errorCode: 0, metadata: { producerId: 1000, producerEpoch: 1 } });
    // The producer now works at epoch 1; an abort with nothing open still bumps (KIP-890).
    const abort = h.run((s, f) => s.endTxn("t", 1000, 1, false, 2, h.now, f));
    expect(abort).toMatchObject({ errorCode: 0, metadata: { producerEpoch: 2 } });
  });

  it("replaying the records rebuilds the live state", () => {
    const h = new Harness();
    init(h, "a");
    init(h, "b");
    h.run((s) => s.addPartitions("a", 1000, 0, ["x-0", "x-1"], h.now, 0));
    h.run((s) => s.addPartitions("b", 1001, 0, ["y-0"], h.now, 0));
    h.run((s, f) => s.endTxn("b", 1001, 0, false, 0, h.now, f));
    init(h, "c");
    const replayed = h.replayed();
    const strip = (s: TxnShard) => [...s.txns.values()].map((m) => ({ ...m, lastProducerEpoch: 0 }));
    expect(strip(replayed)).toEqual(strip(h.shard));
    expect(replayed.pendingMarkers()).toEqual([{ transactionalId: "b", producerId: 1001, producerEpoch: 0, commit: false, partitions: ["y-0"] }]);
  });

  it("transactional.id.expiration.ms forgets idle ids with no open transaction (a tombstone)", () => {
    const h = new Harness();
    init(h, "idle");
    init(h, "busy");
    h.run((s) => s.addPartitions("busy", 1001, 0, ["x-0"], h.now, 0));
    h.now += 7 * DAY;
    expect(h.run((s) => s.expireIds(h.now))).toEqual(["idle"]);
    expect(h.shard.txns.has("idle")).toBe(false);
    expect(h.replayed().txns.has("idle")).toBe(false);
    expect(h.shard.txns.has("busy")).toBe(true);
  });
});
