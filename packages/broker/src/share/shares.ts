/**
 * Share groups on this broker (KIP-932): the share-partitions (share-partition-manager.ts), the
 * share sessions (share-sessions.ts) and the group configs share groups read. Membership runs on the
 * group coordinator (share-group.ts). The handlers 076–079 and 090–092 use this.
 *
 * The share.* group configs (`share.auto.offset.reset`, `share.record.lock.duration.ms`,
 * `share.delivery.count.limit`, `share.partition.max.record.locks`, `share.isolation.level`) are read
 * through the broker's GroupConfigManager (group/group-configs.ts): per group when set, else the
 * broker's `group.share.*` defaults.
 */
import type { Topic } from "../topic-registry.js";
import type { BrokerServices } from "../services.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import { SharePartitionManager } from "./share-partition-manager.js";
import { ShareSessions, splitPartitionKey } from "./share-sessions.js";
import type { ShareSession } from "./share-sessions.js";

export class Shares {
  readonly partitions: SharePartitionManager;
  readonly sessions = new ShareSessions();

  private readonly log: Logger;

  constructor(private readonly broker: Pick<BrokerServices, "topics" | "config" | "groupConfigs" | "delayedFetches" | "groups">, clock: Clock, log: Logger) {
    this.log = log.child({ component: "share" });
    this.partitions = new SharePartitionManager(broker, clock, this.log, (g, n) => this.groupConfig(g, n));
    broker.groups.onShareMemberGone = (groupId, memberId) => void this.memberGone(groupId, memberId);
  }

  /** A share group's effective value of a group config (group/group-configs.ts). */
  groupConfig(groupId: string, name: string): string {
    return this.broker.groupConfigs.value(groupId, name);
  }

  /** The session's partitions as topics of this broker (a deleted topic drops out). */
  sessionPartitions(s: ShareSession): { topic: Topic; partition: number }[] {
    const out: { topic: Topic; partition: number }[] = [];
    for (const k of s.partitions) {
      const { topicId, partition } = splitPartitionKey(k);
      const topic = this.broker.topics.topicById(topicId);
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
   * share-partition state goes (its group configs stay, as in Kafka 4.4). Whether there was any state.
   */
  async deleteGroup(groupId: string): Promise<boolean> {
    const stored = await this.partitions.store.ofGroup(groupId);
    for (const st of stored) await this.partitions.delete(groupId, st.topicId, st.partition);
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
