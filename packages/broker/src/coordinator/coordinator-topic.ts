/**
 * An internal, compacted topic run by a coordinator (`__consumer_offsets`, `__transaction_state`,
 * `__share_group_state`): one CoordinatorPartition per partition, keys routed as Kafka routes them
 * (`abs(javaHashCode(key)) % partitions`).
 *
 * The topic is created on first use (the first request that needs it, as Kafka creates it); when it
 * exists at start every partition is loaded (replayed) in the background and requests wait for it.
 * `loaded(false)` never creates it (an empty list when it does not exist).
 */
import type { PartitionState } from "../topic-registry.js";
import type { BrokerServices } from "../services.js";
import type { Clock } from "../clock.js";
import { CoordinatorPartition } from "./coordinator-partition.js";
import type { CoordinatorLog, CoordinatorShard } from "./coordinator-partition.js";

/** Java's String.hashCode, which Kafka's partitioning of coordinator keys uses. */
export function javaHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

export interface CoordinatorTopicSpec<S extends CoordinatorShard> {
  topic: string;
  /** The broker config giving the partition count at creation. */
  partitionsConfig: string;
  /** Topic configs at creation (cleanup.policy=compact among them). */
  configs: () => Map<string, string>;
  /** A new shard for partition `index`. */
  shard: (index: number) => S;
  /** Called before the partition is loaded (e.g. to give the shard its partition for timers). */
  beforeLoad?: (cp: CoordinatorPartition<S>) => void;
  /** Called once every partition is loaded, with the number of records replayed and the time taken. */
  loaded?: (parts: CoordinatorPartition<S>[], records: number, ms: number) => void;
}

/** What a coordinator topic uses of the broker: the topics (to find or create it) and the configs. */
export type CoordinatorTopicHost = Pick<BrokerServices, "topics" | "config">;

export class CoordinatorTopic<S extends CoordinatorShard> {
  private partitions: Promise<CoordinatorPartition<S>[]> | null = null;

  constructor(private readonly broker: CoordinatorTopicHost, private readonly clock: Clock, private readonly spec: CoordinatorTopicSpec<S>) {
    // A topic left by an earlier run is loaded now, in the background.
    if (broker.topics.topic(spec.topic)) this.partitions = this.open(false);
  }

  partitionFor(key: string): number {
    const count = this.broker.topics.topic(this.spec.topic)?.partitions.length ?? this.broker.config.int(this.spec.partitionsConfig);
    return (javaHashCode(key) & 0x7fffffff) % count;
  }

  private open(create: boolean): Promise<CoordinatorPartition<S>[]> {
    return (async () => {
      const name = this.spec.topic;
      let topic = this.broker.topics.topic(name) ?? (await this.broker.topics.awaitTopic(name));
      if (!topic) {
        if (!create) return [];
        topic = await this.broker.topics.createTopic(name, this.broker.config.int(this.spec.partitionsConfig), this.spec.configs()).catch(() => this.broker.topics.awaitTopic(name));
        if (!topic) throw new Error(`${name} could not be created`);
      }
      const t0 = this.clock.now();
      let records = 0;
      const parts: CoordinatorPartition<S>[] = [];
      for (const p of topic.partitions) {
        const cp = new CoordinatorPartition(p.index, currentLog(p), this.spec.shard(p.index), this.clock);
        this.spec.beforeLoad?.(cp);
        records += await cp.load();
        parts.push(cp);
      }
      this.spec.loaded?.(parts, records, this.clock.now() - t0);
      return parts;
    })();
  }

  /** The loaded partitions, creating the topic first when `create` and it does not exist. */
  async loaded(create: boolean): Promise<CoordinatorPartition<S>[]> {
    if (this.partitions !== null) {
      const parts = await this.partitions;
      if (parts.length > 0 || !create) return parts;
    }
    if (!create) return [];
    this.partitions = this.open(true);
    return this.partitions;
  }

  /** The partition `key` belongs to, or undefined when the topic does not exist (and `create` is false). */
  async partition(key: string, create: boolean): Promise<CoordinatorPartition<S> | undefined> {
    const parts = await this.loaded(create);
    return parts.length ? parts[this.partitionFor(key)] : undefined;
  }

  /** Stops the timers and waits for the operations in flight of every loaded partition. */
  async close(): Promise<void> {
    const parts = this.partitions !== null ? await this.partitions.catch(() => []) : [];
    await Promise.all(parts.map((p) => p.close()));
  }
}

/** The partition's log as it is at each call: AlterReplicaLogDirs replaces `p.log` when it moves the partition. */
function currentLog(p: PartitionState): CoordinatorLog {
  return {
    get logStartOffset() {
      return p.log.logStartOffset;
    },
    get highWatermark() {
      return p.log.highWatermark;
    },
    append: (batch, options) => p.log.append(batch, options),
    appendTxnMarker: (marker) => p.log.appendTxnMarker(marker),
    read: (offset, options) => p.log.read(offset, options),
  };
}
