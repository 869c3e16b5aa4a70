/**
 * One share-partition (KIP-932): the delivery state of one topic partition for one share group.
 *
 *   startOffset (SPSO)   every offset below it is done (acknowledged or archived) and forgotten
 *   endOffset            the next offset never delivered; [startOffset, endOffset) is the in-flight
 *                        window, every offset in it tracked in `offsets`
 * Record states (Kafka's RecordState ids, as persisted): AVAILABLE 0 (to be delivered, again if its
 * delivery count > 0), ACQUIRED 1 (locked by one member until acknowledged or its lock expires),
 * ACKNOWLEDGED 2, ARCHIVED 4 (rejected, past `group.share.delivery.count.limit`, or not a record: a
 * control record, a record of an aborted transaction under read_committed, or an offset the log no
 * longer has).
 * Transitions: AVAILABLE → ACQUIRED (acquire; delivery count + 1); ACQUIRED → ACKNOWLEDGED (accept),
 * AVAILABLE (release, lock expiry, member gone), ARCHIVED (reject, gap, or release/expiry with the
 * delivery count at the limit). ACKNOWLEDGED and ARCHIVED are final. The start offset then moves past
 * every final offset at the front of the window.
 * Invariants: startOffset <= endOffset; endOffset - startOffset <= maxInFlight unless one acquired
 * batch went past it (whole batches are delivered, as Kafka does); an ACQUIRED offset has an owner and
 * a lock deadline.
 * What is persisted (share-state.ts): the start offset and, per offset range, state and delivery count,
 * with ACQUIRED written as AVAILABLE: after a restart, what was only acquired is delivered again
 * (at-least-once), what was acknowledged never is.
 */

export const RecordState = { AVAILABLE: 0, ACQUIRED: 1, ACKNOWLEDGED: 2, ARCHIVED: 4 } as const;
export type RecordStateId = (typeof RecordState)[keyof typeof RecordState];

/** ShareAcknowledge's acknowledge types. */
export const AckType = { GAP: 0, ACCEPT: 1, RELEASE: 2, REJECT: 3, RENEW: 4 } as const;

export interface OffsetState {
  state: RecordStateId;
  deliveryCount: number;
  /** The member holding it (ACQUIRED only). */
  owner: string | null;
  /** Lock deadline on the broker clock (ACQUIRED only). */
  lockUntil: number;
}

export interface StateBatch {
  firstOffset: number;
  lastOffset: number;
  deliveryState: number;
  deliveryCount: number;
}

export interface SharePartitionLimits {
  deliveryCountLimit: number;
  maxInFlight: number;
  lockDurationMs: number;
}

export interface AcquiredRange {
  firstOffset: number;
  lastOffset: number;
  deliveryCount: number;
}

/** A batch of the log as acquisition sees it: its offsets and whether it holds records at all. */
export interface LogBatchView {
  baseOffset: number;
  lastOffset: number;
  /** A control batch (transaction marker): never delivered. */
  control: boolean;
  /** A batch of an aborted transaction (read_committed only): never delivered, archived as a control batch is. */
  aborted?: boolean;
  /** Offsets inside [baseOffset, lastOffset] that have a record (compaction leaves holes). */
  offsets: readonly number[];
}

export class SharePartition {
  readonly offsets = new Map<number, OffsetState>();

  constructor(
    readonly groupId: string,
    readonly topicId: string,
    readonly partition: number,
    public startOffset: number,
    public endOffset: number,
    readonly limits: SharePartitionLimits,
  ) {}

  /** Rebuilds from a persisted snapshot (ACQUIRED was written as AVAILABLE). */
  static fromSnapshot(groupId: string, topicId: string, partition: number, startOffset: number, batches: readonly StateBatch[], limits: SharePartitionLimits): SharePartition {
    const sp = new SharePartition(groupId, topicId, partition, startOffset, startOffset, limits);
    for (const b of batches) {
      for (let o = Math.max(b.firstOffset, startOffset); o <= b.lastOffset; o++) {
        const state = b.deliveryState === RecordState.ACQUIRED ? RecordState.AVAILABLE : (b.deliveryState as RecordStateId);
        sp.offsets.set(o, { state, deliveryCount: b.deliveryCount, owner: null, lockUntil: 0 });
        sp.endOffset = Math.max(sp.endOffset, o + 1);
      }
    }
    // Offsets of the window the snapshot did not list (none are expected) are delivered again.
    for (let o = sp.startOffset; o < sp.endOffset; o++) if (!sp.offsets.has(o)) sp.offsets.set(o, { state: RecordState.AVAILABLE, deliveryCount: 0, owner: null, lockUntil: 0 });
    sp.advanceStart();
    return sp;
  }

