/**
 * The broker: the one owner of broker-wide state (topics, their partitions and configs, the
 * producer-id counter, the cluster id) and the listener. Handlers reach it through
 * `RequestContext.broker`. Node runs handlers on one thread and every mutation below is
 * synchronous, so each partition's appends are serialised without locks.
 *
 * Persistent state (with a data directory), Kafka-style layout:
 *   <data-dir>/meta.json            version 1: { version, clusterId, nextProducerId, topics: [{ name, id, partitions, configs }] }
 *                                   rewritten whole (write temp + rename) on every change
 *   <data-dir>/<topic>-<partition>/ one partition log (see log/partition-log.ts)
 * A future version bump adds fields; readers reject a version they do not know.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BROKER_CONFIG_BY_NAME, TOPIC_CONFIG_BY_NAME, BrokerConfig, ConfigError, parseListener } from "./config.js";
import type { Logger } from "./logger.js";
import { silentLogger } from "./logger.js";
import { PartitionLog } from "./log/partition-log.js";
import { HandlerRegistry } from "./registry.js";
import type { HandlerDefinition } from "./registry.js";
import { HANDLERS } from "./handlers/index.js";
import { SocketServer } from "./network/server.js";
import { FetchSessionCache } from "./fetch-sessions.js";

export interface PartitionState {
  readonly index: number;
  leaderEpoch: number;
  readonly log: PartitionLog;
}

export interface Topic {
  readonly name: string;
  readonly id: string;
  readonly partitions: PartitionState[];
  readonly configs: Map<string, string>;
}

export interface BrokerOptions {
  /** Listener host; default from `listeners`, else 127.0.0.1. */
  host?: string;
  /** Listener port; 0 picks a free port. Default from `listeners`, else 0. */
  port?: number;
  /** Keep data here; without it (or with `memory: true`) nothing touches the disk. */
  dataDir?: string | null;
  memory?: boolean;
  /** Kafka broker configs (server.properties keys). */
  config?: Record<string, string> | ReadonlyMap<string, string>;
  logger?: Logger;
  /** Replaces the handler list (tests use it to inject faults); default: handlers/index.ts. */
  handlers?: readonly HandlerDefinition<any>[];
}

export interface RunningBroker {
  /** `host:port` for clients' bootstrap servers. */
  readonly bootstrap: string;
  readonly host: string;
  readonly port: number;
  readonly broker: Broker;
  close(): Promise<void>;
}

const META_VERSION = 1;
const ZERO_UUID = "AAAAAAAAAAAAAAAAAAAAAA";
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

/** A random Kafka Uuid in its base64url string form, never zero and never starting with '-'. */
export function randomUuid(): string {
  for (;;) {
    const s = randomBytes(16).toString("base64url");
    if (s !== ZERO_UUID && !s.startsWith("-")) return s;
  }
}

export class Broker {
  readonly nodeId: number;
  readonly clusterId: string;
  readonly config: BrokerConfig;
  readonly log: Logger;
  readonly dataDir: string | null;
  private readonly topics = new Map<string, Topic>();
  private readonly topicsById = new Map<string, Topic>();
  private nextProducerId = 0n;
  private readonly appendWaiters = new Set<() => void>();
  readonly fetchSessions: FetchSessionCache;
  /** Set once listening: what Metadata advertises. */
  advertised: { host: string; port: number } = { host: "127.0.0.1", port: 0 };
  readonly startedAt = Date.now();

  constructor(config: BrokerConfig, dataDir: string | null, log: Logger) {
    this.config = config;
    this.dataDir = dataDir;
    this.log = log;
    this.fetchSessions = new FetchSessionCache(config.int("max.incremental.fetch.session.cache.slots"));
    const nodeId = config.explicit.get("node.id") ?? config.explicit.get("broker.id");
    this.nodeId = nodeId !== undefined && Number(nodeId) >= 0 ? Number(nodeId) : 1;
    let clusterId = randomUuid();
    if (dataDir) {
      mkdirSync(dataDir, { recursive: true });
      const metaFile = join(dataDir, "meta.json");
      if (existsSync(metaFile)) {
        const meta = JSON.parse(readFileSync(metaFile, "utf8")) as {
          version: number;
          clusterId: string;
          nextProducerId: string;
          topics: { name: string; id: string; partitions: number; configs: Record<string, string> }[];
        };
        if (meta.version !== META_VERSION) throw new ConfigError(`${metaFile}: unknown version ${meta.version}`);
        clusterId = meta.clusterId;
        this.nextProducerId = BigInt(meta.nextProducerId);
        for (const t of meta.topics) this.addTopic(t.name, t.id, t.partitions, new Map(Object.entries(t.configs)));
      }
    }
    this.clusterId = clusterId;
    if (dataDir) this.saveMeta();
  }

  private partitionDir(topic: string, p: number): string | null {
    return this.dataDir ? join(this.dataDir, `${topic}-${p}`) : null;
  }

  private addTopic(name: string, id: string, partitions: number, configs: Map<string, string>): Topic {
    const t: Topic = { name, id, partitions: [], configs };
    for (let p = 0; p < partitions; p++) t.partitions.push({ index: p, leaderEpoch: 0, log: new PartitionLog(this.partitionDir(name, p)) });
    this.topics.set(name, t);
    this.topicsById.set(id, t);
    return t;
  }

