/**
 * The storage port: everything the broker knows of storage. A backend (files through `NodeFileSystem`,
 * the same files in a `MemoryFileSystem`, PostgreSQL later) implements these interfaces, and one
 * conformance suite (test/conformance/) checks each backend against them.
 *
 *   StorageBackend.open(options) → Storage { meta, logs: LogStore, metadata: BrokerMetadataStore, lock }
 *
 * - `PartitionLog` (partition-log.ts): one partition's records: append, read, offsets, ListOffsets by
 *   timestamp, truncation, DeleteRecords, the producers it knows. Kept small on purpose: coordinator
 *   state (groups, transactions, share groups) is not here but in records of its own internal topics.
 * - `LogStore`: every partition log of the broker (Kafka's LogManager): open, look up, delete,
 *   re-read a topic's configs, checkpoint, and the background work (retention, compaction, producer
 *   expiry) that its schedulers run and tests run on demand with a chosen `now`.
 * - `BrokerMetadataStore`: what KRaft's metadata log holds for this one broker: topics (ids, partition
 *   counts, configs), producer-id blocks, finalized features, client quotas, the quorum's epoch.
 *
 * Invariants every backend keeps (the conformance suite states them as tests): an acknowledged append
 * is readable at its offsets until retention, compaction, truncation or DeleteRecords removes it;
 * logStartOffset ≤ lastStableOffset ≤ highWatermark = logEndOffset; a flushed append and every
 * resolved metadata change survive a crash; a producer id is never handed out twice.
 */
import type { PartitionLog } from "./log/partition-log.js";
import type { LogManagerOptions, LogStoreReconfiguration } from "./log/log-manager.js";
import type { FutureReplica } from "./log/log-dirs.js";
import type { ClientQuotaEntry, TopicMetadata } from "./metadata/metadata-store.js";
import type { MetaProperties } from "./metadata/meta-properties.js";
import type { Logger } from "./logger.js";

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** Every partition log of one broker. Logs it hands out stay valid until deleted or closed. */
export interface LogStore {
  getLog(topic: string, partition: number): PartitionLog | undefined;
  /** The partition's log, created empty when missing. */
  getOrCreateLog(topic: string, partition: number): Promise<PartitionLog>;
  allLogs(): PartitionLog[];
  /** Closes and removes these partitions' logs (unknown ones are skipped); gone for good once resolved. */
  deleteLogs(partitions: readonly TopicPartition[]): Promise<void>;
  /** Re-reads a topic's configs into its open logs (after the metadata store changed them). */
  updateTopicConfig(topic: string): void;
  /** Makes recovery points and log start offsets durable (a restart recovers less). */
  checkpoint(): Promise<void>;
  /** retention.ms / retention.bytes as of `now`; returns the segments (or units) deleted. */
  runRetention(now?: number): Promise<number>;
  /** One compaction pass over every `cleanup.policy=compact` log as of `now`. */
  runCleaner(now?: number): Promise<void>;
  /** Forgets producers idle longer than producer.id.expiration.ms as of `now`; returns how many. */
  removeExpiredProducers(now?: number): number;
  /** Applies changed cleaner and producer-expiry settings at once (dynamic broker configs); a clean under way finishes first. */
  reconfigure(changes: LogStoreReconfiguration): void;
  /** Stops background work, flushes and closes every log (a clean shutdown). */
  close(): Promise<void>;
  /** The log directories (Kafka's `log.dirs`), absolute, in order; the first holds the broker's metadata. */
  readonly dirs: string[];
  /** The directory holding the partition's log, undefined when there is none. */
  dirOf(topic: string, partition: number): string | undefined;
  /** The dirs taken offline by an I/O failure (their partitions answer KAFKA_STORAGE_ERROR until a restart). */
  offlineDirs(): string[];
  /** Moves in progress (DescribeLogDirs' future replicas). */
  futures(): FutureReplica[];
  /**
   * Moves a partition's log to another of `dirs` (AlterReplicaLogDirs) while it stays writable;
   * `onSwap` gets the new log at the moment it replaces the old one. @throws LogDirNotFoundError
   */
  moveLog(topic: string, partition: number, dir: string, onSwap: (log: PartitionLog) => void): Promise<void>;
  /** Resolves once every move in progress has ended (tests, shutdown). */
  movesDone(): Promise<void>;
}

