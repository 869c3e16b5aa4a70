/**
 * The broker: the composition root of broker-wide state. It opens the storage (a StorageBackend from
 * `@odradek/storage`'s port; start-broker.ts picks the file or the in-memory one) and wires the parts
 * that own the state, each in a module of its own:
 *   topics          TopicRegistry: topics, partitions, their logs and configs, the admin queue
 *   delayedFetches  DelayedFetches: long-polling fetches waiting for an append
 *   producerIds     ProducerIds: InitProducerId's ids, persisted in blocks
 *   fetchSessions   FetchSessionCache (KIP-227)
 *   groups, txns, shares   the coordinators, each over its own internal topic
 *   features, clientQuotas the finalized features and client quotas of the metadata store
 * Handlers reach it through `RequestContext.broker`; the topic and long-poll methods here forward to
 * those parts, so handlers need not know which part owns what.
 *
 * Storage layout (the file backend; in memory the same layout lives on a MemoryFileSystem): see
 * storage's storage-backends.ts. A partition log whose topic is not in the metadata is removed on
 * start (TopicRegistry.load).
 */
import type { BrokerMetadataStore, LogStore, Storage, StorageBackend } from "@odradek/storage";
import { BrokerConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { FetchSessionCache } from "./fetch-sessions.js";
import { logConfigsFor, logSchedule, logStoreReconfiguration } from "./log-configs.js";
import { systemClock } from "./clock.js";
import type { Clock } from "./clock.js";
import { GroupCoordinator } from "./group/group-coordinator.js";
import { TxnCoordinator } from "./txn/txn-coordinator.js";
import { Shares } from "./share/shares.js";
import { FeatureControl } from "./features.js";
import { ClientQuotaControl } from "./client-quotas.js";
import { GroupConfigManager } from "./group/group-configs.js";
import { TopicRegistry } from "./topic-registry.js";
import type { PartitionState, Topic } from "./topic-registry.js";
import { DelayedFetches } from "./delayed-fetches.js";
import type { WaitedPartition } from "./delayed-fetches.js";
import { ProducerIds } from "./producer-ids.js";

export type { PartitionState, Topic } from "./topic-registry.js";

export interface BrokerParts {
  readonly config: BrokerConfig;
  readonly storage: StorageBackend;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export class Broker {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly config: BrokerConfig;
  readonly log: Logger;
  readonly clock: Clock;
  /** The data directory on disk, or null in memory. */
  readonly dataDir: string | null;
  readonly logs: LogStore;
  private readonly metadata: BrokerMetadataStore;
  readonly topics: TopicRegistry;
  readonly delayedFetches: DelayedFetches;
  readonly producerIds: ProducerIds;
  readonly fetchSessions: FetchSessionCache;
  /** Consumer groups and committed offsets (`__consumer_offsets`); set once the topics are loaded. */
  readonly groups!: GroupCoordinator;
  /** Transactions (`__transaction_state`) and their markers. */
  readonly txns!: TxnCoordinator;
  /** Share groups' share-partitions and sessions (KIP-932). */
  readonly shares!: Shares;
  /** Finalized feature levels (ApiVersions, UpdateFeatures). */
  readonly features: FeatureControl;
  /** Client quotas (Describe/AlterClientQuotas); stored, not enforced. */
  readonly clientQuotas: ClientQuotaControl;
  /** Per-group configs (consumer.*, share.*, streams.*), persisted in the metadata store. */
  readonly groupConfigs: GroupConfigManager;
  /** meta.properties' `directory.id`: the voter's directory id in DescribeQuorum. */
  readonly directoryId: string;
  /**
   * Set by startBroker: opens and closes listeners to match `listeners` after a dynamic change
   * (config-listeners.ts); null when the broker is not listening.
   */
  reconcileListeners: (() => Promise<void>) | null = null;
  /** Set once listening: what Metadata advertises. */
  advertised: { host: string; port: number } = { host: "127.0.0.1", port: 0 };
  readonly startedAt: number;

  private constructor(
    parts: Required<BrokerParts>,
    /** The opened storage: closed (logs, then the lock) by close(). */
    private readonly storage: Storage,
  ) {
    const { metadata, logs, meta } = storage;
    this.metadata = metadata;
    this.config = parts.config;
    this.dataDir = parts.storage.dataDir;
    this.log = parts.logger;
    this.clock = parts.clock;
    this.startedAt = parts.clock.now();
    this.delayedFetches = new DelayedFetches(parts.clock);
    this.nodeId = meta.nodeId;
    this.clusterId = meta.clusterId;
    this.directoryId = meta.directoryId;
    this.logs = logs;
    this.topics = new TopicRegistry(metadata, logs, parts.logger);
    this.producerIds = new ProducerIds(metadata);
    this.features = new FeatureControl(meta.nodeId, metadata, () => metadata.quorum().changes);
    this.clientQuotas = new ClientQuotaControl(metadata);
    this.groupConfigs = new GroupConfigManager(parts.config, metadata);
    this.fetchSessions = new FetchSessionCache(parts.config.int("max.incremental.fetch.session.cache.slots"), parts.clock);
  }

  /** The coordinators find their internal topics (if any) as they start: after the topics are loaded. */
  private startCoordinators(): void {
    const { clock, log } = this;
    (this as { groups: GroupCoordinator }).groups = new GroupCoordinator(this, clock, log);
    (this as { txns: TxnCoordinator }).txns = new TxnCoordinator(this, clock, log.child({ coordinator: "transaction" }));
    (this as { shares: Shares }).shares = new Shares(this, clock, log);
  }

  /**
   * Opens (locking, recovering) the storage and loads its topics; the coordinators load their internal
   * topics in the background. @throws what the backend throws (LogDirError, LogDirLockedError, …)
   */
  static async open(parts: BrokerParts): Promise<Broker> {
    const { config, storage, logger } = parts;
    const configured = config.explicit.get("node.id") ?? config.explicit.get("broker.id");
    const nodeId = configured !== undefined && Number(configured) >= 0 ? Number(configured) : 1;
    const clock = parts.clock ?? systemClock;
    const s = await storage.open({
      nodeId,
      logger,
      logConfigs: (_topic, own) => logConfigsFor(config, new Map(Object.entries(own))),
      logStore: { ...logSchedule(config), clock },
    });
    try {
      await s.metadata.beginLeaderEpoch();
      // Dynamic broker configs (dynamic-broker-config.ts) before anything reads a config; the logs
      // opened above re-read theirs, the log store its cleaner and producer-expiry settings.
      const dynamic = s.metadata.brokerConfigs();
      config.dynamicBroker = new Map(Object.entries(dynamic[String(s.meta.nodeId)] ?? {}));
      config.dynamicDefault = new Map(Object.entries(dynamic[""] ?? {}));
      for (const name of s.metadata.topics().keys()) s.logs.updateTopicConfig(name);
      s.logs.reconfigure(logStoreReconfiguration(config));
      const b = new Broker({ ...parts, clock }, s);
      await b.topics.load();
      b.startCoordinators();
      return b;
    } catch (e) {
      await s.close().catch(() => {});
      throw e;
    }
  }

  topic(name: string): Topic | undefined {
    return this.topics.topic(name);
  }
  topicById(id: string): Topic | undefined {
    return this.topics.topicById(id);
  }
  /** Whether the name is taken: an existing topic or one being created. */
  hasTopic(name: string): boolean {
    return this.topics.hasTopic(name);
  }
  allTopics(): Topic[] {
    return this.topics.allTopics();
  }
  partition(topic: string, p: number): PartitionState | undefined {
    return this.topics.partition(topic, p);
  }
  collidingTopic(name: string): string | null {
    return this.topics.collidingTopic(name);
  }
  createTopic(name: string, partitions: number, configs: Map<string, string>): Promise<Topic> {
    return this.topics.createTopic(name, partitions, configs);
  }
  awaitTopic(name: string): Promise<Topic | undefined> {
    return this.topics.awaitTopic(name);
  }
  deleteTopic(t: Topic): Promise<void> {
    return this.topics.deleteTopic(t);
  }
  addPartitions(t: Topic, count: number): Promise<void> {
    return this.topics.addPartitions(t, count);
  }
  setTopicConfigs(t: Topic, configs: Map<string, string>): Promise<void> {
    return this.topics.setTopicConfigs(t, configs);
  }

  /**
   * Replaces a BROKER resource's dynamic configs (`resource` "": the cluster default; else this node),
   * durable first, then in effect: every log re-reads its config, the log store its cleaner and
   * producer-expiry settings (dynamic-broker-config.ts).
   */
  async setDynamicBrokerConfigs(resource: string, configs: ReadonlyMap<string, string>): Promise<void> {
    const listeners = this.config.get("listeners");
    await this.metadata.setBrokerConfigs(resource === "" ? "" : String(this.nodeId), Object.fromEntries(configs));
    if (resource === "") this.config.dynamicDefault = new Map(configs);
    else this.config.dynamicBroker = new Map(configs);
    for (const t of this.topics.allTopics()) this.logs.updateTopicConfig(t.name);
    this.logs.reconfigure(logStoreReconfiguration(this.config));
    // A listener that cannot bind is logged, as Kafka logs it: the change is already durable.
    if (this.config.get("listeners") !== listeners) await this.reconcileListeners?.().catch((e: unknown) => this.log.error({ err: (e as Error).message }, "listener reconfiguration failed"));
  }

  /**
   * The KRaft quorum of `__cluster_metadata` as DescribeQuorum reports it: this node is its one voter
   * and leader; the epoch begins anew at each start and the metadata offset counts the changes
   * written (the metadata store's).
   */
  quorum(): { leaderEpoch: number; highWatermark: number } {
    const q = this.metadata.quorum();
    return { leaderEpoch: q.leaderEpoch, highWatermark: q.changes };
  }

  /** A producer id never handed out before (persisted in blocks). */
  allocateProducerId(): Promise<bigint> {
    return this.producerIds.next();
  }

  /** Auto-creation for Metadata: `auto.create.topics.enable` and `num.partitions`. */
  get autoCreateTopics(): boolean {
    return this.config.bool("auto.create.topics.enable");
  }

  notifyAppend(topic: string, partition: number): void {
    this.delayedFetches.notifyAppend(topic, partition);
  }
  waitForAppend(ms: number, signal: AbortSignal, partitions?: readonly WaitedPartition[]): Promise<void> {
    return this.delayedFetches.waitForAppend(ms, signal, partitions);
  }

  /** Stops the coordinators, flushes and closes every log, checkpoints and releases the storage's lock (a clean shutdown). */
  async close(): Promise<void> {
    await this.txns.close();
    await this.shares.close();
    await this.groups.close();
    await this.topics.drained();
    await this.storage.close();
  }
}
