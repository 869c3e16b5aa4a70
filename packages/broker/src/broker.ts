/**
 * The broker: the composition root of broker-wide state. It opens the storage (a StorageBackend from
 * `@odradek/storage`'s port; start-broker.ts picks the file or the in-memory one) and wires the parts
 * that own the state, each in a module of its own:
 *   topics          TopicRegistry: topics, partitions, their logs and configs, the admin queue
 *   delayedFetches  DelayedFetches: long-polling fetches waiting for an append
 *   producerIds     the metadata store's producer-id blocks (services.ts ProducerIdManager)
 *   fetchSessions   FetchSessionCache (KIP-227)
 *   groups, txns, shares   the coordinators, each over its own internal topic
 *   features, clientQuotas the finalized features and client quotas of the metadata store
 *   groupConfigs, brokerConfigs   per-group configs and dynamic broker configs
 *   node            this node's ids, advertised address and quorum (services.ts NodeInfo)
 * Handlers never see the Broker: each request's context carries `services` (services.ts), and each
 * coordinator is given the few services it uses.
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
import { DelayedFetches } from "./delayed-fetches.js";
import { DynamicBrokerConfigStore } from "./dynamic-broker-config.js";
import type { BrokerServices, NodeInfo, ProducerIdManager } from "./services.js";

export type { PartitionState, Topic } from "./topic-registry.js";

export interface BrokerParts {
  readonly config: BrokerConfig;
  readonly storage: StorageBackend;
  readonly logger: Logger;
  readonly clock?: Clock;
}

export class Broker {
  readonly node: NodeInfo;
  readonly config: BrokerConfig;
  readonly log: Logger;
  readonly clock: Clock;
  readonly logs: LogStore;
  private readonly metadata: BrokerMetadataStore;
  readonly topics: TopicRegistry;
  readonly delayedFetches: DelayedFetches;
  readonly producerIds: ProducerIdManager;
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
  /** Dynamic broker configs, persisted in the metadata store. */
  readonly brokerConfigs: DynamicBrokerConfigStore;
  /** What every request's context carries (services.ts); set with the coordinators. */
  readonly services!: BrokerServices;

  private constructor(
    parts: Required<BrokerParts>,
    /** The opened storage: closed (logs, then the lock) by close(). */
    private readonly storage: Storage,
  ) {
    const { metadata, logs, meta } = storage;
    this.metadata = metadata;
    this.config = parts.config;
    this.log = parts.logger;
    this.clock = parts.clock;
    this.delayedFetches = new DelayedFetches(parts.clock);
    this.node = {
      nodeId: meta.nodeId,
      clusterId: meta.clusterId,
      directoryId: meta.directoryId,
      dataDir: parts.storage.dataDir,
      advertised: { host: "127.0.0.1", port: 0 },
      quorum: () => {
        const q = metadata.quorum();
        return { leaderEpoch: q.leaderEpoch, highWatermark: q.changes };
      },
    };
    this.logs = logs;
    this.topics = new TopicRegistry(metadata, logs, parts.logger);
    this.producerIds = metadata;
    this.features = new FeatureControl(meta.nodeId, metadata, () => metadata.quorum().changes);
    this.clientQuotas = new ClientQuotaControl(metadata);
    this.groupConfigs = new GroupConfigManager(parts.config, metadata);
    this.brokerConfigs = new DynamicBrokerConfigStore(meta.nodeId, parts.config, metadata, this.topics, logs, parts.logger);
    this.fetchSessions = new FetchSessionCache(parts.config.int("max.incremental.fetch.session.cache.slots"), parts.clock);
  }

  /** The coordinators find their internal topics (if any) as they start: after the topics are loaded. */
  private startCoordinators(): void {
    const { clock, log, topics, config, groupConfigs, delayedFetches, producerIds } = this;
    const groups = new GroupCoordinator({ topics, config, groupConfigs }, clock, log);
    const txns = new TxnCoordinator({ topics, config, producerIds, delayedFetches, groups }, clock, log.child({ coordinator: "transaction" }));
    const shares = new Shares({ topics, config, groupConfigs, delayedFetches, groups }, clock, log);
    Object.assign(this, { groups, txns, shares });
    const { node, logs, fetchSessions, features, clientQuotas, brokerConfigs } = this;
    const services: BrokerServices = { node, config, clock, topics, logs, delayedFetches, producerIds, fetchSessions, groups, txns, shares, features, clientQuotas, groupConfigs, brokerConfigs };
    (this as { services: BrokerServices }).services = services;
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

  /** Stops the coordinators, flushes and closes every log, checkpoints and releases the storage's lock (a clean shutdown). */
  async close(): Promise<void> {
    await this.txns.close();
    await this.shares.close();
    await this.groups.close();
    await this.topics.drained();
    await this.storage.close();
  }
}
