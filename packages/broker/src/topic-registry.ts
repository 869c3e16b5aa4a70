/**
 * TopicRegistry: the broker's topics, their partitions' logs and their own configs, over the storage
 * port (a BrokerMetadataStore for what survives a restart, a LogStore for the logs). Kafka keeps this
 * in its metadata image and ReplicaManager; here one broker is the whole cluster.
 *
 * Invariants:
 * - The in-memory topic maps change only after the metadata change is durable (create, add
 *   partitions), or before it (delete: the topic disappears for new requests at once).
 * - Topic mutations run one at a time (the admin queue); a name being created is reserved at once, so
 *   two concurrent creations of one name cannot both succeed.
 * - A partition log whose topic is not in the metadata (a crash between the two steps of a delete or
 *   an undone creation) is removed on load.
 * - A log's configs are read by the LogStore from the metadata store (storage's `logConfigs`), so a
 *   config change is made durable first and then applied to the open logs.
 * - Each partition log serialises its own appends (storage); handlers never lock.
 */
import fastq from "fastq";
import { LOG_IO_CONCURRENCY, mapLimit } from "@odradek/storage";
import type { BrokerMetadataStore, LogStore, PartitionLog } from "@odradek/storage";
import type { Logger } from "./logger.js";

export interface PartitionState {
  readonly index: number;
  leaderEpoch: number;
  /** Replaced when AlterReplicaLogDirs moves the partition to another log dir (storage's log-dirs.ts). */
  log: PartitionLog;
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

/** Kafka's `Topic.validate`: returns why a name is not legal, or null. */
export function invalidTopicName(name: string): string | null {
  if (name.length === 0) return "Topic name is illegal, it can't be empty";
  if (name === "." || name === "..") return "Topic name cannot be \".\" or \"..\"";
  if (name.length > MAX_TOPIC_NAME_LENGTH) return `Topic name is illegal, it can't be longer than ${MAX_TOPIC_NAME_LENGTH} characters, topic name: ${name}`;
  if (!LEGAL_TOPIC.test(name)) return `Topic name "${name}" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'`;
  return null;
}

export class TopicRegistry {
  private readonly topics = new Map<string, Topic>();
  private readonly topicsById = new Map<string, Topic>();
  /** Names being created, with the creation in progress (auto-creation waits on it). */
  private readonly creating = new Map<string, Promise<Topic>>();
  private readonly admin = fastq.promise((task: () => Promise<unknown>) => task(), 1);

  constructor(
    private readonly metadata: BrokerMetadataStore,
    private readonly logs: LogStore,
    private readonly log: Logger,
  ) {}

  /** Opens every topic of the metadata store and removes the logs of topics it does not hold. */
  async load(): Promise<void> {
    for (const [name, t] of this.metadata.topics()) {
      const topic: Topic = { name, id: t.topicId, partitions: await this.openPartitions(name, 0, t.partitions), configs: new Map(Object.entries(t.configs)) };
      this.topics.set(name, topic);
      this.topicsById.set(t.topicId, topic);
    }
    const orphans = this.logs.allLogs().filter((l) => l.partition >= (this.topics.get(l.topic)?.partitions.length ?? 0));
    for (const l of orphans) this.log.warn({ topic: l.topic, partition: l.partition }, "removing a partition log whose topic no longer exists");
    await this.logs.deleteLogs(orphans);
  }

  /**
   * Partitions [from, to) of a topic, their logs opened (or created) a few at a time. On a failure no
   * further log is started and the ones in flight are awaited before the first error is thrown
   * (mapLimit), so the caller can close every log that did open (createTopic's undo).
   */
  private openPartitions(topic: string, from: number, to: number): Promise<PartitionState[]> {
    const indexes = Array.from({ length: to - from }, (_, i) => from + i);
    return mapLimit(indexes, LOG_IO_CONCURRENCY, async (index) => ({ index, leaderEpoch: 0, log: await this.logs.getOrCreateLog(topic, index) }));
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
      try {
        t.partitions.push(...(await this.openPartitions(name, 0, partitions)));
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
   * metadata, then their directories go. A step that fails is logged; logs left behind are orphans,
   * removed on the next load.
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
  }

  /** The topic, waiting for a creation in progress; undefined when there is none. */
  async awaitTopic(name: string): Promise<Topic | undefined> {
    await this.creating.get(name)?.catch(() => undefined);
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
      this.log.info({ topic: t.name }, "deleted topic");
    });
  }

  /**
   * Grows a topic to `count` partitions: the new logs first, then the count in the metadata, so a
   * failure in between (e.g. EMFILE) leaves the topic as it was: the new logs that opened are deleted
   * here (or, if that fails too, as orphans at the next load), never a count without its logs.
   */
  addPartitions(t: Topic, count: number): Promise<void> {
    return this.serial(async () => {
      const from = t.partitions.length;
      if (count <= from) return;
      let added: PartitionState[];
      try {
        added = await this.openPartitions(t.name, from, count);
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

  /** Replaces a topic's own configs: durable first, then in `t.configs` and the open logs. */
  setTopicConfigs(t: Topic, configs: Map<string, string>): Promise<void> {
    return this.serial(async () => {
      await this.metadata.setTopicConfigs(t.name, Object.fromEntries(configs));
      t.configs.clear();
      for (const [k, v] of configs) t.configs.set(k, v);
      this.logs.updateTopicConfig(t.name);
    });
  }

  /** Resolves once every mutation queued so far has finished. */
  drained(): Promise<void> {
    return this.admin.drained();
  }
}
