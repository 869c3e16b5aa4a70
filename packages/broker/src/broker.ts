/**
 * The broker: the one owner of broker-wide state (topics, their partitions and configs, producer
 * ids, the cluster id). Handlers reach it through `RequestContext.broker`.
 *
 * State lives in `@odradek/storage`, under one or more data directories (`log.dirs`, Kafka's layout;
 * `--memory` puts the same layout on an in-memory file system). Partitions spread over the directories
 * (storage's log-dirs.ts); the metadata is in the first one, each has its own meta.properties and checkpoints:
 *   <data-dir>/meta.properties            cluster id and node id (Kafka's format)
 *   <data-dir>/odradek-metadata.json      topics (ids, partition counts, configs) and producer-id blocks
 *   <data-dir>/<topic>-<partition>/       one partition log (segments, indexes, producer snapshots)
 *   <data-dir>/*-checkpoint               recovery points and log start offsets
 *
 * Invariants:
 * - The in-memory topic maps change only after the metadata change is durable (create, add
 *   partitions), or before it (delete: the topic disappears for new requests at once).
 * - Topic mutations run one at a time (`admin` queue); a name being created is reserved at once, so
 *   two concurrent creations of one name cannot both succeed.
 * - A partition log directory whose topic is not in the metadata (a crash between the two steps of a
 *   delete) is removed on start.
 * - Each partition log serialises its own appends (storage's per-log queue); handlers never lock.
 */
import { ZERO_UUID } from "@odradek/codec";
import { randomBytes } from "node:crypto";
import { resolve as resolvePath } from "node:path";
import fastq from "fastq";
import { LOG_IO_CONCURRENCY, LogDirs, MemoryFileSystem, MetadataStore, NodeFileSystem, loadOrCreateMetaPropertiesAll, lockLogDir, mapLimit } from "@odradek/storage";
import type { FileSystem, LogDirLock, UnifiedLog } from "@odradek/storage";
import { BrokerConfig } from "./config.js";
import type { Logger } from "./logger.js";
import { FetchSessionCache } from "./fetch-sessions.js";
import { logConfigsFor, logSchedule } from "./log-configs.js";
import { systemClock } from "./clock.js";
import type { Clock } from "./clock.js";
import { GroupCoordinator } from "./group/group-coordinator.js";
import { TxnCoordinator } from "./txn/txn-coordinator.js";
import { Shares } from "./share/shares.js";
import { FeatureControl } from "./features.js";
import { ClientQuotaControl } from "./client-quotas.js";
import { GroupConfigManager } from "./group/group-configs.js";

export interface PartitionState {
  readonly index: number;
  leaderEpoch: number;
  /** Replaced when AlterReplicaLogDirs moves the partition to another log dir (log-dirs.ts). */
  log: UnifiedLog;
}

export interface Topic {
  readonly name: string;
  readonly id: string;
  readonly partitions: PartitionState[];
  readonly configs: Map<string, string>;
}

/** A topic name that is taken (existing or being created). */
export class TopicExistsError extends Error {}

const LEGAL_TOPIC = /^[a-zA-Z0-9._-]+$/;
export const MAX_TOPIC_NAME_LENGTH = 249;
/** Where `--memory` keeps its (in-memory) data directory. */
const MEMORY_DATA_DIR = "/odradek";

