/**
 * The group coordinator: routes each group to its `__consumer_offsets` partition (Kafka's rule:
 * `abs(javaHashCode(groupId)) % offsets.topic.num.partitions`) and runs the group's steps there, one
 * at a time (coordinator-partition.ts). This broker coordinates every group.
 *
 * `__consumer_offsets` is created on first use (the first FindCoordinator, JoinGroup or commit; as Kafka
 * creates it), compacted, with `offsets.topic.num.partitions` partitions. When it exists at start, every
 * partition is loaded (replayed) in the background; requests wait for their partition's load.
 */
import type { Broker } from "../broker.js";
import type { Clock } from "../clock.js";
import type { Logger } from "../logger.js";
import { CoordinatorPartition } from "../coordinator/coordinator-partition.js";
import type { CoordinatorResult } from "../coordinator/coordinator-partition.js";
import { GroupShard } from "./group-shard.js";
import type { GroupConfig, TopicView } from "./group-shard.js";

export const GROUP_METADATA_TOPIC = "__consumer_offsets";

/** Java's String.hashCode, which Kafka's partitioning of groups uses. */
export function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

export class GroupCoordinator {
  private partitions: Promise<CoordinatorPartition<GroupShard>[]> | null = null;
  /** Set by the broker: a share-group member expired (its share sessions and locks are released). */
  onShareMemberGone: ((groupId: string, memberId: string) => void) | null = null;
  private readonly config: GroupConfig;

  constructor(private readonly broker: Broker, readonly clock: Clock, private readonly log: Logger) {
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
      maxMetadataBytes: c.int("offset.metadata.max.bytes"),
      shareSessionTimeoutMs: c.int("group.share.session.timeout.ms"),
      shareHeartbeatIntervalMs: c.int("group.share.heartbeat.interval.ms"),
      shareMaxSize: c.int("group.share.max.size"),
    };
    // A topic left by an earlier run is loaded now, in the background.
    if (broker.topic(GROUP_METADATA_TOPIC)) this.partitions = this.open(false);
  }

  private readonly topicView: TopicView = {
    byName: (name) => {
      const t = this.broker.topic(name);
      return t ? { id: t.id, partitions: t.partitions.length } : undefined;
    },
    all: () => this.broker.allTopics().map((t) => ({ name: t.name, id: t.id, partitions: t.partitions.length, internal: t.name.startsWith("__") })),
  };

  partitionFor(groupId: string): number {
    return (javaHashCode(groupId) & 0x7fffffff) % this.partitionCount();
  }

  private partitionCount(): number {
    return this.broker.topic(GROUP_METADATA_TOPIC)?.partitions.length ?? this.broker.config.int("offsets.topic.num.partitions");
  }

  /** The loaded partitions, creating `__consumer_offsets` first when `create` and it does not exist. */
  private open(create: boolean): Promise<CoordinatorPartition<GroupShard>[]> {
    return (async () => {
      let topic = this.broker.topic(GROUP_METADATA_TOPIC) ?? (await this.broker.awaitTopic(GROUP_METADATA_TOPIC));
      if (!topic) {
        if (!create) return [];
        const configs = new Map([
          ["cleanup.policy", "compact"],
          ["compression.type", "producer"],
          ["segment.bytes", String(this.broker.config.int("offsets.topic.segment.bytes"))],
        ]);
        topic = await this.broker.createTopic(GROUP_METADATA_TOPIC, this.broker.config.int("offsets.topic.num.partitions"), configs).catch(() => this.broker.awaitTopic(GROUP_METADATA_TOPIC));
        if (!topic) throw new Error(`${GROUP_METADATA_TOPIC} could not be created`);
      }
      const t0 = Date.now();
      let records = 0;
      const parts = [];
      for (const p of topic.partitions) {
        const shard = new GroupShard(this.config, this.clock, this.log.child({ coordinator: "group", partition: p.index }), this.topicView);
        shard.onShareMemberGone = (groupId, memberId) => this.onShareMemberGone?.(groupId, memberId);
        const cp = new CoordinatorPartition(p.index, p.log, shard, this.clock);
        shard.attach(cp);
        records += await cp.load();
        shard.startTimers();
        parts.push(cp);
      }
      if (records > 0) this.log.info({ topic: GROUP_METADATA_TOPIC, records, groups: parts.reduce((n, p) => n + p.shard.groups.size, 0), ms: Date.now() - t0 }, "loaded groups");
      return parts;
    })();
  }

  /** Creates the topic if needed and waits for its load (FindCoordinator calls this). */
  async ensureReady(): Promise<void> {
    await this.loaded(true);
  }

  private async loaded(create: boolean): Promise<CoordinatorPartition<GroupShard>[]> {
    if (this.partitions) {
      const parts = await this.partitions;
      if (parts.length > 0 || !create) return parts;
    }
    if (!create) return [];
    this.partitions = this.open(true);
    return this.partitions;
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

  async close(): Promise<void> {
    const parts = this.partitions ? await this.partitions.catch(() => []) : [];
    await Promise.all(parts.map((p) => p.close()));
  }
}
