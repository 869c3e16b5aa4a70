/**
 * Incremental fetch sessions (KIP-227), as Kafka's FetchSessionCache.
 *
 * Request (session_id, session_epoch) → context:
 *   (0, -1)  sessionless full fetch; answered with session id 0.
 *   (0, 0)   full fetch that opens a session: the answer carries a new session id; next epoch 1.
 *   (X, -1)  closes session X, then a sessionless full fetch.
 *   (X, 0)   closes session X and opens a new one (full fetch).
 *   (X, E>0) incremental fetch on session X: the request lists only partitions that are new or whose
 *            fetch offset / max bytes changed, plus `forgotten_topics_data` to drop; the answer lists
 *            only partitions with records, an error, or a changed high watermark, last stable offset
 *            or log start offset. Unknown X → FETCH_SESSION_ID_NOT_FOUND; E not the expected epoch →
 *            INVALID_FETCH_SESSION_EPOCH. Epochs run 1, 2, … and wrap to 1 after 2^31-1.
 * Partitions are keyed by topic id (v13+) or topic name. The cache holds
 * `max.incremental.fetch.session.cache.slots` sessions (Kafka's default 1000). A new session that finds
 * the cache full evicts, as Kafka's FetchSessionCache.tryEvict for a consumer (unprivileged) session:
 * the least recently used session if it has been unused for more than EVICTION_MS on the broker clock;
 * else the session with the fewest partitions (then lowest id) among those created more than
 * EVICTION_MS ago, only if the new one has more partitions; else no session is created and the fetch
 * is answered sessionless (session id 0). A connection's sessions are not tied to it, as in Kafka.
 * Kafka 4.4 splits the cache into 8 shards of slots/8 picked round-robin; this is one cache (SKIPPED.md).
 */
import { randomInt } from "node:crypto";
import { systemClock } from "./clock.js";
import type { Clock } from "./clock.js";

export interface SessionPartition {
  readonly topic: string;
  readonly topicId: string;
  readonly partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  /** What the last answer reported, to decide whether an incremental answer includes the partition. */
  lastHighWatermark: bigint;
  lastLogStartOffset: bigint;
}

export interface FetchSession {
  readonly id: number;
  epoch: number;
  readonly byTopicId: boolean;
  /** Insertion-ordered: answers list partitions in the order they joined the session. */
  readonly partitions: Map<string, SessionPartition>;
  /** Broker clock (ms) at creation and at the last fetch that used it. */
  readonly creationMs: number;
  lastUsedMs: number;
}

export const INVALID_SESSION_ID = 0;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;
const MAX_EPOCH = 2147483647;
/** Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS (not a config): how long a session is safe from eviction. */
export const EVICTION_MS = 120_000;

export function partitionKey(byTopicId: boolean, topic: string, topicId: string, partition: number): string {
  return `${byTopicId ? topicId : topic}\u0000${partition}`;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  /** Sessions created and incremental fetches served since start (for tests and metrics). */
  created = 0;
  incrementalFetches = 0;
  evictions = 0;

  constructor(
    private readonly maxSessions = 1000,
    private readonly clock: Clock = systemClock,
  ) {}

  get(id: number): FetchSession | undefined {
    const s = this.sessions.get(id);
    if (s) {
      // move to the back: Map iteration order is the last-used order (the clock never goes back)
      this.sessions.delete(id);
      this.sessions.set(id, s);
      s.lastUsedMs = this.clock.now();
    }
    return s;
  }

  remove(id: number): void {
    this.sessions.delete(id);
  }

  /** False when the cache has no slots (`max.incremental.fetch.session.cache.slots=0`): every fetch is sessionless. */
  get enabled(): boolean {
    return this.maxSessions > 0;
  }

  /** A new session for a full fetch of `size` partitions, or undefined when the cache is full and nothing may be evicted. */
  create(byTopicId: boolean, size: number): FetchSession | undefined {
    if (this.sessions.size >= this.maxSessions && !this.tryEvict(size)) return undefined;
    let id: number;
    do id = randomInt(1, MAX_EPOCH);
    while (this.sessions.has(id));
    const now = this.clock.now();
    const s: FetchSession = { id, epoch: 1, byTopicId, partitions: new Map(), creationMs: now, lastUsedMs: now };
    this.created++;
    this.sessions.set(id, s);
    return s;
  }

  private tryEvict(size: number): boolean {
    const now = this.clock.now();
    const lru = this.sessions.values().next();
    if (lru.done) return false;
    let victim: FetchSession | undefined;
    if (now - lru.value.lastUsedMs > EVICTION_MS) victim = lru.value;
    else {
      for (const s of this.sessions.values()) {
        if (now - s.creationMs <= EVICTION_MS) continue;
        if (!victim || s.partitions.size < victim.partitions.size || (s.partitions.size === victim.partitions.size && s.id < victim.id)) victim = s;
      }
      if (victim && size <= victim.partitions.size) victim = undefined;
    }
    if (!victim) return false;
    this.sessions.delete(victim.id);
    this.evictions++;
    return true;
  }

  static nextEpoch(epoch: number): number {
    return epoch >= MAX_EPOCH ? 1 : epoch + 1;
  }

  get size(): number {
    return this.sessions.size;
  }
}
