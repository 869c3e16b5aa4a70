/**
 * The TCP listeners (Kafka's SocketServer acceptors), one per `listeners` entry, by listener name:
 * each accepts connections and hands each to a `Connection`. `removeListener` (a dynamic `listeners`
 * change, dynamic-broker-config.ts) stops that one accepting and closes its connections after they
 * answered what they already received; `close()` does that for all of them.
 */
import { createServer } from "node:net";
import type { Server, AddressInfo } from "node:net";
import type { Logger } from "../logger.js";
import type { HandlerRegistry } from "../registry.js";
import type { BrokerServices } from "../services.js";
import { Connection } from "./connection.js";
import type { ConnectionOptions } from "./connection.js";

interface Listener {
  readonly server: Server;
  readonly connections: Set<Connection>;
}

export class SocketServer {
  private readonly listeners = new Map<string, Listener>();
  private nextId = 1;

  constructor(
    private readonly services: BrokerServices,
    private readonly registry: HandlerRegistry,
    private readonly log: Logger,
    private readonly options: ConnectionOptions,
  ) {}

  /** Opens the listener `name` (default PLAINTEXT) on host:port (0: a free port); resolves with the bound port. */
  listen(host: string, port: number, name = "PLAINTEXT"): Promise<{ host: string; port: number }> {
    if (this.listeners.has(name)) return Promise.reject(new Error(`listener ${name} is already open`));
    const connections = new Set<Connection>();
    const server = createServer({ noDelay: true }, (socket) => {
      const id = this.nextId++;
      const conn = new Connection(id, socket, this.services, this.registry, this.log.child({ conn: id, listener: name, remote: `${socket.remoteAddress}:${socket.remotePort}` }), this.options);
      connections.add(conn);
      void conn.done.then(() => connections.delete(conn));
    });
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      server.once("error", onError);
      server.listen({ host, port }, () => {
        server.off("error", onError);
        server.on("error", (err) => this.log.error({ err: err.message, listener: name }, "listener error"));
        this.listeners.set(name, { server, connections });
        resolve({ host, port: (server.address() as AddressInfo).port });
      });
    });
  }

  /** The names of the open listeners. */
  get listenerNames(): string[] {
    return [...this.listeners.keys()];
  }

  /** Stops the listener `name` accepting and closes its connections once they answered what they received. */
  async removeListener(name: string): Promise<void> {
    const l = this.listeners.get(name);
    if (!l) return;
    this.listeners.delete(name);
    const closed = new Promise<void>((resolve) => l.server.close(() => resolve()));
    await Promise.all([...l.connections].map((c) => c.shutdown()));
    await closed;
  }

  get connectionCount(): number {
    let n = 0;
    for (const l of this.listeners.values()) n += l.connections.size;
    return n;
  }

  async close(): Promise<void> {
    await Promise.all([...this.listeners.keys()].map((name) => this.removeListener(name)));
  }
}
