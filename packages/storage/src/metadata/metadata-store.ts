/**
 * MetadataStore: broker metadata that must survive restarts, in `<dataDir>/odradek-metadata.json`,
 * rewritten whole and atomically on every change (temp file, fsync, rename, fsync dir) by its one
 * writer (CoalescingFileWriter; changes are also serialised through one queue). Small by nature: topics
 * and a counter.
 *
 *   {
 *     "version": 1,
 *     "topics": { "<name>": { "topicId": "<22-char base64url UUID>", "partitions": <n>,
 *                             "configs": { "<kafka config key>": "<value>" } } },
 *     "nextProducerIdBlock": <first producer id not yet handed to any block>,
 *     "features": { "<feature>": <finalized level> },            (optional: UpdateFeatures' levels)
 *     "clientQuotas": [ { "entity": { "user"|"client-id"|"ip": "<name>" | null },
 *                         "values": { "<quota key>": <number> } } ],   (optional)
 *     "groupConfigs": { "<group id>": { "<group config key>": "<value>" } },   (optional: KIP-848/932
 *                      group configs, Kafka's ConfigRecord with resource type GROUP; a group with
 *                      no config left has no entry)
 *     "brokerConfigs": { "<node id>"|"": { "<broker config key>": "<value>" } },
 *                                   (optional: dynamic broker configs, "" = the cluster default)
 *     "leaderEpoch": <starts of this data directory>,             (optional)
 *     "changes": <number of changes written so far>              (optional)
 *   }
 *
 * `leaderEpoch` and `changes` stand in for KRaft's metadata log: the broker is the one voter of its
 * quorum, a new leader epoch begins at each start (`beginLeaderEpoch`) and every change (a topic, a
 * config, a producer-id block, a feature level, a quota, a new epoch) counts as one record, so
 * `changes` is the log end offset and high watermark DescribeQuorum reports. The optional fields were
 * added within version 1: a file without them reads as empty / 0.
 *
 * Producer ids: handed out from blocks of PRODUCER_ID_BLOCK_SIZE; a block's end is persisted before any
 * id of it is returned, so an id is never reused after a restart (ids of an unfinished block are
 * skipped). Migration: readers refuse an unknown "version"; a new version adds a converter here.
 */
import { randomUUID } from "node:crypto";
import fastq from "fastq";
import type { FileSystem } from "../fs/file-system.js";
import { joinPath } from "../fs/file-system.js";
import { CoalescingFileWriter } from "../fs/coalescing-file-writer.js";
import { CorruptLogError } from "../errors.js";
import type { BrokerMetadataStore } from "../port.js";

export const METADATA_FILE = "odradek-metadata.json";
export const PRODUCER_ID_BLOCK_SIZE = 1000;
const VERSION = 1;

export interface TopicMetadata {
  topicId: string;
  partitions: number;
  configs: Record<string, string>;
}

/** One client-quota entity (Kafka's ClientQuotaEntity: entity type → name, null = the default) and its quotas. */
export interface ClientQuotaEntry {
  entity: Record<string, string | null>;
  values: Record<string, number>;
}

interface MetadataFile {
  version: number;
  topics: Record<string, TopicMetadata>;
  nextProducerIdBlock: number;
  features?: Record<string, number>;
  clientQuotas?: ClientQuotaEntry[];
  groupConfigs?: Record<string, Record<string, string>>;
  brokerConfigs?: Record<string, Record<string, string>>;
  leaderEpoch?: number;
  changes?: number;
}

/** A random UUID in Kafka's text form (base64url, no padding); like Kafka's, never one starting with '-'. */
export function newTopicId(): string {
  for (;;) {
    const id = Buffer.from(randomUUID().replace(/-/g, ""), "hex").toString("base64url");
    if (!id.startsWith("-")) return id;
  }
}

export class MetadataStore implements BrokerMetadataStore {
  private data: MetadataFile = { version: VERSION, topics: {}, nextProducerIdBlock: 0 };
  private nextProducerId = 0;
  private blockEnd = 0;
  private readonly queue = fastq.promise((task: () => Promise<unknown>) => task(), 1);

  private readonly writer: CoalescingFileWriter;

  private constructor(fs: FileSystem, readonly path: string) {
    this.writer = new CoalescingFileWriter(fs, path, () => JSON.stringify(this.data, null, 1) + "\n");
  }

  static async open(fs: FileSystem, dataDir: string): Promise<MetadataStore> {
    await fs.mkdir(dataDir);
    const s = new MetadataStore(fs, joinPath(dataDir, METADATA_FILE));
    if (await fs.stat(s.path)) {
      let parsed: MetadataFile;
      try {
        parsed = JSON.parse((await fs.readFile(s.path)).toString("utf8")) as MetadataFile;
      } catch (e) {
        throw new CorruptLogError(`${s.path} does not parse: ${(e as Error).message}`);
      }
      if (parsed.version !== VERSION) throw new CorruptLogError(`${s.path} has unknown version ${parsed.version}`);
      s.data = parsed;
    }
    s.nextProducerId = s.data.nextProducerIdBlock;
    s.blockEnd = s.data.nextProducerIdBlock;
    return s;
  }