/** Kafka's `Topic.validate`: returns why a name is not legal, or null. */
export function invalidTopicName(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === "." || name === "..") return "Topic name cannot be \".\" or \"..\"";
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`;
  if (!LEGAL_TOPIC.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

/** A random Kafka Uuid in its base64url string form, never zero and never starting with '-'. */
export function randomUuid(): string {
  for (;;) {
    const s = randomBytes(16).toString("base64url");
    if (s !== ZERO_UUID && !s.startsWith("-")) return s;
  }
}

/**
 * Partitions [from, to) of a topic, their logs opened (or created) a few at a time. On a failure no
 * further log is started and the ones in flight are awaited before the first error is thrown
 * (mapLimit), so the caller can close every log that did open (createTopic's undo).
 */
function openPartitions(logs: LogDirs, topic: string, from: number, to: number): Promise<PartitionState[]> {
  const indexes = Array.from({ length: to - from }, (_, i) => from + i);
  return mapLimit(indexes, LOG_IO_CONCURRENCY, async (index) => ({ index, leaderEpoch: 0, log: await logs.getOrCreateLog(topic, index) }));
}

export class Broker {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly config: BrokerConfig;
  readonly log: Logger;
  /** The (first) data directory on disk, or null in memory. */
  readonly dataDir: string | null;
  /** Every log dir (`log.dirs`), the first one holding meta.properties' cluster id and the metadata. */
  readonly logs: LogDirs;
  private readonly metadata: MetadataStore;
  private readonly topics = new Map<string, Topic>();
  private readonly topicsById = new Map<string, Topic>();
  /** Names being created, with the creation in progress (auto-creation waits on it). */
  private readonly creating = new Map<string, Promise<Topic>>();
  private readonly admin = fastq.promise((task: () => Promise<unknown>) => task(), 1);
  /** Long-polling fetches by the partitions they wait on (`partition:topic`). */
  private readonly appendWaiters = new Map<string, Set<() => void>>();
  readonly fetchSessions: FetchSessionCache;
  /** Consumer groups and committed offsets (`__consumer_offsets`). */
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
  /** Set once listening: what Metadata advertises. */
  advertised: { host: string; port: number } = { host: "127.0.0.1", port: 0 };
  readonly startedAt = Date.now();
  /** Each data directory's `.lock` (none in memory). */
  private locks: LogDirLock[] = [];

  private constructor(
    config: BrokerConfig,
    dataDir: string | null,
    log: Logger,
    nodeId: number,
    clusterId: string,
    directoryId: string,
    metadata: MetadataStore,
    logs: LogDirs,
    /** Each topic's own configs, as the LogManager reads them (the same Map objects as Topic.configs). */
    private readonly logTopicConfigs: Map<string, Map<string, string>>,
    readonly clock: Clock,
  ) {
    this.config = config;
    this.dataDir = dataDir;
    this.log = log;
    this.nodeId = nodeId;
    this.clusterId = clusterId;
    this.directoryId = directoryId;
    this.metadata = metadata;
    this.features = new FeatureControl(nodeId, metadata, () => metadata.quorum().changes);
    this.clientQuotas = new ClientQuotaControl(metadata);
    this.groupConfigs = new GroupConfigManager(config, metadata);
    this.logs = logs;
    this.fetchSessions = new FetchSessionCache(config.int("max.incremental.fetch.session.cache.slots"));
  }

  /**
   * Opens (recovering) the data directories, or an empty in-memory one when `dataDirs` is null. Each
   * directory's `.lock` is taken first, before anything in it is read (storage's log-dir-lock.ts), and
   * held until close. @throws LogDirError, LogDirLockedError
   */
  static async open(config: BrokerConfig, dataDirs: string | readonly string[] | null, log: Logger, clock: Clock = systemClock): Promise<Broker> {
    const given = typeof dataDirs === "string" ? [dataDirs] : dataDirs && dataDirs.length > 0 ? dataDirs : null;
    const dirs = given ? given.map((d) => resolvePath(d)) : [MEMORY_DATA_DIR];
    const locks: LogDirLock[] = [];
    try {
      if (given) for (const d of dirs) locks.push(lockLogDir(d, log));
      const b = await Broker.load(config, given ? new NodeFileSystem() : new MemoryFileSystem(1, { keepDurableCopies: false }), given ? dirs[0]! : null, dirs, log, clock);
      b.locks = locks;
      return b;
    } catch (e) {
      for (const l of locks) l.release();
      throw e;
    }
  }

  private static async load(config: BrokerConfig, fs: FileSystem, dataDir: string | null, dirs: readonly string[], log: Logger, clock: Clock): Promise<Broker> {
    const configured = config.explicit.get("node.id") ?? config.explicit.get("broker.id");
    const nodeId = configured !== undefined && Number(configured) >= 0 ? Number(configured) : 1;
    const [meta] = await loadOrCreateMetaPropertiesAll(fs, dirs, nodeId);
    const dir = dirs[0]!;
    const metadata = await MetadataStore.open(fs, dir);
    await metadata.beginLeaderEpoch();
    const dynamic = metadata.brokerConfigs();
    config.dynamicBroker = new Map(Object.entries(dynamic[String(nodeId)] ?? {}));
    config.dynamicDefault = new Map(Object.entries(dynamic[""] ?? {}));
    const topicConfigs = new Map<string, Map<string, string>>();
    for (const [name, t] of metadata.topics()) topicConfigs.set(name, new Map(Object.entries(t.configs)));
    const logs = await LogDirs.open({
      fs,
      dirs,
      logger: log,
      topicConfigs: (topic) => logConfigsFor(config, topicConfigs.get(topic) ?? new Map()),
      ...logSchedule(config),
    });
    const b = new Broker(config, dataDir, log, nodeId, meta!.clusterId, meta!.directoryId, metadata, logs, topicConfigs, clock);
    for (const [name, t] of metadata.topics()) {
      const topic: Topic = { name, id: t.topicId, partitions: [], configs: topicConfigs.get(name)! };
      topic.partitions.push(...(await openPartitions(logs, name, 0, t.partitions)));
      b.topics.set(name, topic);
      b.topicsById.set(t.topicId, topic);
    }
    const orphans = logs.allLogs().filter((l) => l.partition >= (b.topics.get(l.topic)?.partitions.length ?? 0));
    for (const l of orphans) log.warn({ topic: l.topic, partition: l.partition }, "removing a partition log whose topic no longer exists");
    await logs.deleteLogs(orphans);
    (b as { groups: GroupCoordinator }).groups = new GroupCoordinator(b, clock, log);
    (b as { txns: TxnCoordinator }).txns = new TxnCoordinator(b, clock, log.child({ coordinator: "transaction" }));
    (b as { shares: Shares }).shares = new Shares(b, clock, log);
    return b;
  }

  topic(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  topicById(id: string): Topic | undefined {
    return this.topicsById.get(id);
  }

  /** Whether the name is taken: an existing topic or one being created. */
  hasTopic(name: string): boolean {
    return this.topics.has(name) || this.creating.has(name);
  }

  allTopics(): Topic[] {
    return [...this.topics.values()];
  }

  partition(topic: string, p: number): PartitionState | undefined {
    return this.topics.get(topic)?.partitions[p];
  }

  /** Why a new topic name collides with an existing one ('.' and '_' are the same in metric names), or null. */
  collidingTopic(name: string): string | null {
    const norm = name.replace(/\./g, "_");
    for (const t of [...this.topics.keys(), ...this.creating.keys()]) if (t !== name && t.replace(/\./g, "_") === norm) return t;
    return null;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.admin.push(fn) as Promise<T>;
  }

  /** Creates a topic (durable before it resolves); TopicExistsError when the name is taken. */
  createTopic(name: string, partitions: number, configs: Map<string, string>): Promise<Topic> {
    if (this.hasTopic(name)) return Promise.reject(new TopicExistsError(`Topic '${name}' already exists.`));
    const creation = this.serial(async () => {
      const meta = await this.metadata.createTopic(name, partitions, Object.fromEntries(configs));
      const t: Topic = { name, id: meta.topicId, partitions: [], configs: new Map(configs) };
      this.logTopicConfigs.set(name, t.configs);
      try {
        t.partitions.push(...(await openPartitions(this.logs, name, 0, partitions)));
      } catch (e) {
        await this.undoCreateTopic(name, partitions, e);
        throw e;
      }
      this.topics.set(name, t);
      this.topicsById.set(t.id, t);
      this.log.info({ topic: name, partitions, topicId: t.id }, "created topic");
      return t;
    });
    this.creating.set(name, creation);
    const done = () => this.creating.delete(name);
    creation.then(done, done);
    return creation;
  }

  /**
   * A creation failed while opening its partition logs (e.g. EMFILE): the logs that opened are closed
   * first (their descriptors are what the rest of the undo may need), then the topic leaves the
   * metadata, then their directories go. A step that fails is logged; directories left behind are
   * orphans, removed on the next start.
   */
  private async undoCreateTopic(name: string, partitions: number, cause: unknown): Promise<void> {
    const opened = Array.from({ length: partitions }, (_, p) => this.logs.getLog(name, p)).filter((l) => l !== undefined);
    this.log.error({ topic: name, partitions, opened: opened.length, err: String(cause) }, "creating topic failed, undoing it");
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        this.log.error({ topic: name, err: String(err) }, `undoing a failed topic creation: ${what} failed`);
      }
    };
    await step("closing its logs", () => Promise.all(opened.map((l) => l.close())));
    await step("removing it from the metadata", () => this.metadata.deleteTopic(name));
    await step("deleting its logs", () => this.logs.deleteLogs(opened.map((l) => ({ topic: name, partition: l.partition }))));
    this.logTopicConfigs.delete(name);
  }

  /** The topic, waiting for a creation in progress; undefined when there is none. */
  async awaitTopic(name: string): Promise<Topic | undefined> {
    const pending = this.creating.get(name);
    if (pending) await pending.catch(() => undefined);
    return this.topics.get(name);
  }

  /** Deletes a topic: gone for new requests at once, its logs removed before this resolves. */
  deleteTopic(t: Topic): Promise<void> {
    if (this.topics.get(t.name) !== t) return Promise.resolve();
    this.topics.delete(t.name);
    this.topicsById.delete(t.id);
    return this.serial(async () => {
      await this.metadata.deleteTopic(t.name);
      await this.logs.deleteLogs(t.partitions.map((p) => ({ topic: t.name, partition: p.index })));
      if (!this.creating.has(t.name)) this.logTopicConfigs.delete(t.name);
      this.log.info({ topic: t.name }, "deleted topic");
    });
  }

  /**
   * Grows a topic to `count` partitions: the new logs first, then the count in the metadata, so a
   * failure in between (e.g. EMFILE) leaves the topic as it was: the new logs that opened are deleted
   * here (or, if that fails too, as orphans at the next start), never a count without its logs.
   */
  addPartitions(t: Topic, count: number): Promise<void> {
    return this.serial(async () => {
      const from = t.partitions.length;
      if (count <= from) return;
      let added: PartitionState[];
      try {
        added = await openPartitions(this.logs, t.name, from, count);
        await this.metadata.setPartitionCount(t.name, count);
      } catch (e) {
        const opened = Array.from({ length: count - from }, (_, i) => from + i).filter((p) => this.logs.getLog(t.name, p) !== undefined);
        this.log.error({ topic: t.name, count, opened: opened.length, err: String(e) }, "adding partitions failed, undoing it");
        await this.logs.deleteLogs(opened.map((partition) => ({ topic: t.name, partition }))).catch((err: unknown) => this.log.error({ topic: t.name, err: String(err) }, "undoing added partitions failed"));
        throw e;
      }
      t.partitions.push(...added);
    });
  }

  setTopicConfigs(t: Topic, configs: Map<string, string>): Promise<void> {
    return this.serial(async () => {
      await this.metadata.setTopicConfigs(t.name, Object.fromEntries(configs));
      t.configs.clear();
      for (const [k, v] of configs) t.configs.set(k, v);
      this.logs.updateTopicConfig(t.name);
    });
  }

  /**
   * Replaces a BROKER resource's dynamic configs (`resource` "": the cluster default; else this node),
   * durable first, then in effect: every log re-reads its config (dynamic-broker-config.ts).
   */
  setDynamicBrokerConfigs(resource: string, configs: ReadonlyMap<string, string>): Promise<void> {
    return this.serial(async () => {
      await this.metadata.setBrokerConfigs(resource === "" ? "" : String(this.nodeId), Object.fromEntries(configs));
      if (resource === "") this.config.dynamicDefault = new Map(configs);
      else this.config.dynamicBroker = new Map(configs);
      for (const t of this.topics.values()) this.logs.updateTopicConfig(t.name);
    });
  }

  /**
   * The KRaft quorum of `__cluster_metadata` as DescribeQuorum reports it: this node is its one voter
   * and leader; the epoch begins anew at each start and the metadata offset counts the changes
   * written (MetadataStore's header).
   */
  quorum(): { leaderEpoch: number; highWatermark: number } {
    const q = this.metadata.quorum();
    return { leaderEpoch: q.leaderEpoch, highWatermark: q.changes };
  }

  /** A producer id never handed out before (persisted in blocks). */
  async allocateProducerId(): Promise<bigint> {
    return BigInt(await this.metadata.allocateProducerId());
  }

  /** Auto-creation for Metadata: `auto.create.topics.enable` and `num.partitions`. */
  get autoCreateTopics(): boolean {
    return this.config.bool("auto.create.topics.enable");
  }

  /** Wakes the long-polling fetches waiting on this partition. */
  notifyAppend(topic: string, partition: number): void {
    const key = `${partition}:${topic}`;
    const ws = this.appendWaiters.get(key);
    if (!ws) return;
    this.appendWaiters.delete(key);
    for (const w of ws) w();
  }

  /**
   * Resolves on the next append to one of `partitions` (keys `partition:topic`), after `ms`, or when
   * `signal` aborts, whichever is first. No partitions: only the time or the signal end it.
   */
  waitForAppend(ms: number, signal: AbortSignal, partitions: readonly { topic: string; partition: number }[] = []): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const keys = partitions.map((p) => `${p.partition}:${p.topic}`);
      const done = () => {
        clearTimeout(timer);
        for (const k of keys) {
          const ws = this.appendWaiters.get(k);
          ws?.delete(done);
          if (ws?.size === 0) this.appendWaiters.delete(k);
        }
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      for (const k of keys) {
        let ws = this.appendWaiters.get(k);
        if (!ws) this.appendWaiters.set(k, (ws = new Set()));
        ws.add(done);
      }
      signal.addEventListener("abort", done, { once: true });
    });
  }

  /** Flushes and closes every log, checkpoints and releases the data directory's lock (a clean shutdown). */
  async close(): Promise<void> {
    await this.txns.close();
    await this.shares.close();
    await this.groups.close();
    await this.admin.drained();
    await this.logs.close();
    for (const l of this.locks) l.release();
  }
}
