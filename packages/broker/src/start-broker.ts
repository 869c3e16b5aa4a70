/**
 * `startBroker`: a broker listening on TCP, for the CLI and for in-process use (tests). Defaults:
 * 127.0.0.1, port 0 (a free port), in-memory storage.
 *
 * The composition root: the one place in the broker that picks a storage backend (`fileStorage` for a
 * data directory, `memoryStorage` otherwise, or the one given); everything else sees storage through
 * the port's interfaces only (scripts/check-boundaries.mjs enforces it).
 */
import { fileStorage, memoryStorage } from "@odradek/storage";
import type { StorageBackend } from "@odradek/storage";
import { BROKER_CONFIG_BY_NAME, TOPIC_CONFIG_BY_NAME, BrokerConfig, parseListener } from "./config.js";
import { effectiveListeners } from "./config-listeners.js";
import { silentLogger } from "./logger.js";
import type { Clock } from "./clock.js";
import type { Logger } from "./logger.js";
import { HandlerRegistry } from "./registry.js";
import type { HandlerDefinition } from "./registry.js";
import { HANDLERS } from "./handlers/index.js";
import { SocketServer } from "./network/server.js";
import { Broker } from "./broker.js";

export interface BrokerOptions {
  /** Listener host; default from `listeners`, else 127.0.0.1. */
  host?: string;
  /** Listener port; 0 picks a free port. Default from `listeners`, else 0. */
  port?: number;
  /** Keep data here; without it (or with `memory: true`) nothing touches the disk. */
  dataDir?: string | null;
  /** Several data directories (Kafka's `log.dirs`); overrides `dataDir`. */
  logDirs?: readonly string[];
  memory?: boolean;
  /** Where state lives; overrides `dataDir` and `memory` (tests pass a `memoryStorage` they can inject faults into). */
  storage?: StorageBackend;
  /** Kafka broker configs (server.properties keys). */
  config?: Record<string, string> | ReadonlyMap<string, string>;
  logger?: Logger;
  /** Time for coordinator timers (tests pass a ManualClock); default: the system clock. */
  clock?: Clock;
  /** Replaces the handler list (tests use it to inject faults); default: handlers/index.ts. */
  handlers?: readonly HandlerDefinition[];
}

export interface RunningBroker {
  /** `host:port` for clients' bootstrap servers. */
  readonly bootstrap: string;
  readonly host: string;
  readonly port: number;
  readonly broker: Broker;
  /** Stops accepting, finishes in-flight requests, flushes and closes every log. */
  close(): Promise<void>;
}

export async function startBroker(options: BrokerOptions = {}): Promise<RunningBroker> {
  const log = options.logger ?? silentLogger;
  const values = options.config instanceof Map ? new Map(options.config) : new Map(Object.entries(options.config ?? {}));
  const config = new BrokerConfig(values);
  const unknown = [...values.keys()].filter((k) => !BROKER_CONFIG_BY_NAME.has(k) && !TOPIC_CONFIG_BY_NAME.has(k));
  if (unknown.length > 0) log.warn({ keys: unknown }, "ignoring configs this broker does not use");
  let host = options.host;
  let port = options.port;
  // The first static listener (or host/port given) is the advertised one, always open; dynamic
  // `listeners` (config-listeners.ts) add others by name.
  let primary = "PLAINTEXT";
  if (values.has("listeners")) {
    const l = parseListener(config.get("listeners")!);
    primary = l.name;
    host ??= l.host;
    port ??= l.port;
  }
  host ??= "127.0.0.1";
  port ??= 0;
  const dirs = options.logDirs && options.logDirs.length > 0 ? options.logDirs : options.dataDir ? [options.dataDir] : null;
  const storage = options.storage ?? (options.memory || !dirs ? memoryStorage() : fileStorage(dirs));
  const broker = await Broker.open({ config, storage, logger: log, clock: options.clock });
  const registry = new HandlerRegistry(options.handlers ?? HANDLERS);
  const server = new SocketServer(broker.services, registry, log, {
    maxFrameSize: config.int("socket.request.max.bytes"),
    maxQueuedRequests: config.int("queued.max.requests"),
    idleTimeoutMs: Number(config.get("connections.max.idle.ms")),
  });
  let bound: { host: string; port: number };
  const reconcile = async () => {
    const wanted = effectiveListeners(config).filter((e) => e.name !== primary);
    for (const name of server.listenerNames) if (name !== primary && !wanted.some((e) => e.name === name)) await server.removeListener(name);
    for (const e of wanted) if (!server.listenerNames.includes(e.name)) await server.listen(e.host, e.port, e.name);
  };
  try {
    bound = await server.listen(host, port, primary);
    await reconcile();
  } catch (err) {
    await server.close();
    await broker.close();
    throw err;
  }
  config.recordBoundListener(bound.host, bound.port);
  broker.brokerConfigs.reconcileListeners = reconcile;
  const adv = config.get("advertised.listeners");
  const { node } = broker;
  node.advertised = adv ? parseListener(adv) : { host: bound.host === "0.0.0.0" || bound.host === "::" ? "127.0.0.1" : bound.host, port: bound.port };
  if (node.advertised.port === 0) node.advertised = { ...node.advertised, port: bound.port };
  log.info({ host: bound.host, port: bound.port, logDirs: node.dataDir ? broker.logs.dirs : null, clusterId: node.clusterId, nodeId: node.nodeId }, "listening");
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
        await broker.close();
        log.info("stopped");
      })();
      return closing;
    },
  };
}