  private saveMeta(): void {
    if (!this.dataDir) return;
    const meta = {
      version: META_VERSION,
      clusterId: this.clusterId,
      nextProducerId: this.nextProducerId.toString(),
      topics: [...this.topics.values()].map((t) => ({ name: t.name, id: t.id, partitions: t.partitions.length, configs: Object.fromEntries(t.configs) })),
    };
    const file = join(this.dataDir, "meta.json");
    writeFileSync(`${file}.tmp`, JSON.stringify(meta, null, 1));
    renameSync(`${file}.tmp`, file);
  }

  topic(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  topicById(id: string): Topic | undefined {
    return this.topicsById.get(id);
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
    for (const t of this.topics.keys()) if (t !== name && t.replace(/\./g, "_") === norm) return t;
    return null;
  }

  createTopic(name: string, partitions: number, configs: Map<string, string>): Topic {
    const t = this.addTopic(name, randomUuid(), partitions, configs);
    this.saveMeta();
    this.log.info({ topic: name, partitions, topicId: t.id }, "created topic");
    return t;
  }

  deleteTopic(t: Topic): void {
    this.topics.delete(t.name);
    this.topicsById.delete(t.id);
    for (const p of t.partitions) {
      p.log.close();
      const dir = this.partitionDir(t.name, p.index);
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
    this.saveMeta();
    this.log.info({ topic: t.name }, "deleted topic");
  }

  addPartitions(t: Topic, count: number): void {
    for (let p = t.partitions.length; p < count; p++) t.partitions.push({ index: p, leaderEpoch: 0, log: new PartitionLog(this.partitionDir(t.name, p)) });
    this.saveMeta();
  }

  setTopicConfigs(t: Topic, configs: Map<string, string>): void {
    t.configs.clear();
    for (const [k, v] of configs) t.configs.set(k, v);
    this.saveMeta();
  }

  /** A new producer id, persisted before it is handed out so it is never reused. */
  allocateProducerId(): bigint {
    const id = this.nextProducerId++;
    this.saveMeta();
    return id;
  }

  /** Auto-creation for Metadata / Produce: `auto.create.topics.enable` and `num.partitions`. */
  get autoCreateTopics(): boolean {
    return this.config.bool("auto.create.topics.enable");
  }

  /** Wakes long-polling fetches after an append. */
  notifyAppend(): void {
    if (this.appendWaiters.size === 0) return;
    const ws = [...this.appendWaiters];
    this.appendWaiters.clear();
    for (const w of ws) w();
  }

  /** Resolves on the next append, after `ms`, or when `signal` aborts, whichever is first. */
  waitForAppend(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        this.appendWaiters.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.appendWaiters.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }

  flush(): void {
    for (const t of this.topics.values()) for (const p of t.partitions) p.log.flush();
  }

  close(): void {
    for (const t of this.topics.values()) for (const p of t.partitions) p.log.close();
  }
}

/** Starts a broker listening on TCP. In-process default: 127.0.0.1, port 0, in-memory storage. */
export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const log = options.logger ?? silentLogger;
  const values = options.config instanceof Map ? new Map(options.config) : new Map(Object.entries(options.config ?? {}));
  const config = new BrokerConfig(values);
  const unknown = [...values.keys()].filter((k) => !BROKER_CONFIG_BY_NAME.has(k) && !TOPIC_CONFIG_BY_NAME.has(k));
  if (unknown.length > 0) log.warn({ keys: unknown }, "ignoring configs this broker does not use");
  let host = options.host;
  let port = options.port;
  if (values.has("listeners")) {
    const l = parseListener(config.get("listeners")!);
    host ??= l.host;
    port ??= l.port;
  }
  host ??= "127.0.0.1";
  port ??= 0;
  const dataDir = options.memory || !options.dataDir ? null : options.dataDir;
  const broker = new Broker(config, dataDir, log);
  const registry = new HandlerRegistry(options.handlers ?? HANDLERS);
  const server = new SocketServer(broker, registry, log, {
    maxFrameSize: config.int("socket.request.max.bytes"),
    maxQueuedRequests: config.int("queued.max.requests"),
    idleTimeoutMs: Number(config.get("connections.max.idle.ms")),
  });
  let bound: { host: string; port: number };
  try {
    bound = await server.listen(host, port);
  } catch (err) {
    broker.close();
    throw err;
  }
  const adv = config.get("advertised.listeners");
  broker.advertised = adv ? parseListener(adv) : { host: bound.host === "0.0.0.0" || bound.host === "::" ? "127.0.0.1" : bound.host, port: bound.port };
  if (broker.advertised.port === 0) broker.advertised = { ...broker.advertised, port: bound.port };
  log.info({ host: bound.host, port: bound.port, dataDir, clusterId: broker.clusterId, nodeId: broker.nodeId }, "listening");
  let closing: Promise<void> | null = null;
  const hostForBootstrap = bound.host.includes(":") ? `[${bound.host}]` : bound.host;
  return {
    bootstrap: `${hostForBootstrap}:${bound.port}`,
    host: bound.host,
    port: bound.port,
    broker,
    close() {
      closing ??= (async () => {
        await server.close();
        broker.flush();
        broker.close();
        log.info("stopped");
      })();
      return closing;
    },
  };
}
