/**
 * The state of one `__consumer_offsets` partition: its groups and their committed offsets, changed
 * only by steps run on that partition's queue (coordinator-partition.ts) and rebuilt at start by
 * replaying the partition's records (records.ts). Classic membership steps live in
 * classic-protocol.ts; offsets and group administration are here.
 *
 * Offsets: one entry per (group, topic, partition), the newest commit wins; a tombstone deletes it.
 * A commit for a group that does not exist, with no generation (-1), creates a "simple" group: an
 * Empty classic group without a protocol type (Kafka's manual-commit group). Groups are deleted by
 * a GroupMetadata tombstone plus a tombstone per offset.
 */
import { ErrorCode } from "@odradek/codec";
import type { CoordinatorPartition, CoordinatorRecord, CoordinatorResult, CoordinatorShard } from "../coordinator/coordinator-partition.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import { ClassicGroup } from "./classic-group.js";
import { startSessions } from "./classic-protocol.js";
import { validateCommitEpoch } from "./assignment-epochs.js";
import { ConsumerGroup, replayConsumerGroup } from "./consumer-group.js";
import { startConsumerSessions } from "./consumer-protocol.js";
import { consumerGroupRecords, decodeRecord, groupMetadataRecord, offsetCommitRecord } from "./records.js";
import type { MigrationPolicy } from "./group-migration.js";
import { PendingTxnOffsets } from "./txn-offsets.js";
import type { ShareGroup } from "../share/share-group.js";
import { deleteShareGroup, startShareSessions } from "../share/share-group.js";
import { replayShareGroup } from "../share/share-group-records.js";

/** What the group coordinator sees of the broker's topics (for KIP-848 subscriptions). */
export interface TopicView {
  byName(name: string): { id: string; partitions: number } | undefined;
  all(): { name: string; id: string; partitions: number; internal: boolean }[];
}

export interface GroupConfig {
  offsetsRetentionMs: number;
  offsetsRetentionCheckIntervalMs: number;
  consumerSessionTimeoutMs: number;
  consumerHeartbeatIntervalMs: number;
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  initialRebalanceDelayMs: number;
  maxSize: number;
  /** `group.consumer.max.size` (unbounded when not given). */
  consumerMaxSize?: number;
  /**
   * A group's `consumer.assignment.interval.ms` (or `share.`): its own value, else the broker's current
   * `group.consumer.assignment.interval.ms` (a dynamic broker config). Not given: 0 (targets at once).
   */
  assignmentIntervalMs?: (groupId: string, kind: "consumer" | "share") => number;
  maxMetadataBytes: number;
  shareSessionTimeoutMs: number;
  shareHeartbeatIntervalMs: number;
  shareMaxSize: number;
  /** Per-group values of the group configs (group-configs.ts), over the broker-wide ones above. */
  groupConfigs?: { int(groupId: string, name: string): number };
  /** A new classic member's parked JoinGroup times out after this (Kafka: a 5-minute constant). */
  newMemberJoinTimeoutMs?: number;
  /** `group.consumer.migration.policy` (group-migration.ts); bidirectional when not given. */
  migrationPolicy?: MigrationPolicy;
}

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string;
  commitTimestamp: bigint;
}

export interface OffsetCommitInput {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  apiVersion: number;
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[] }[];
}

const key = (topic: string, partition: number) => `${partition}:${topic}`;
const result = <T>(response: T, records: CoordinatorRecord[] = [], replay = true): CoordinatorResult<T> => ({ response, records, replay });

export class GroupShard implements CoordinatorShard {
  readonly groups = new Map<string, ClassicGroup>();
  /** KIP-848 groups (a group id is either classic or consumer, never both). */
  readonly consumerGroups = new Map<string, ConsumerGroup>();
  readonly offsets = new Map<string, Map<string, CommittedOffset & { topic: string; partition: number; recordOffset: number }>>();
  /** Offsets of open transactions (TxnOffsetCommit), visible once their commit marker is written. */
  readonly pendingTxnOffsets = new PendingTxnOffsets();
  /** KIP-932 share groups (share/share-group.ts; persisted by share/share-group-records.ts). */
  readonly shareGroups = new Map<string, ShareGroup>();
  readonly shareMetadataKeys = new Map<string, string>();
  /** Called when a share-group member expires (its acquired records are released). */
  onShareMemberGone: ((groupId: string, memberId: string) => void) | null = null;
  /** Records made by in-memory transitions inside a step (drained by the runtime). */
  readonly pendingRecords: CoordinatorRecord[] = [];
  /** Groups whose first rebalance is in its `group.initial.rebalance.delay.ms`. */
  readonly initialDelayGroups = new Set<string>();
  private _partition: CoordinatorPartition<GroupShard> | null = null;

