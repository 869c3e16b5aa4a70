/**
 * The group coordinator: routes each group to its `__consumer_offsets` partition (Kafka's rule:
 * `abs(javaHashCode(groupId)) % offsets.topic.num.partitions`) and runs the group's steps there, one
 * at a time (coordinator-partition.ts). This broker coordinates every group.
 *
 * `__consumer_offsets` is created on first use (the first FindCoordinator, JoinGroup or commit; as Kafka
 * creates it), compacted, with `offsets.topic.num.partitions` partitions. When it exists at start, every
 * partition is loaded (replayed) in the background; requests wait for their partition's load.
 */
import type { BrokerServices } from "../services.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import type { CoordinatorResult } from "../coordinator/coordinator-partition.js";
import { CoordinatorTopic } from "../coordinator/coordinator-topic.js";
import { GroupShard } from "./group-shard.js";
import type { GroupConfig, TopicView } from "./group-shard.js";
import type { MigrationPolicy } from "./group-migration.js";

export const GROUP_METADATA_TOPIC = "__consumer_offsets";


export class GroupCoordinator {
  private readonly topic: CoordinatorTopic<GroupShard>;
  /** Set by the broker: a share-group member expired (its share sessions and locks are released). */
  onShareMemberGone: ((groupId: string, memberId: string) => void) | null = null;
  private readonly config: GroupConfig;

  constructor(private readonly broker: Pick<BrokerServices, "topics" | "config" | "groupConfigs">, readonly clock: Clock, private readonly log: Logger) {
    const c = broker.config;
    this.config = {
      offsetsRetentionMs: c.int("offsets.retention.minutes") * 60_000,
      offsetsRetentionCheckIntervalMs: c.int("offsets.retention.check.interval.ms"),
      consumerSessionTimeoutMs: c.int("group.consumer.session.timeout.ms"),
      consumerHeartbeatIntervalMs: c.int("group.consumer.heartbeat.interval.ms"),
      minSessionTimeoutMs: c.int("group.min.session.timeout.ms"),
      maxSessionTimeoutMs: c.int("group.max.session.timeout.ms"),
      initialRebalanceDelayMs: c.int("group.initial.rebalance.delay.ms"),
      maxSize: c.int("group.max.size"),
      consumerMaxSize: c.int("group.consumer.max.size"),
      // Read per use: the broker-level value is a dynamic broker config (dynamic-broker-config.ts).
      assignmentIntervalMs: (groupId, kind) => {
        const own = broker.groupConfigs.overrides(groupId).get(`${kind}.assignment.interval.ms`);
        return Number(own ?? c.get(`group.${kind}.assignment.interval.ms`));
      },
      maxMetadataBytes: c.int("offset.metadata.max.bytes"),
      shareSessionTimeoutMs: c.int("group.share.session.timeout.ms"),
      shareHeartbeatIntervalMs: c.int("group.share.heartbeat.interval.ms"),
      shareMaxSize: c.int("group.share.max.size"),
      migrationPolicy: (c.get("group.consumer.migration.policy") ?? "bidirectional").toLowerCase() as MigrationPolicy,
      groupConfigs: broker.groupConfigs,
    };
    this.topic = new CoordinatorTopic(broker, clock, {
      topic: GROUP_METADATA_TOPIC,
      partitionsConfig: "offsets.topic.num.partitions",
      configs: () => new Map([
        ["cleanup.policy", "compact"],
        ["compression.type", "producer"],
        ["segment.bytes", String(c.int("offsets.topic.segment.bytes"))],
      ]),
      shard: (index) => {
        const shard = new GroupShard(this.config, this.clock, this.log.child({ coordinator: "group", partition: index }), this.topicView);
        shard.onShareMemberGone = (groupId, memberId) => this.onShareMemberGone?.(groupId, memberId);
        return shard;
      },
      beforeLoad: (cp) => cp.shard.attach(cp),
      loaded: (parts, records, ms) => {
        for (const cp of parts) cp.shard.startTimers();
        if (records > 0) this.log.info({ topic: GROUP_METADATA_TOPIC, records, groups: parts.reduce((n, p) => n + p.shard.groups.size, 0), ms }, "loaded groups");
      },
    });
  }

  private readonly topicView: TopicView = {
    byName: (name) => {
      const t = this.broker.topics.topic(name);
      return t ? { id: t.id, partitions: t.partitions.length } : undefined;
    },
    all: () => this.broker.topics.allTopics().map((t) => ({ name: t.name, id: t.id, partitions: t.partitions.length, internal: t.name.startsWith("__") })),
  };

  partitionFor(groupId: string): number {
    return this.topic.partitionFor(groupId);
  }

  /** Creates the topic if needed and waits for its load (FindCoordinator calls this). */
  async ensureReady(): Promise<void> {
    await this.loaded(true);
  }

  private loaded(create: boolean) {
    return this.topic.loaded(create);
  }

  /** Runs a step on the group's partition (creating the topic first when `create`); null when there is no topic. */
  async run<T>(groupId: string, step: (shard: GroupShard) => CoordinatorResult<T>, create = true): Promise<T | null> {
    const parts = await this.loaded(create);
    const p = parts[this.partitionFor(groupId)];
    return p ? p.run(step) : null;
  }

  /** A transaction marker for `__consumer_offsets` partition `partition` (TxnOffsetCommit's offsets become visible or are dropped). */
  async writeMarker(partition: number, producerId: number, producerEpoch: number, commit: boolean): Promise<void> {
    const parts = await this.loaded(false);
    await parts[partition]?.writeMarker(producerId, producerEpoch, commit);
  }

  /** Runs a read-only look at every partition (ListGroups). */
  async all<T>(fn: (shard: GroupShard) => T): Promise<T[]> {
    const parts = await this.loaded(false);
    return Promise.all(parts.map((p) => p.run((s) => ({ records: [], response: fn(s) }))));
  }

  /** The group's state as JSON (GroupShard.dump), or null when it does not exist. */
  async dump(groupId: string): Promise<object | null> {
    return this.run(groupId, (s) => ({ records: [], response: s.dump(groupId) }), false);
  }

  close(): Promise<void> {
    return this.topic.close();
  }
}