  /** The state to persist: ranges of equal (state, delivery count), ACQUIRED written as AVAILABLE. */
  snapshot(): StateBatch[] {
    const out: StateBatch[] = [];
    for (let o = this.startOffset; o < this.endOffset; o++) {
      const s = this.offsets.get(o);
      if (!s) continue;
      const state = s.state === RecordState.ACQUIRED ? RecordState.AVAILABLE : s.state;
      const last = out[out.length - 1];
      if (last && last.lastOffset === o - 1 && last.deliveryState === state && last.deliveryCount === s.deliveryCount) last.lastOffset = o;
      else out.push({ firstOffset: o, lastOffset: o, deliveryState: state, deliveryCount: s.deliveryCount });
    }
    return out;
  }

  /** The first offset acquisition should look at: the oldest AVAILABLE one, else the window's end. */
  nextFetchOffset(): number {
    for (let o = this.startOffset; o < this.endOffset; o++) if (this.offsets.get(o)?.state === RecordState.AVAILABLE) return o;
    return this.endOffset;
  }

  /** Whether anything could be acquired now (an AVAILABLE offset, or room for new records below `logEnd`). */
  canAcquire(logEnd: number): boolean {
    if (this.nextFetchOffset() < this.endOffset) return true;
    return this.endOffset < logEnd && this.endOffset - this.startOffset < this.limits.maxInFlight;
  }

  /**
   * Acquires for `member` from one log batch (batches are offered in offset order from
   * nextFetchOffset()). Returns the offsets acquired from it; `room` is how many more records the
   * request may take. New offsets extend the window only while it is below maxInFlight; a batch is
   * taken whole once started (Kafka delivers whole batches), unless `recordLimit` (ShareFetch v2's
   * record_limit acquire mode, KIP-1206): then acquisition stops at `room` records exactly, the rest of
   * the batch stays beyond the window's end for the next acquisition.
   */
  acquireFromBatch(member: string, b: LogBatchView, room: number, now: number, recordLimit = false): number[] {
    const got: number[] = [];
    const has = new Set(b.offsets);
    const skip = b.control || b.aborted === true;
    for (let o = Math.max(b.baseOffset, this.startOffset); o <= b.lastOffset; o++) {
      if (o >= this.endOffset) {
        // A new offset: the window grows (whole batch) if there is room.
        if (got.length === 0 && (room <= 0 || this.endOffset - this.startOffset >= this.limits.maxInFlight)) break;
        if (recordLimit && got.length >= room) break;
        const record = !skip && has.has(o);
        this.offsets.set(o, record
          ? { state: RecordState.ACQUIRED, deliveryCount: 1, owner: member, lockUntil: now + this.limits.lockDurationMs }
          : { state: RecordState.ARCHIVED, deliveryCount: 0, owner: null, lockUntil: 0 });
        this.endOffset = o + 1;
        if (record) got.push(o);
        continue;
      }
      const s = this.offsets.get(o);
      if (!s || s.state !== RecordState.AVAILABLE) continue;
      if (skip || !has.has(o)) {
        s.state = RecordState.ARCHIVED;
        continue;
      }
      if (got.length >= room) continue;
      s.state = RecordState.ACQUIRED;
      s.deliveryCount++;
      s.owner = member;
      s.lockUntil = now + this.limits.lockDurationMs;
      got.push(o);
    }
    this.advanceStart();
    return got;
  }

  /** Offsets past the log's end or below its start (truncation, DeleteRecords) are archived. */
  archiveOutside(logStart: number): void {
    if (logStart > this.startOffset) {
      for (let o = this.startOffset; o < Math.min(logStart, this.endOffset); o++) this.offsets.delete(o);
      this.startOffset = logStart;
      this.endOffset = Math.max(this.endOffset, logStart);
    }
  }