  constructor(readonly config: GroupConfig, readonly clock: Clock, readonly log: Logger, readonly topics: TopicView) {}

  attach(p: CoordinatorPartition<GroupShard>): void {
    this._partition = p;
  }

  get partition(): CoordinatorPartition<GroupShard> {
    return this._partition!;
  }

  drainRecords(): CoordinatorRecord[] {
    return this.pendingRecords.splice(0);
  }

  /**
   * The undo journal of the running step: what it changed in place (a group converted, replaced or
   * deleted before its records are written) registers how to put it back. Consumer-group state
   * changes only by replaying appended records, so it needs no entry; a classic group's own fields
   * are not journaled (Kafka's ClassicGroup is not in its timeline snapshot either), only which group
   * object the id maps to.
   */
  private readonly undo: (() => void)[] = [];

  onRollback(fn: () => void): void {
    this.undo.push(fn);
  }

  rollback(): void {
    for (let fn = this.undo.pop(); fn; fn = this.undo.pop()) fn();
  }

  commit(): void {
    this.undo.length = 0;
  }

  /** The classic group, undefined when there is none, "other-type" for a consumer or share group (classic-in-consumer-group.ts routes consumer groups first). */
  classicGroup(groupId: string): ClassicGroup | "other-type" | undefined {
    if (this.consumerGroups.has(groupId) || this.shareGroups.has(groupId)) return "other-type";
    return this.groups.get(groupId);
  }

  createClassicGroup(groupId: string): ClassicGroup {
    const g = new ClassicGroup(groupId, this.clock.now());
    this.groups.set(groupId, g);
    return g;
  }

  // ---- replay ----

  replay(record: CoordinatorRecord, offset = -1): void {
    const r = decodeRecord(record.key, record.value);
    if (r.type === "offset") {
      if (r.value === null) {
        const m = this.offsets.get(r.group);
        m?.delete(key(r.topic, r.partition));
        if (m && m.size === 0) this.offsets.delete(r.group);
        return;
      }
      if (!this.groups.has(r.group) && !this.consumerGroups.has(r.group)) this.createClassicGroup(r.group);
      let m = this.offsets.get(r.group);
      if (!m) this.offsets.set(r.group, (m = new Map()));
      m.set(key(r.topic, r.partition), { topic: r.topic, partition: r.partition, offset: r.value.offset, leaderEpoch: r.value.leaderEpoch, metadata: r.value.metadata, commitTimestamp: r.value.commitTimestamp, recordOffset: offset });
    } else if (r.type.startsWith("cg-")) {
      replayConsumerGroup(this, r);
    } else if (r.type.startsWith("sg-")) {
      replayShareGroup(this, r);
    } else if (r.type === "group") {
      if (r.value === null) {
        this.groups.delete(r.group);
        return;
      }
      const g = new ClassicGroup(r.group, Number(r.value.currentStateTimestamp));
      g.protocolType = r.value.protocolType === "" && r.value.members.length === 0 ? null : r.value.protocolType;
      g.generationId = r.value.generation;
      g.protocolName = r.value.protocol;
      for (const m of r.value.members) {
        g.add({
          memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
          rebalanceTimeoutMs: m.rebalanceTimeout, sessionTimeoutMs: m.sessionTimeout, protocolType: r.value.protocolType,
          protocols: [{ name: r.value.protocol ?? "", metadata: m.subscription }], assignment: m.assignment,
          awaitingJoin: null, awaitingSync: null, isNew: false,
        });
      }
      g.leaderId = r.value.leader;
      g.state = g.members.size > 0 ? "Stable" : "Empty";
      this.groups.set(r.group, g);
    }
  }

