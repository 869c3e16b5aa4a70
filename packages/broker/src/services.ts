/**
 * The broker's services as handlers and coordinators see them: each part broker.ts composes, typed by
 * the narrowest interface its users need. A RequestContext carries all of them (registry.ts); a
 * coordinator takes a `Pick` of the ones it uses. Nothing here reaches the Broker itself, so a handler
 * cannot depend on how the broker is put together (scripts/check-boundaries.mjs checks that handlers
 * neither import broker.ts nor mention `ctx.broker`).
 */
import type { BrokerMetadataStore, LogStore } from "@odradek/storage";
import type { BrokerConfig } from "./config.js";
import type { Clock } from "./clock.js";
import type { TopicRegistry } from "./topic-registry.js";
import type { DelayedFetches } from "./delayed-fetches.js";
import type { FetchSessionCache } from "./fetch-sessions.js";
import type { GroupCoordinator } from "./group/group-coordinator.js";
import type { TxnCoordinator } from "./txn/txn-coordinator.js";
import type { Shares } from "./share/shares.js";
import type { FeatureControl } from "./features.js";
import type { ClientQuotaControl } from "./client-quotas.js";
import type { GroupConfigManager } from "./group/group-configs.js";

/**
 * This node as the protocol describes it: its id, the cluster's, where clients reach it, and the
 * single-voter KRaft quorum it leads.
 */
export interface NodeInfo {
  readonly nodeId: number;
  readonly clusterId: string;
  /** meta.properties' `directory.id`: the voter's directory id in DescribeQuorum. */
  readonly directoryId: string;
  /** The data directory on disk, or null in memory. */
  readonly dataDir: string | null;
  /** What Metadata advertises; set once the listener is bound (port 0 until then). */
  advertised: { host: string; port: number };
  /**
   * The KRaft quorum of `__cluster_metadata` as DescribeQuorum reports it: this node is its one voter
   * and leader; the epoch begins anew at each start and the high watermark counts the metadata changes
   * written (the metadata store's).
   */
  quorum(): { leaderEpoch: number; highWatermark: number };
}

/**
 * InitProducerId's ids (Kafka's ProducerIdManager): the metadata store hands them out from blocks it
 * persists before giving any id of a block, so an id is never given twice, even across a crash (the
 * rest of an unfinished block is skipped). A number here; int64 on the wire.
 */
export type ProducerIdManager = Pick<BrokerMetadataStore, "allocateProducerId">;

/** The topics as requests see them: everything of the registry but its start (load) and stop (drained). */
export type Topics = Omit<TopicRegistry, "load" | "drained">;

/** The partition logs' directories: where each log lives, and moving one (DescribeLogDirs, AlterReplicaLogDirs). */
export type LogDirs = Pick<LogStore, "dirs" | "dirOf" | "offlineDirs" | "futures" | "moveLog">;

/** Long-polling fetches (Fetch, ShareFetch) wait for appends; whatever appends wakes them. */
export type AppendWaiters = Pick<DelayedFetches, "notifyAppend" | "waitForAppend">;

/** A BROKER resource's dynamic configs (dynamic-broker-config.ts): durable first, then in effect. */
export interface DynamicBrokerConfigs {
  /** Replaces `resource`'s dynamic configs ("": the cluster default; else this node's). */
  set(resource: string, configs: ReadonlyMap<string, string>): Promise<void>;
}

export interface BrokerServices {
  readonly node: NodeInfo;
  readonly config: BrokerConfig;
  readonly clock: Clock;
  /** Topics, partitions, their logs and configs, the admin queue. */
  readonly topics: Topics;
  readonly logs: LogDirs;
  readonly delayedFetches: AppendWaiters;
  readonly producerIds: ProducerIdManager;
  /** KIP-227 incremental fetch sessions. */
  readonly fetchSessions: FetchSessionCache;
  /** Consumer groups and committed offsets (`__consumer_offsets`). */
  readonly groups: GroupCoordinator;
  /** Transactions (`__transaction_state`) and their markers. */
  readonly txns: TxnCoordinator;
  /** Share groups' share-partitions and sessions (KIP-932). */
  readonly shares: Shares;
  /** Finalized feature levels (ApiVersions, UpdateFeatures). */
  readonly features: FeatureControl;
  /** Client quotas (Describe/AlterClientQuotas); stored, not enforced. */
  readonly clientQuotas: ClientQuotaControl;
  /** Per-group configs (consumer.*, share.*, streams.*). */
  readonly groupConfigs: GroupConfigManager;
  readonly brokerConfigs: DynamicBrokerConfigs;
}