  /**
   * Applies one acknowledgement batch of `member` (ShareFetch's piggy-backed or ShareAcknowledge's).
   * `types` has one entry for the whole range or one per offset. Returns an error text when an offset
   * is not ACQUIRED by this member (Kafka: INVALID_RECORD_STATE) — then nothing of the batch changes.
   */
  acknowledge(member: string, firstOffset: number, lastOffset: number, types: readonly number[], now: number): string | null {
    if (lastOffset < firstOffset || (types.length !== 1 && types.length !== lastOffset - firstOffset + 1)) return `bad acknowledgement batch ${firstOffset}-${lastOffset} with ${types.length} types`;
    const typeAt = (o: number) => (types.length === 1 ? types[0]! : types[o - firstOffset]!);
    for (let o = firstOffset; o <= lastOffset; o++) {
      const t = typeAt(o);
      if (t < AckType.GAP || t > AckType.RENEW) return `unknown acknowledge type ${t}`;
      if (o < this.startOffset) return `offset ${o} is below the share-partition start offset ${this.startOffset}`;
      const s = this.offsets.get(o);
      if (t === AckType.GAP && (!s || s.state === RecordState.ACQUIRED || s.state === RecordState.ARCHIVED)) continue;
      if (!s || s.state !== RecordState.ACQUIRED || s.owner !== member) return `offset ${o} is not acquired by member ${member}`;
    }
    for (let o = firstOffset; o <= lastOffset; o++) {
      const s = this.offsets.get(o);
      if (!s) continue;
      switch (typeAt(o)) {
        case AckType.ACCEPT: this.finish(s, RecordState.ACKNOWLEDGED); break;
        case AckType.REJECT: case AckType.GAP: this.finish(s, RecordState.ARCHIVED); break;
        case AckType.RELEASE: this.release(s); break;
        case AckType.RENEW: s.lockUntil = now + this.limits.lockDurationMs; break;
      }
    }
    this.advanceStart();
    return null;
  }

  /** Releases every offset `member` holds (its session closed or it left); returns how many. */
  releaseMember(member: string): number {
    let n = 0;
    for (const s of this.offsets.values()) {
      if (s.state === RecordState.ACQUIRED && s.owner === member) {
        this.release(s);
        n++;
      }
    }
    this.advanceStart();
    return n;
  }

  /** Releases every offset whose lock deadline has passed; returns how many. */
  expireLocks(now: number): number {
    let n = 0;
    for (const s of this.offsets.values()) {
      if (s.state === RecordState.ACQUIRED && s.lockUntil <= now) {
        this.release(s);
        n++;
      }
    }
    this.advanceStart();
    return n;
  }

  /** The earliest lock deadline, or null when nothing is acquired. */
  nextLockDeadline(): number | null {
    let min: number | null = null;
    for (const s of this.offsets.values()) if (s.state === RecordState.ACQUIRED && (min === null || s.lockUntil < min)) min = s.lockUntil;
    return min;
  }

  /** Offsets delivered and done at or above the start offset (DescribeShareGroupOffsets' delivery-complete count). */
  deliveryCompleteCount(): number {
    let n = 0;
    for (const s of this.offsets.values()) if (s.state === RecordState.ACKNOWLEDGED || s.state === RecordState.ARCHIVED) n++;
    return n;
  }

  /** AlterShareGroupOffsets / a reset: everything forgotten, delivery starts at `offset`. */
  resetTo(offset: number): void {
    this.offsets.clear();
    this.startOffset = offset;
    this.endOffset = offset;
  }

  private release(s: OffsetState): void {
    s.owner = null;
    s.lockUntil = 0;
    s.state = s.deliveryCount >= this.limits.deliveryCountLimit ? RecordState.ARCHIVED : RecordState.AVAILABLE;
  }

  private finish(s: OffsetState, state: RecordStateId): void {
    s.state = state;
    s.owner = null;
    s.lockUntil = 0;
  }

  private advanceStart(): void {
    while (this.startOffset < this.endOffset) {
      const s = this.offsets.get(this.startOffset);
      if (s && s.state !== RecordState.ACKNOWLEDGED && s.state !== RecordState.ARCHIVED) break;
      this.offsets.delete(this.startOffset);
      this.startOffset++;
    }
  }
}
