/**
 * DelayedFetches: long-polling fetches (Fetch and ShareFetch with max_wait_ms, Kafka's
 * DelayedFetch purgatory) waiting for an append to one of their partitions. Whoever appends (Produce,
 * WriteTxnMarkers, the transaction coordinator's markers, a share-partition release) calls
 * `notifyAppend`; the waiters of that partition wake at once and read again.
 *
 * Invariants: a waiter resolves exactly once (an append, its time, or its signal, whichever is first)
 * and is removed from every partition it waited on when it does; a partition with no waiters has no
 * entry.
 */
import type { Clock } from "./clock.js";

export interface WaitedPartition {
  readonly topic: string;
  readonly partition: number;
}

export class DelayedFetches {
  constructor(private readonly clock: Clock) {}

  /** Waiters by the partition they wait on (`partition:topic`). */
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Wakes the long-polling fetches waiting on this partition. */
  notifyAppend(topic: string, partition: number): void {
    const key = `${partition}:${topic}`;
    const ws = this.waiters.get(key);
    if (!ws) return;
    this.waiters.delete(key);
    for (const w of ws) w();
  }

  /**
   * Resolves on the next append to one of `partitions`, after `ms`, or when `signal` aborts, whichever
   * is first. No partitions: only the time or the signal end it.
   */
  waitForAppend(ms: number, signal: AbortSignal, partitions: readonly WaitedPartition[] = []): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const keys = partitions.map((p) => `${p.partition}:${p.topic}`);
      const done = () => {
        timer.cancel();
        for (const k of keys) {
          const ws = this.waiters.get(k);
          ws?.delete(done);
          if (ws?.size === 0) this.waiters.delete(k);
        }
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = this.clock.setTimeout(done, ms);
      for (const k of keys) {
        let ws = this.waiters.get(k);
        if (!ws) this.waiters.set(k, (ws = new Set()));
        ws.add(done);
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Partitions with a waiter (tests: nothing is left behind). */
  get waitingPartitions(): number {
    return this.waiters.size;
  }
}