  replayTransactional(record: CoordinatorRecord, offset: number, producerId: number): void {
    const r = decodeRecord(record.key, record.value);
    // Only offset commits are written transactionally (TxnOffsetCommit); a tombstone there is not expected.
    if (r.type !== "offset" || r.value === null) return;
    this.pendingTxnOffsets.add(producerId, r.group, {
      topic: r.topic, partition: r.partition, offset: r.value.offset, leaderEpoch: r.value.leaderEpoch,
      metadata: r.value.metadata, commitTimestamp: r.value.commitTimestamp, recordOffset: offset,
    });
  }

  replayEndTransaction(producerId: number, commit: boolean): void {
    const pending = this.pendingTxnOffsets.take(producerId);
    if (!commit) return;
    for (const [group, offsets] of pending) {
      if (!this.groups.has(group) && !this.consumerGroups.has(group)) this.createClassicGroup(group);
      let m = this.offsets.get(group);
      if (!m) this.offsets.set(group, (m = new Map()));
      for (const [k, o] of offsets) {
        const current = m.get(k);
        if (!current || current.recordOffset < o.recordOffset) m.set(k, o);
      }
    }
  }


  /**
   * Offset expiry (`offsets.retention.minutes`, checked every `offsets.retention.check.interval.ms`),
   * Kafka's rule: a group without a protocol type (manual commits) loses each offset once it is older
   * than the retention; an Empty classic group or an empty consumer group loses all its offsets once it
   * has been empty (classic: since its state changed; consumer: since the commit) for the retention.
   * A group left Empty with no offsets is then deleted (tombstone), as Kafka cleans it up.
   */
  expireOffsets(): CoordinatorResult<number> {
    const now = this.clock.now();
    const retention = this.config.offsetsRetentionMs;
    const records: CoordinatorRecord[] = [];
    for (const [groupId, offsets] of this.offsets) {
      const classic = this.groups.get(groupId);
      const consumer = this.consumerGroups.get(groupId);
      let base: ((o: CommittedOffset) => number) | null = null;
      if (classic && classic.protocolType === null) base = (o) => Number(o.commitTimestamp);
      else if (classic?.is("Empty")) base = () => classic.stateTimestamp;
      else if (consumer && consumer.members.size === 0) base = (o) => Number(o.commitTimestamp);
      if (!base) continue;
      let left = offsets.size;
      for (const o of offsets.values()) {
        if (now - base(o) >= retention) {
          records.push(offsetCommitRecord(groupId, o.topic, o.partition, null));
          left--;
        }
      }
      if (left === 0 && classic?.is("Empty")) records.push(groupMetadataRecord(groupId, null));
      if (left === 0 && consumer) records.push(consumerGroupRecords.targetMetadata(groupId, null), consumerGroupRecords.metadata(groupId, null));
    }
    if (records.length) this.log.info({ tombstones: records.length }, "expired committed offsets (offsets.retention.minutes)");
    this.partition.schedule("offsets-expiry", this.config.offsetsRetentionCheckIntervalMs, (s) => s.expireOffsets());
    return result(records.length, records);
  }

  /** After load: session timers for the members of groups that came back Stable, and of consumer groups. */
  startTimers(): void {
    this.partition.schedule("offsets-expiry", this.config.offsetsRetentionCheckIntervalMs, (s) => s.expireOffsets());
    for (const g of this.groups.values()) if (g.is("Stable")) startSessions(this, g);
    for (const g of this.consumerGroups.values()) startConsumerSessions(this, g);
    for (const g of this.shareGroups.values()) startShareSessions(this, g);
  }

