/**
 * One client connection.
 *
 * Framing: bytes go through the codec's FrameDecoder with `socket.request.max.bytes`; a size prefix
 * above it (or negative) closes the connection before anything is allocated for the frame.
 *
 * Ordering: like Kafka (whose network layer mutes a channel while one of its requests is being
 * handled), requests of one connection are handled one at a time in arrival order, so responses go
 * back in request order. Clients may pipeline: frames that arrive while a request is being handled
 * wait in `queue`.
 *
 * Back-pressure: reading is paused while `queue` holds `queued.max.requests` frames or more, and the
 * next request is not started while the socket's write buffer is above its high-water mark.
 *
 * Faults: a frame that cannot be decoded (garbage, truncated body, unknown API key, an API this
 * broker does not serve, a version outside the served range) closes this connection only; an
 * ApiVersions request newer than we serve gets error 35 (UNSUPPORTED_VERSION) with a v0 body
 * (Kafka's behaviour; clients then retry with a version from that list). A handler that throws
 * answers with its error response (UNKNOWN_SERVER_ERROR) and the connection stays open.
 *
 * Unserved APIs: a key the broker has no handler for, or a version outside a handler's served range,
 * logs one warning naming the client id, the peer's address (the connection logger's `remote`), the
 * API and the version, then closes the connection as Kafka does; so it is one warning per connection.
 * Timing: when something subscribes to the `odradek:request` diagnostics channel, every request
 * publishes `{ connectionId, apiKey, apiVersion, correlationId, clientId, clientSoftwareName,
 * clientSoftwareVersion, waitMs, handleMs, sendMs }` once its
 * response is with the kernel: waitMs from the frame's arrival to the start of its handling (queued
 * behind earlier requests of the connection), handleMs until the response was encoded, sendMs until
 * the socket's write callback. Without a subscriber nothing is timed
 * (`benchmarks/lib/request-timing.mjs` is such a subscriber, preloaded with `--import`). These figures
 * read `performance.now()`, not the broker Clock: they measure the process's real cost (a manual clock
 * would report zeros), and no broker behaviour depends on them.
 */
import type { Socket } from "node:net";
import { channel } from "node:diagnostics_channel";
import { API_DEFINITIONS, ApiKey, DecodeError, FrameDecoder, FrameTooLargeError, decodeRequest, encodeResponseFrame, peekRequestHeader, ErrorCode } from "@odradek/codec";
import { LazyChildLogger } from "../logger.js";
import type { Logger } from "../logger.js";
import { CoordinatorWriteError } from "../coordinator/coordinator-partition.js";
import { CloseConnection } from "../registry.js";
import type { HandlerDefinition, HandlerRegistry, RequestContext } from "../registry.js";

/** Kafka's principal of an unauthenticated connection (KafkaPrincipal.ANONYMOUS). */
const ANONYMOUS_PRINCIPAL = "User:ANONYMOUS";
/** The one listener until the security work adds SASL/TLS ones. */
const PLAINTEXT_LISTENER = "PLAINTEXT";
import type { BrokerServices } from "../services.js";

/** Published once per request when subscribed (see the header). */
export interface RequestTiming {
  connectionId: number;
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  /** What the client said it is in ApiVersions v3+ (KIP-511) on this connection; null before or without. */
  clientSoftwareName: string | null;
  clientSoftwareVersion: string | null;
  waitMs: number;
  handleMs: number;
  sendMs: number;
}
const requestChannel = channel("odradek:request");

export interface ConnectionOptions {
  readonly maxFrameSize: number;
  readonly maxQueuedRequests: number;
  readonly idleTimeoutMs: number;
}

export class Connection {
  private readonly decoder: FrameDecoder;
  private readonly queue: Buffer[] = [];
  /** Arrival times of the frames in `queue`, kept only while `odradek:request` has subscribers. */
  private readonly arrivals: number[] = [];
  private running = false;
  private paused = false;
  private closing = false;
  private readonly abort = new AbortController();
  /** Resolves when the connection has closed. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  /** KIP-511: the client's software name and version, from its ApiVersions v3+ request. */
  private clientSoftware: { name: string; version: string } | null = null;

