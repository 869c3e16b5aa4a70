/**
 * Golden transaction files from a real Kafka 4.4 (test/golden/txn/, captured by
 * scripts/kafka/capture-txn-golden.mjs; its header says what was written: a committed and an aborted
 * transaction of producer A, an idempotent producer B, and a transaction of C left open across A's
 * abort, then aborted). Two checks:
 *   - odradek reads Kafka's `.txnindex` and `.snapshot` files and finds what the scenario implies;
 *   - given only Kafka's `.log` segments, odradek's recovery rebuilds the `.txnindex` and, on close,
 *     writes the producer snapshot byte for byte as Kafka wrote them.
 */
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { NodeFileSystem, UnifiedLog, defaultLogConfig } from "../src/index.js";
import { decodeProducerSnapshot } from "../src/log/producer-snapshot.js";
import { TransactionIndex } from "../src/log/transaction-index.js";

const golden = join(dirname(fileURLToPath(import.meta.url)), "golden", "txn");
const fs = new NodeFileSystem();

describe("Kafka 4.4's transaction index and producer snapshot", () => {
  const dir = mkdtempSync(join(tmpdir(), "odradek-golden-txn-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reads Kafka's .txnindex: A's abort bounded by C's open transaction, then C's abort", async () => {
    const idx = await TransactionIndex.open(fs, join(golden, "00000000000000000007.txnindex"), 7, true);
    const [a, c] = idx.allAbortedTxns();
    expect(idx.allAbortedTxns()).toHaveLength(2);
    // C's transaction was open when A aborted: A's entry carries C's first offset as the LSO
    expect(a!.lastStableOffset).toBe(c!.firstOffset);
    expect(a!.firstOffset).toBeGreaterThan(c!.firstOffset);
    expect(c!.lastOffset).toBe(a!.lastOffset + 1);
    expect(c!.lastStableOffset).toBe(c!.lastOffset + 1);
    expect(a!.producerId).not.toBe(c!.producerId);
    await idx.close();
  });

  it("reads Kafka's .snapshot: three producers, none left in a transaction", () => {
    const entries = decodeProducerSnapshot(readFileSync(join(golden, "00000000000000000015.snapshot")));
    expect(entries).not.toBeNull();
    expect(entries!.map((e) => e.producerId)).toEqual([2, 3, 4]);
    expect(entries!.every((e) => e.currentTxnFirstOffset === null)).toBe(true);
    // B (idempotent, never transactional): no marker, so no coordinator epoch
    expect(entries!.find((e) => e.coordinatorEpoch === -1)?.batches[0]?.lastSeq).toBe(2);
  });

  it("rebuilds the same .txnindex and writes the same .snapshot from Kafka's segments alone", async () => {
    const part = join(dir, "golden-0");
    rmSync(part, { recursive: true, force: true });
    await fs.mkdir(part);
    for (const f of readdirSync(golden).filter((f) => f.endsWith(".log"))) copyFileSync(join(golden, f), join(part, f));
    const log = await UnifiedLog.open({ fs, dir: part, topic: "golden", partition: 0, config: defaultLogConfig });
    expect(log.logEndOffset).toBe(15);
    await log.close();
    expect(readFileSync(join(part, "00000000000000000007.txnindex"))).toEqual(readFileSync(join(golden, "00000000000000000007.txnindex")));
    expect(readFileSync(join(part, "00000000000000000015.snapshot"))).toEqual(readFileSync(join(golden, "00000000000000000015.snapshot")));
  });
});
