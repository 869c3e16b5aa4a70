/**
 * The TCP listener: accepts connections and hands each to a `Connection`. `close()` stops accepting,
 * lets every connection answer the requests it already received, then closes them.
 */
import { createServer } from "node:net";
import type { Server, AddressInfo } from "node:net";
import type { Logger } from "../logger.js";
import type { HandlerRegistry } from "../registry.js";
import type { BrokerServices } from "../services.js";
import { Connection } from "./connection.js";
import type { ConnectionOptions } from "./connection.js";

export class SocketServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private nextId = 1;

  constructor(
    private readonly services: BrokerServices,
    private readonly registry: HandlerRegistry,
    private readonly log: Logger,
    private readonly options: ConnectionOptions,
  ) {
    this.server = createServer({ noDelay: true }, (socket) => {
      const id = this.nextId++;
      const conn = new Connection(id, socket, this.services, this.registry, this.log.child({ conn: id, remote: `${socket.remoteAddress}:${socket.remotePort}` }), this.options);
      this.connections.add(conn);
      void conn.done.then(() => this.connections.delete(conn));
    });
    this.server.on("error", (err) => this.log.error({ err: err.message }, "listener error"));
  }

  listen(host: string, port: number): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once("error", onError);
      this.server.listen({ host, port }, () => {
        this.server.off("error", onError);
        const addr = this.server.address() as AddressInfo;
        resolve({ host, port: addr.port });
      });
    });
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    await Promise.all([...this.connections].map((c) => c.shutdown()));
    await closed;
  }
}