  private save(): Promise<void> {
    this.data.changes = (this.data.changes ?? 0) + 1;
    return this.writer.request();
  }
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    return this.queue.push(fn) as Promise<T>;
  }

  topics(): ReadonlyMap<string, Readonly<TopicMetadata>> {
    return new Map(Object.entries(this.data.topics));
  }
  topic(name: string): Readonly<TopicMetadata> | undefined {
    return this.data.topics[name];
  }

  /** Creates a topic with a new UUID; resolves once durable. */
  createTopic(name: string, partitions: number, configs: Record<string, string> = {}): Promise<TopicMetadata> {
    return this.serial(async () => {
      if (this.data.topics[name]) throw new Error(`topic ${name} exists`);
      const t: TopicMetadata = { topicId: newTopicId(), partitions, configs: { ...configs } };
      this.data.topics[name] = t;
      await this.save();
      return t;
    });
  }
  deleteTopic(name: string): Promise<void> {
    return this.serial(async () => {
      delete this.data.topics[name];
      await this.save();
    });
  }
  setPartitionCount(name: string, partitions: number): Promise<void> {
    return this.serial(async () => {
      const t = this.data.topics[name];
      if (!t) throw new Error(`no topic ${name}`);
      t.partitions = partitions;
      await this.save();
    });
  }
  setTopicConfigs(name: string, configs: Record<string, string>): Promise<void> {
    return this.serial(async () => {
      const t = this.data.topics[name];
      if (!t) throw new Error(`no topic ${name}`);
      t.configs = { ...configs };
      await this.save();
    });
  }

  /** The leader epoch begun by the last `beginLeaderEpoch` and the number of changes written (see the header). */
  quorum(): { leaderEpoch: number; changes: number } {
    return { leaderEpoch: this.data.leaderEpoch ?? 0, changes: this.data.changes ?? 0 };
  }
  /** Begins the next leader epoch (once per start); resolves with it once durable. */
  beginLeaderEpoch(): Promise<number> {
    return this.serial(async () => {
      this.data.leaderEpoch = (this.data.leaderEpoch ?? 0) + 1;
      await this.save();
      return this.data.leaderEpoch;
    });
  }

  /** Finalized feature levels set by UpdateFeatures (features never updated are absent). */
  features(): Readonly<Record<string, number>> {
    return this.data.features ?? {};
  }
  setFeatures(levels: Record<string, number>): Promise<void> {
    return this.serial(async () => {
      this.data.features = { ...levels };
      await this.save();
    });
  }

  clientQuotas(): readonly Readonly<ClientQuotaEntry>[] {
    return this.data.clientQuotas ?? [];
  }
  setClientQuotas(entries: readonly ClientQuotaEntry[]): Promise<void> {
    return this.serial(async () => {
      this.data.clientQuotas = entries.map((e) => ({ entity: { ...e.entity }, values: { ...e.values } }));
      await this.save();
    });
  }

  /** Each group's own configs (groups without any are absent). */
  groupConfigs(): Readonly<Record<string, Readonly<Record<string, string>>>> {
    return this.data.groupConfigs ?? {};
  }
  /** Replaces a group's configs (an empty set removes the group's entry); resolves once durable. */
  setGroupConfigs(groupId: string, configs: Readonly<Record<string, string>>): Promise<void> {
    return this.serial(async () => {
      const all = (this.data.groupConfigs ??= {});
      if (Object.keys(configs).length === 0) delete all[groupId];
      // defineProperty, not assignment: any string is a group id, "__proto__" included.
      else Object.defineProperty(all, groupId, { value: { ...configs }, enumerable: true, configurable: true, writable: true });
      await this.save();
    });
  }

  /** Dynamic broker configs by resource name (a node id, or "" for the cluster default). */
  brokerConfigs(): Readonly<Record<string, Readonly<Record<string, string>>>> {
    return this.data.brokerConfigs ?? {};
  }
  /** Replaces one broker resource's dynamic configs (none: the resource is removed). */
  setBrokerConfigs(resource: string, configs: Record<string, string>): Promise<void> {
    return this.serial(async () => {
      const all = { ...(this.data.brokerConfigs ?? {}) };
      if (Object.keys(configs).length === 0) delete all[resource];
      else all[resource] = { ...configs };
      this.data.brokerConfigs = all;
      await this.save();
    });
  }

  /** A producer id never handed out before, in this process or an earlier one. */
  allocateProducerId(): Promise<number> {
    return this.serial(async () => {
      if (this.nextProducerId >= this.blockEnd) {
        this.data.nextProducerIdBlock = this.blockEnd + PRODUCER_ID_BLOCK_SIZE;
        await this.save();
        this.blockEnd = this.data.nextProducerIdBlock;
      }
      return this.nextProducerId++;
    });
  }
}
