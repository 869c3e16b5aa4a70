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

export class Shares {
  readonly partitions: SharePartitionManager;
  readonly sessions = new ShareSessions();
  /** Per-group config values set by IncrementalAlterConfigs on GROUP resources (until stored with the group). */
  readonly groupConfigs = new Map<string, Map<string, string>>();

  constructor(private readonly broker: Broker, clock: Clock, log: Logger) {
    this.partitions = new SharePartitionManager(broker, clock, log.child({ component: "share" }), (g, n) => this.groupConfig(g, n));
    broker.groups.onShareMemberGone = (groupId, memberId) => void this.memberGone(groupId, memberId);
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

  /** A member left its share group or expired: its session goes and its records are released. */
  async memberGone(groupId: string, memberId: string): Promise<void> {
    await this.release(this.sessions.removeMember(groupId, memberId));
  }

  close(): Promise<void> {
    return this.partitions.close();
  }
}