/** Finalized feature levels (UpdateFeatures). */
export interface FeatureStore {
  /** Features never updated are absent. */
  features(): Readonly<Record<string, number>>;
  setFeatures(levels: Record<string, number>): Promise<void>;
}

/** Per-group configs (IncrementalAlterConfigs on GROUP resources), by group id then config key. */
export interface GroupConfigStore {
  groupConfigs(): Readonly<Record<string, Readonly<Record<string, string>>>>;
  setGroupConfigs(groupId: string, configs: Readonly<Record<string, string>>): Promise<void>;
}

/** Dynamic broker configs (AlterConfigs on BROKER resources): by resource ("" = the cluster default, else a node id). */
export interface BrokerConfigStore {
  brokerConfigs(): Readonly<Record<string, Readonly<Record<string, string>>>>;
  /** Replaces one resource's configs (none: the resource is removed). */
  setBrokerConfigs(resource: string, configs: Record<string, string>): Promise<void>;
}

/** Client quotas (AlterClientQuotas). */
export interface ClientQuotaStore {
  clientQuotas(): readonly Readonly<ClientQuotaEntry>[];
  setClientQuotas(entries: readonly ClientQuotaEntry[]): Promise<void>;
}

/** Broker metadata that survives restarts. Every change resolves once durable; changes apply in call order. */
export interface BrokerMetadataStore extends FeatureStore, ClientQuotaStore, GroupConfigStore, BrokerConfigStore {
  topics(): ReadonlyMap<string, Readonly<TopicMetadata>>;
  topic(name: string): Readonly<TopicMetadata> | undefined;
  /** A new topic with a new id. @throws when the name exists */
  createTopic(name: string, partitions: number, configs?: Record<string, string>): Promise<TopicMetadata>;
  deleteTopic(name: string): Promise<void>;
  setPartitionCount(name: string, partitions: number): Promise<void>;
  /** Replaces the topic's own configs (Kafka keys). */
  setTopicConfigs(name: string, configs: Record<string, string>): Promise<void>;
  /** The leader epoch of this start and the changes written so far (DescribeQuorum's epoch and HW). */
  quorum(): { leaderEpoch: number; changes: number };
  /** Begins the next leader epoch (once per start). */
  beginLeaderEpoch(): Promise<number>;
  /** A producer id never handed out before, in this process or an earlier one. */
  allocateProducerId(): Promise<number>;
}

/** Held for as long as a broker uses the storage (the data directory's `.lock`). */
export interface StorageLock {
  /** Idempotent. */
  release(): void;
}

/** The schedulers' intervals and the log defaults (the file backend's LogManager options). */
export type LogStoreOptions = Omit<LogManagerOptions, "fs" | "dataDir" | "logger" | "topicConfigs">;

export interface StorageOptions {
  /** The broker's node.id; a data directory written by another node is refused. */
  nodeId: number;
  logger?: Logger;
  /**
   * A topic's effective log configs (Kafka keys) from its own configs in the metadata store: the
   * broker lays its `log.*` defaults under them here. Default: the topic's own configs.
   */
  logConfigs?: (topic: string, own: Readonly<Record<string, string>>) => Readonly<Record<string, string>>;
  logStore?: LogStoreOptions;
}

export interface Storage {
  /** meta.properties: cluster id, node id, directory id. */
  readonly meta: MetaProperties;
  readonly logs: LogStore;
  readonly metadata: BrokerMetadataStore;
  /** null where nothing can be shared (memory). */
  readonly lock: StorageLock | null;
  /** Closes the logs (a clean shutdown, checkpointed) and then releases the lock. */
  close(): Promise<void>;
}

/** Where a broker keeps its state. `open` may be called again after the last Storage closed (a restart). */
export interface StorageBackend {
  /** The (first) data directory as DescribeLogDirs and `log.dirs` report it; null in memory. */
  readonly dataDir: string | null;
  /** Locks, recovers and opens the storage. */
  open(options: StorageOptions): Promise<Storage>;
}