  /** A group's state as JSON: members, generation, assignment (hex) and committed offsets (for tests and "why was I fenced?"). */
  dump(groupId: string): object | null {
    const g = this.groups.get(groupId);
    const offsets = [...(this.offsets.get(groupId)?.values() ?? [])]
      .map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset.toString(), leaderEpoch: o.leaderEpoch, metadata: o.metadata }))
      .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    const cg = this.consumerGroups.get(groupId);
    if (cg) {
      const hex = (a: Map<string, Set<number>>) => Object.fromEntries([...a].map(([t, ps]) => [t, [...ps].sort((x, y) => x - y)]));
      return {
        groupId, type: "consumer", state: cg.state, groupEpoch: cg.groupEpoch, assignmentEpoch: cg.assignmentEpoch,
        assignmentTimestamp: cg.assignmentTimestamp, metadataHash: cg.metadataHash.toString(),
        members: [...cg.members.values()].map((m) => ({
          memberId: m.memberId, instanceId: m.instanceId, memberEpoch: m.memberEpoch, state: m.state, subscribedTopicNames: m.subscribedTopicNames,
          subscribedTopicRegex: m.subscribedTopicRegex, assigned: hex(m.assigned), pendingRevocation: hex(m.pendingRevocation), target: hex(cg.target.get(m.memberId) ?? new Map()),
          classic: m.classic && { sessionTimeoutMs: m.classic.sessionTimeoutMs, protocols: m.classic.supportedProtocols.map((p) => p.name) },
          assignmentEpochs: Object.fromEntries([...(m.assignmentEpochs ?? [])].map(([t, ps]) => [t, Object.fromEntries([...ps].sort(([x], [y]) => x - y))])),
        })).sort((a, b) => a.memberId.localeCompare(b.memberId)),
        offsets,
      };
    }
    if (!g) return offsets.length ? { groupId, offsets } : null;
    return {
      groupId, type: "classic", state: g.state, generationId: g.generationId, protocolType: g.protocolType, protocolName: g.protocolName, leader: g.leaderId,
      members: [...g.members.values()].map((m) => ({
        memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs, rebalanceTimeoutMs: m.rebalanceTimeoutMs, assignment: m.assignment.toString("hex"),
      })).sort((a, b) => a.memberId.localeCompare(b.memberId)),
      offsets,
    };
  }

  // ---- offsets ----

  commitOffsets(req: OffsetCommitInput): CoordinatorResult<{ topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] }> {
    const all = (errorCode: number) => result({ topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) });
    if (req.groupId === "") return all(ErrorCode.INVALID_GROUP_ID);
    const cg = this.consumerGroups.get(req.groupId);
    if (cg) {
      // Kafka's ConsumerGroup.validateOffsetCommit: an admin commit (no epoch) only on an empty group.
      if (!(req.generationId < 0 && cg.members.size === 0)) {
        const m = cg.members.get(req.memberId);
        if (!m) return all(ErrorCode.UNKNOWN_MEMBER_ID);
        // A classic member (migration) commits with its generation = member epoch, at any version.
        if (m.classic === null && req.apiVersion < 9) return all(ErrorCode.UNSUPPORTED_VERSION);
        // KIP-1251: an older epoch is accepted for partitions the member held since then (classic members too, as ILLEGAL_GENERATION).
        const committed = req.topics.flatMap((t) => t.partitions.map((p) => ({ topicId: this.topics.byName(t.name)?.id, partition: p.partitionIndex })));
        const err = validateCommitEpoch(m, req.generationId, committed, m.classic !== null);
        if (err !== ErrorCode.NONE) return all(err);
        if (req.generationId !== m.memberEpoch) this.log.debug({ group: req.groupId, member: req.memberId, epoch: req.generationId, memberEpoch: m.memberEpoch }, "offset commit with an older member epoch accepted (KIP-1251)");
      }
      return this.offsetRecords(req);
    }
    let g = this.groups.get(req.groupId);
    if (!g) {
      if (req.generationId >= 0) return all(req.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION);
      g = this.createClassicGroup(req.groupId); // a simple group (manual commits)
    }
    const err = validateCommit(g, req);
    if (err !== ErrorCode.NONE) return all(err);
    return this.offsetRecords(req);
  }

  /**
   * TxnOffsetCommit: the same checks as a commit (Kafka's validateTransactionalOffsetCommit: member,
   * instance and generation/member epoch when given), the records written as the producer's
   * transactional batch and held until the marker (txn-offsets.ts).
   */
  txnCommitOffsets(req: OffsetCommitInput, producerId: number, producerEpoch: number): ReturnType<GroupShard["commitOffsets"]> {
    // Without member and generation (v0-2, or a producer not in the group) Kafka checks nothing more.
    const anonymous = req.generationId < 0 && req.memberId === "" && req.groupInstanceId === null;
    if (anonymous && req.groupId !== "") {
      if (!this.groups.has(req.groupId) && !this.consumerGroups.has(req.groupId)) this.createClassicGroup(req.groupId);
      return { ...this.offsetRecords(req), transactional: { producerId, producerEpoch } };
    }
    const r = this.commitOffsets({ ...req, apiVersion: Math.max(req.apiVersion, 9) });
    // Kafka 4.4 answers STALE_MEMBER_EPOCH only from TxnOffsetCommit v6; before, ILLEGAL_GENERATION.
    if (req.apiVersion < 6) for (const t of r.response.topics) for (const p of t.partitions) if (p.errorCode === ErrorCode.STALE_MEMBER_EPOCH) p.errorCode = ErrorCode.ILLEGAL_GENERATION;
    return { ...r, transactional: { producerId, producerEpoch } };
  }

  private offsetRecords(req: OffsetCommitInput): CoordinatorResult<{ topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] }> {
    const now = BigInt(this.clock.now());
    const records: CoordinatorRecord[] = [];
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const metadata = p.committedMetadata ?? "";
        if (Buffer.byteLength(metadata) > this.config.maxMetadataBytes) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE };
        records.push(offsetCommitRecord(req.groupId, t.name, p.partitionIndex, { offset: p.committedOffset, leaderEpoch: p.committedLeaderEpoch, metadata, commitTimestamp: now }));
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    return result({ topics }, records);
  }

  /** OffsetFetch v9+ (Kafka's ConsumerGroup.validateOffsetFetch): only consumer groups check the member and its epoch. */
  validateOffsetFetch(groupId: string, memberId: string | null, memberEpoch: number): number {
    const cg = this.consumerGroups.get(groupId);
    if (!cg || (memberId === null && memberEpoch < 0)) return ErrorCode.NONE;
    const m = memberId === null ? undefined : cg.members.get(memberId);
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (m.memberEpoch === memberEpoch) return ErrorCode.NONE;
    return m.classic === null ? ErrorCode.STALE_MEMBER_EPOCH : ErrorCode.ILLEGAL_GENERATION;
  }

  /**
   * Committed offsets of a group: the named partitions (-1 where none), or all when `topics` is null.
   * `requireStable`: a partition with an offset of an open transaction answers UNSTABLE_OFFSET_COMMIT
   * (offset -1), as Kafka's does; without it the committed offset is answered.
   */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, requireStable = false): { errorCode: number; topics: { name: string; partitions: (CommittedOffset & { partitionIndex: number; errorCode?: number })[] }[] } {
    const m = this.offsets.get(groupId);
    const none = { offset: -1n, leaderEpoch: -1, metadata: "", commitTimestamp: -1n };
    const stable = <T extends CommittedOffset & { partitionIndex: number }>(topic: string, p: T): T & { errorCode?: number } =>
      requireStable && this.pendingTxnOffsets.isPending(groupId, topic, p.partitionIndex) ? { ...p, ...none, errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT } : p;
    if (topics === null) {
      const byTopic = new Map<string, (CommittedOffset & { partitionIndex: number })[]>();
      for (const o of m?.values() ?? []) {
        let list = byTopic.get(o.topic);
        if (!list) byTopic.set(o.topic, (list = []));
        list.push(stable(o.topic, { ...o, partitionIndex: o.partition }));
      }
      return { errorCode: ErrorCode.NONE, topics: [...byTopic].map(([name, partitions]) => ({ name, partitions: partitions.sort((a, b) => a.partitionIndex - b.partitionIndex) })) };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((p) => stable(t.name, { ...(m?.get(key(t.name, p)) ?? none), partitionIndex: p })) })),
    };
  }

  deleteOffsets(groupId: string, topics: { name: string; partitions: { partitionIndex: number }[] }[], subscribed: (topic: string) => boolean): CoordinatorResult<{ errorCode: number; topics: { name: string; partitions: { partitionIndex: number; errorCode: number }[] }[] }> {
    const g = this.groups.get(groupId);
    // A consumer group (KIP-848) takes OffsetDelete in any state; only partitions of topics its members
    // subscribe to are refused (`subscribed` is then its members' subscriptions).
    const cg = this.consumerGroups.get(groupId);
    const members = cg ? cg.members.size : (g?.members.size ?? 0);
    if (!cg && (!g || g.is("Dead"))) return result({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] });
    if (!cg && members > 0 && g?.protocolType !== "consumer") return result({ errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] });
    const records: CoordinatorRecord[] = [];
    const m = this.offsets.get(groupId);
    const out = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        if (members > 0 && subscribed(t.name)) return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC };
        if (m?.has(key(t.name, p.partitionIndex))) records.push(offsetCommitRecord(groupId, t.name, p.partitionIndex, null));
        return { partitionIndex: p.partitionIndex, errorCode: ErrorCode.NONE };
      }),
    }));
    return result({ errorCode: ErrorCode.NONE, topics: out }, records);
  }

  // ---- administration ----

  listGroups(states: string[], types: string[]): { groupId: string; protocolType: string; groupState: string; groupType: string }[] {
    const wantState = new Set(states.map((x) => x.toLowerCase()));
    const wantType = new Set(types.map((x) => x.toLowerCase()));
    const all = [
      ...[...this.groups.values()].filter((g) => !g.is("Dead")).map((g) => ({ groupId: g.groupId, protocolType: g.protocolType ?? "", groupState: g.state as string, groupType: "classic" })),
      ...[...this.consumerGroups.values()].map((g) => ({ groupId: g.groupId, protocolType: "consumer", groupState: g.state, groupType: "consumer" })),
      ...[...this.shareGroups.values()].map((g) => ({ groupId: g.groupId, protocolType: "share", groupState: g.state as string, groupType: "share" })),
    ];
    return all
      .filter((g) => wantState.size === 0 || wantState.has(g.groupState.toLowerCase()))
      .filter((g) => wantType.size === 0 || wantType.has(g.groupType));
  }

  /** A tombstone for every committed offset of the group. */
  private offsetTombstones(groupId: string): CoordinatorRecord[] {
    return [...(this.offsets.get(groupId)?.values() ?? [])].map((o) => offsetCommitRecord(groupId, o.topic, o.partition, null));
  }

  deleteGroup(groupId: string): CoordinatorResult<number> {
    const share = deleteShareGroup(this, groupId);
    if (share !== null) return result(share.errorCode, share.records, false);
    const cg = this.consumerGroups.get(groupId);
    if (cg) {
      if (cg.members.size > 0) return result(ErrorCode.NON_EMPTY_GROUP);
      const records = this.offsetTombstones(groupId);
      records.push(consumerGroupRecords.targetMetadata(groupId, null), consumerGroupRecords.metadata(groupId, null));
      return result(ErrorCode.NONE, records);
    }
    const g = this.groups.get(groupId);
    if (!g || g.is("Dead")) return result(ErrorCode.GROUP_ID_NOT_FOUND);
    if (!g.is("Empty")) return result(ErrorCode.NON_EMPTY_GROUP);
    const records = this.offsetTombstones(groupId);
    records.push(groupMetadataRecord(groupId, null));
    return result(ErrorCode.NONE, records);
  }
}

/** Kafka's ClassicGroup.validateOffsetCommit. */
function validateCommit(g: ClassicGroup, req: OffsetCommitInput): number {
  if (g.is("Dead")) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (req.generationId < 0 && g.is("Empty")) return ErrorCode.NONE;
  if (req.generationId >= 0 || req.memberId !== "" || req.groupInstanceId !== null) {
    const m = g.members.get(req.memberId);
    if (req.groupInstanceId !== null) {
      const current = g.staticMembers.get(req.groupInstanceId);
      if (current === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
      if (current !== req.memberId) return ErrorCode.FENCED_INSTANCE_ID;
    }
    if (!m) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (req.generationId !== g.generationId) return ErrorCode.ILLEGAL_GENERATION;
  } else if (!g.is("Empty")) return ErrorCode.UNKNOWN_MEMBER_ID;
  if (g.is("CompletingRebalance")) return ErrorCode.REBALANCE_IN_PROGRESS;
  return ErrorCode.NONE;
}
