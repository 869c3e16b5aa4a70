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
 * `max.incremental.fetch.session.cache.slots` sessions (Kafka's default 1000); the least recently
 * used is evicted first. A connection's sessions are not tied to it, as in Kafka.
 */
import { randomInt } from "node:crypto";

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
}

export const INVALID_SESSION_ID = 0;
export const INITIAL_EPOCH = 0;
export const FINAL_EPOCH = -1;
const MAX_EPOCH = 2147483647;

export function partitionKey(byTopicId: boolean, topic: string, topicId: string, partition: number): string {
  return `${byTopicId ? topicId : topic}\u0000${partition}`;
}

export class FetchSessionCache {
  private readonly sessions = new Map<number, FetchSession>();
  /** Sessions created and incremental fetches served since start (for tests and metrics). */
  created = 0;
  incrementalFetches = 0;

  constructor(private readonly maxSessions = 1000) {}

  get(id: number): FetchSession | undefined {
    const s = this.sessions.get(id);
    if (s) {
      // move to the back: Map iteration order is the LRU order
      this.sessions.delete(id);
      this.sessions.set(id, s);
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

  create(byTopicId: boolean): FetchSession {
    if (this.sessions.size >= this.maxSessions) {
      const oldest = this.sessions.keys().next();
      if (!oldest.done) this.sessions.delete(oldest.value);
    }
    let id: number;
    do id = randomInt(1, MAX_EPOCH);
    while (this.sessions.has(id));
    const s: FetchSession = { id, epoch: 1, byTopicId, partitions: new Map() };
    this.created++;
    this.sessions.set(id, s);
    return s;
  }

  static nextEpoch(epoch: number): number {
    return epoch >= MAX_EPOCH ? 1 : epoch + 1;
  }

  get size(): number {
    return this.sessions.size;
  }
}