  constructor(
    readonly id: number,
    private readonly socket: Socket,
    private readonly services: BrokerServices,
    private readonly registry: HandlerRegistry,
    private readonly log: Logger,
    private readonly options: ConnectionOptions,
  ) {
    this.decoder = new FrameDecoder(options.maxFrameSize);
    this.done = new Promise((r) => (this.resolveDone = r));
    socket.setNoDelay(true);
    if (options.idleTimeoutMs > 0) {
      // `connections.max.idle.ms` stays a socket timer, not a Clock one: idleness is "no bytes moved",
      // which only the socket sees (Node re-arms this timer on every read and write at no cost), and a
      // test that advances a ManualClock by days must not close the clients it is talking through.
      socket.setTimeout(options.idleTimeoutMs, () => {
        if (this.running) return; // a long poll in progress is not idleness
        this.log.debug("closing idle connection");
        socket.destroy();
      });
    }
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.log.debug({ err: err.message }, "socket error"));
    socket.on("close", () => {
      this.abort.abort();
      this.queue.length = 0;
      this.arrivals.length = 0;
      this.resolveDone();
    });
    socket.on("end", () => {
      // The client half-closed: answer what was asked, then close our side.
      this.closing = true;
      if (!this.running) socket.end();
    });
  }

  get closedSignal(): AbortSignal {
    return this.abort.signal;
  }

  /** Stops reading; requests already received are answered, then the socket is closed. */
  shutdown(): Promise<void> {
    this.closing = true;
    this.socket.pause();
    this.abort.abort(); // wakes long polls so they answer with what they have
    if (!this.running) this.socket.end();
    return this.done;
  }

  /** Closes at once (a framing or protocol fault). */
  private fail(reason: string, detail?: object): void {
    this.log.warn({ ...detail, reason }, "closing connection");
    this.queue.length = 0;
    this.arrivals.length = 0;
    this.closing = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    if (this.closing) return;
    let frames: Buffer[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      if (err instanceof FrameTooLargeError) this.fail("frame size prefix out of range", { size: err.size, max: err.max });
      else this.fail("framing error", { err: String(err) });
      return;
    }
    if (frames.length === 0) return;
    for (const f of frames) this.queue.push(f);
    if (requestChannel.hasSubscribers) {
      const now = performance.now();
      while (this.arrivals.length < this.queue.length) this.arrivals.push(now);
    }
    if (this.queue.length >= this.options.maxQueuedRequests && !this.paused) {
      this.paused = true;
      this.socket.pause();
    }
    if (!this.running) void this.pump();
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.socket.destroyed) {
        const frame = this.queue.shift()!;
        await this.handle(frame, this.arrivals.shift());
        if (this.socket.writableNeedDrain) {
          await new Promise<void>((resolve) => {
            const done = () => {
              this.socket.off("drain", done);
              this.socket.off("close", done);
              resolve();
            };
            this.socket.on("drain", done);
            this.socket.on("close", done);
          });
        }
        if (this.paused && this.queue.length < this.options.maxQueuedRequests / 2 && !this.closing) {
          this.paused = false;
          this.socket.resume();
        }
      }
    } finally {
      this.running = false;
      if (this.closing && !this.socket.destroyed) this.socket.end();
    }
  }

  private async handle(frame: Buffer, arrivedAt: number | undefined): Promise<void> {
    let apiKey: number;
    let apiVersion: number;
    let correlationId: number;
    try {
      ({ apiKey, apiVersion, correlationId } = peekRequestHeader(frame));
    } catch {
      this.fail("request shorter than a header", { size: frame.length });
      return;
    }
    const handler = this.registry.get(apiKey);
    if (apiKey === ApiKey.ApiVersions && handler && apiVersion > handler.maxVersion) {
      // KIP-511: answer a too-new ApiVersions with UNSUPPORTED_VERSION and a v0 body.
      this.write(encodeResponseFrame(ApiKey.ApiVersions, 0, correlationId, {
        errorCode: ErrorCode.UNSUPPORTED_VERSION,
        apiKeys: [...this.registry.apiVersions()],
      }));
      return;
    }
    if (!handler || apiVersion < (handler.acceptMin ?? handler.minVersion) || apiVersion > handler.maxVersion) {
      const api = API_DEFINITIONS[apiKey]?.name ?? `unknown API key ${apiKey}`;
      const served = handler ? `${handler.acceptMin ?? handler.minVersion}-${handler.maxVersion}` : "not served";
      this.fail(handler ? `${api} v${apiVersion} is not served (${served})` : `${api} is not served by this broker`, { clientId: peekClientId(frame), api, apiKey, apiVersion, served });
      return;
    }
    let decoded;
    try {
      decoded = decodeRequest(frame);
    } catch (err) {
      if (err instanceof DecodeError) this.fail("request does not decode", { apiKey, apiVersion, err: err.message });
      else this.fail("request does not decode", { apiKey, apiVersion, err: String(err) });
      return;
    }
    // Made at the request's first log line: most requests log nothing (a CLI logger's child is ~10 closures).
    const log = new LazyChildLogger(this.log, { clientId: decoded.header.clientId, apiKey, apiVersion, correlationId });
    const after: (() => void)[] = [];
    // The services are listed, not spread: a literal of fixed shape costs about what the old two-field
    // context did, where `{ ...services, … }` measured about 0.1 ms per request (V8's object clone).
    const s = this.services;
    const ctx: RequestContext = {
      node: s.node, config: s.config, clock: s.clock, topics: s.topics, logs: s.logs, delayedFetches: s.delayedFetches,
      producerIds: s.producerIds, fetchSessions: s.fetchSessions, groups: s.groups, txns: s.txns, shares: s.shares,
      features: s.features, clientQuotas: s.clientQuotas, groupConfigs: s.groupConfigs, brokerConfigs: s.brokerConfigs,
      header: decoded.header,
      apiVersion,
      log,
      connectionId: this.id,
      clientHost: `/${this.socket.remoteAddress ?? "unknown"}`,
      principal: ANONYMOUS_PRINCIPAL,
      listener: PLAINTEXT_LISTENER,
      closed: this.abort.signal,
      afterSend: (fn) => void after.push(fn),
      setClientSoftware: (name, version) => void (this.clientSoftware = { name, version }),
      advertisedApis: this.registry.apiVersions(),
    };
    const sent = () => {
      for (const fn of after.splice(0)) {
        try {
          fn();
        } catch (err) {
          log.error({ err: String(err) }, "after-send hook failed");
        }
      }
    };
    const t0 = arrivedAt === undefined ? 0 : performance.now();
    try {
      const chunks = await this.respond(handler, ctx, decoded.body, apiKey, apiVersion, correlationId, log);
      if (arrivedAt !== undefined && requestChannel.hasSubscribers) {
        const t1 = performance.now();
        after.push(() => {
          const sw = this.clientSoftware;
          const timing: RequestTiming = {
            connectionId: this.id, apiKey, apiVersion, correlationId, clientId: decoded.header.clientId,
            clientSoftwareName: sw?.name ?? null, clientSoftwareVersion: sw?.version ?? null,
            waitMs: t0 - arrivedAt, handleMs: t1 - t0, sendMs: performance.now() - t1,
          };
          requestChannel.publish(timing);
        });
      }
      if (chunks) this.write(chunks, sent);
      else sent();
    } catch (err) {
      sent();
      throw err;
    }
  }

  /** The response frame for a decoded request, or null for none (acks=0, or the connection was failed). */
  private async respond(handler: HandlerDefinition, ctx: RequestContext, body: unknown, apiKey: number, apiVersion: number, correlationId: number, log: Logger): Promise<Buffer[] | null> {
    const decoded = { body };
    let response: unknown;
    try {
      response = await handler.handle(ctx, decoded.body as never);
    } catch (err) {
      if (err instanceof CloseConnection) {
        this.fail("handler closed the connection", { reason: err.message });
        return null;
      }
      log.error({ err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) }, "handler failed");
      try {
        // A coordinator whose records could not be written names the error the client gets (NOT_COORDINATOR, ...).
        response = handler.errorResponse(decoded.body as never, err instanceof CoordinatorWriteError ? err.errorCode : ErrorCode.UNKNOWN_SERVER_ERROR, apiVersion);
      } catch (err2) {
        this.fail("error response failed", { err: String(err2) });
        return null;
      }
    }
    if (response === null || response === undefined) return null;
    let chunks: Buffer[];
    try {
      chunks = encodeResponseFrame(apiKey, apiVersion, correlationId, response);
    } catch (err) {
      log.error({ err: String(err) }, "response does not encode");
      try {
        chunks = encodeResponseFrame(apiKey, apiVersion, correlationId, handler.errorResponse(decoded.body as never, ErrorCode.UNKNOWN_SERVER_ERROR, apiVersion));
      } catch {
        this.fail("response does not encode");
        return null;
      }
    }
    return chunks;
  }

  /** Writes one response frame; `done` runs once the kernel has its bytes or the socket is gone. */
  private write(chunks: Buffer[], done: () => void = () => {}): void {
    if (this.socket.destroyed || chunks.length === 0) return done();
    this.socket.cork();
    for (let i = 0; i < chunks.length - 1; i++) this.socket.write(chunks[i]!);
    this.socket.write(chunks[chunks.length - 1]!, () => done());
    this.socket.uncork();
  }
}

/**
 * The client id of a request whose body is not decoded (an unserved API): request header v1 and v2
 * both carry it right after api key, version and correlation id, as a nullable int16-length string.
 */
function peekClientId(frame: Buffer): string | null {
  if (frame.length < 10) return null;
  const n = frame.readInt16BE(8);
  return n < 0 || 10 + n > frame.length ? null : frame.toString("utf8", 10, 10 + n);
}
