/**
 * Offsets committed inside a transaction (TxnOffsetCommit): written to `__consumer_offsets` as a
 * transactional batch of the producer and held here, invisible to OffsetFetch, until the
 * transaction's marker is written to the same partition: commit makes them the group's committed
 * offsets, abort drops them (Kafka's OffsetMetadataManager.replayEndTransactionMarker).
 *
 * Ordering (Kafka's rule): when a commit marker arrives, a pending offset replaces the committed one
 * only if its record is later in the log than the committed one's; a plain commit written while the
 * transaction was open and after the transactional record wins.
 * `require_stable` OffsetFetch answers UNSTABLE_OFFSET_COMMIT for a partition with a pending offset.
 */
import type { CommittedOffset } from "./group-shard.js";

export interface PendingOffset extends CommittedOffset {
  topic: string;
  partition: number;
  /** The log offset of the record (for the ordering rule). */
  recordOffset: number;
}

const key = (topic: string, partition: number) => `${partition}:${topic}`;

export class PendingTxnOffsets {
  /** producer id → group → partition key → offset. */
  private readonly byProducer = new Map<number, Map<string, Map<string, PendingOffset>>>();

  add(producerId: number, group: string, o: PendingOffset): void {
    let groups = this.byProducer.get(producerId);
    if (!groups) this.byProducer.set(producerId, (groups = new Map()));
    let m = groups.get(group);
    if (!m) groups.set(group, (m = new Map()));
    m.set(key(o.topic, o.partition), o);
  }

  /** Removes and returns the producer's pending offsets, by group. */
  take(producerId: number): Map<string, Map<string, PendingOffset>> {
    const groups = this.byProducer.get(producerId) ?? new Map<string, Map<string, PendingOffset>>();
    this.byProducer.delete(producerId);
    return groups;
  }

  /** Some open transaction holds an offset of this group and partition. */
  isPending(group: string, topic: string, partition: number): boolean {
    for (const groups of this.byProducer.values()) if (groups.get(group)?.has(key(topic, partition))) return true;
    return false;
  }

  hasGroup(group: string): boolean {
    for (const groups of this.byProducer.values()) if (groups.has(group)) return true;
    return false;
  }

  /** For dumps: producer ids with pending offsets of the group. */
  producersOf(group: string): number[] {
    return [...this.byProducer].filter(([, g]) => g.has(group)).map(([p]) => p);
  }
}
