/**
 * Share groups on this broker (KIP-932): the share-partitions (share-partition-manager.ts), the
 * share sessions (share-sessions.ts) and the group configs share groups read. Membership runs on the
 * group coordinator (share-group.ts). The handlers 076–079 and 090–092 use this.
 *
 * Group configs (Kafka 4.4's names and defaults; settable per group once group configs are stored,
 * broker defaults otherwise): `share.auto.offset.reset` (latest), `share.record.lock.duration.ms`
 * (`group.share.record.lock.duration.ms`), `share.delivery.count.limit`
 * (`group.share.delivery.count.limit`), `share.partition.max.record.locks`
 * (`group.share.partition.max.record.locks`), `share.isolation.level` (read_uncommitted).
 */
import type { Broker, Topic } from "../broker.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import { SharePartitionManager } from "./share-partition-manager.js";
import { ShareSessions, splitPartitionKey } from "./share-sessions.js";
import type { ShareSession } from "./share-sessions.js";

const SHARE_GROUP_DEFAULTS: Record<string, string> = {
  "share.auto.offset.reset": "latest",
  "share.isolation.level": "read_uncommitted",
};

const intIn = (lo: string, hi: string) => (v: string, int: (n: string) => number): string | null => {
  const n = Number(v);
  if (!/^-?\d+$/.test(v)) return "Not a number of type INT";
  return n < int(lo) || n > int(hi) ? `must be between ${int(lo)} and ${int(hi)}` : null;
};
/** The share.* group configs IncrementalAlterConfigs accepts, each with its check (Kafka 4.4's bounds). */
const SHARE_GROUP_CONFIGS: Record<string, (v: string, int: (n: string) => number) => string | null> = {
  "share.auto.offset.reset": (v) => (v === "earliest" || v === "latest" || /^by_duration:P/.test(v) ? null : "String must be one of: latest, earliest, by_duration:<ISO-8601 duration>"),
  "share.isolation.level": (v) => (v === "read_committed" || v === "read_uncommitted" ? null : "String must be one of: read_committed, read_uncommitted"),
  "share.record.lock.duration.ms": intIn("group.share.min.record.lock.duration.ms", "group.share.max.record.lock.duration.ms"),
  "share.delivery.count.limit": intIn("group.share.min.delivery.count.limit", "group.share.max.delivery.count.limit"),
  "share.partition.max.record.locks": intIn("group.share.min.partition.max.record.locks", "group.share.max.partition.max.record.locks"),
  "share.session.timeout.ms": intIn("group.share.min.session.timeout.ms", "group.share.max.session.timeout.ms"),
  "share.heartbeat.interval.ms": intIn("group.share.min.heartbeat.interval.ms", "group.share.max.heartbeat.interval.ms"),
};

export class Shares {
  readonly partitions: SharePartitionManager;
  readonly sessions = new ShareSessions();
  /** Per-group config values set by IncrementalAlterConfigs on GROUP resources (until stored with the group). */
  readonly groupConfigs = new Map<string, Map<string, string>>();

  private readonly log: Logger;

  constructor(private readonly broker: Broker, clock: Clock, log: Logger) {
    this.log = log.child({ component: "share" });
    this.partitions = new SharePartitionManager(broker, clock, this.log, (g, n) => this.groupConfig(g, n));
    broker.groups.onShareMemberGone = (groupId, memberId) => void this.memberGone(groupId, memberId);
  }

  /**
   * IncrementalAlterConfigs on a GROUP resource, share.* configs only (until group configs are
   * stored with the group: kept in memory): SET (0) and DELETE (1). Null when valid (and applied
   * unless `validateOnly`), else the INVALID_CONFIG message.
   */
  alterGroupConfigs(groupId: string, ops: readonly { name: string; configOperation: number; value: string | null }[], validateOnly: boolean): string | null {
    const next = new Map(this.groupConfigs.get(groupId) ?? []);
    const c = this.broker.config;
    for (const op of ops) {
      const check = SHARE_GROUP_CONFIGS[op.name];
      if (!check) return `Unknown group config name: ${op.name}`;
      if (op.configOperation === 1) { next.delete(op.name); continue; }
      if (op.configOperation !== 0) return `Config value append is not allowed for config key: ${op.name}`;
      const v = (op.value ?? "").trim();
      const bad = check(v, (n) => c.int(n));
      if (bad) return `Invalid value ${v} for configuration ${op.name}: ${bad}`;
      next.set(op.name, v);
    }
    if (!validateOnly) this.groupConfigs.set(groupId, next);
    return null;
  }

  groupConfig(groupId: string, name: string): string {
    return this.groupConfigs.get(groupId)?.get(name) ?? SHARE_GROUP_DEFAULTS[name] ?? "";
  }

  /** The session's partitions as topics of this broker (a deleted topic drops out). */
  sessionPartitions(s: ShareSession): { topic: Topic; partition: number }[] {
    const out: { topic: Topic; partition: number }[] = [];
    for (const k of s.partitions) {
      const { topicId, partition } = splitPartitionKey(k);
      const topic = this.broker.topicById(topicId);
      if (topic && partition < topic.partitions.length) out.push({ topic, partition });
    }
    return out;
  }

  /** A session closed or replaced: what its member acquired is released. */
  async release(s: ShareSession | undefined): Promise<void> {
    if (!s) return;
    await this.partitions.releaseMember(s.groupId, s.memberId, this.sessionPartitions(s));
  }

  /**
   * The session ends with the connection that opened it (`closed`: the connection's signal): its
   * member's records are released then, unless the session was closed or replaced before.
   */
  bindToConnection(session: ShareSession, closed: AbortSignal): void {
    const end = () => {
      if (!this.sessions.removeIfCurrent(session)) return;
      this.release(session).catch((err: Error) => this.log.debug({ err: err.message, group: session.groupId, member: session.memberId }, "share session release on disconnect failed"));
    };
    if (closed.aborted) end();
    else closed.addEventListener("abort", end, { once: true });
  }

  /** A member's session timed out in its group: its share session goes and its records are released. */
  async memberGone(groupId: string, memberId: string): Promise<void> {
    await this.release(this.sessions.removeMember(groupId, memberId));
  }

  /**
   * A share group deleted (DeleteGroups, after the coordinator forgot its membership): its
   * share-partition state and group configs go. Whether there was any state.
   */
  async deleteGroup(groupId: string): Promise<boolean> {
    const stored = await this.partitions.store.ofGroup(groupId);
    for (const st of stored) await this.partitions.delete(groupId, st.topicId, st.partition);
    this.groupConfigs.delete(groupId);
    return stored.length > 0;
  }

  /** Share groups known by their stored share-partition state (also those whose membership was deleted). */
  async storedGroupIds(): Promise<string[]> {
    return this.partitions.store.groupIds();
  }

  close(): Promise<void> {
    return this.partitions.close();
  }
}
