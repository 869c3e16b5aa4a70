/**
 * Handler registry. Every API the broker serves is one file in `handlers/` that calls
 * `defineHandler` with its own version range; `handlers/index.ts` lists the files, and both the
 * ApiVersions answer and the dispatch table are derived from those definitions.
 *
 * Version ranges: `minVersion`–`maxVersion` is what ApiVersions advertises. `acceptMin` (default
 * `minVersion`) is the lowest version whose body is actually served; a request between the two is
 * treated like an unsupported version (the connection is closed), as Kafka does for Produce v0–2
 * which it advertises for old librdkafka feature detection but no longer parses (KIP-896).
 */
import { API_DEFINITIONS } from "@odradek/codec";
import type { ApiTypes, RequestHeader } from "@odradek/codec";
import type { Logger } from "./logger.js";
import type { BrokerServices } from "./services.js";

export type ApiKeyNumber = keyof ApiTypes;

/** One entry of the ApiVersions answer: an API key and its advertised range. */
export interface AdvertisedApi {
  readonly apiKey: number;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/**
 * Thrown by a handler to close the connection without answering: the client sees a dropped
 * connection (fault injection in tests: a response lost after the request took effect).
 */
export class CloseConnection extends Error {}

/**
 * What a handler gets with a request: the broker's services (services.ts: topics, coordinators,
 * configs, this node, the clock, …), never the Broker itself, and the request's connection.
 */
export interface RequestContext extends BrokerServices {
  readonly header: RequestHeader;
  readonly apiVersion: number;
  readonly log: Logger;
  /** The connection's id, for logs and fetch sessions. */
  readonly connectionId: number;
  /** The client's address as Kafka prints it (`/127.0.0.1`): group members' client host. */
  readonly clientHost: string;
  /**
   * Who the connection authenticated as, in Kafka's `Type:name` form: `User:ANONYMOUS` until SASL/TLS
   * (the security work) authenticates connections; what ACLs will be checked against.
   */
  readonly principal: string;
  /** The listener the connection came in on, by Kafka's name (`PLAINTEXT` until more listeners exist). */
  readonly listener: string;
  /** Resolves when the connection closes or the broker stops (for long polls). */
  readonly closed: AbortSignal;
  /**
   * Runs `fn` once the response has been handed to the kernel (or dropped: no response, an error, a
   * closed connection): pooled read buffers a response refers to are given back here.
   */
  afterSend(fn: () => void): void;
  /** Records what the client said it is (ApiVersions v3+, KIP-511) for the rest of the connection. */
  setClientSoftware(name: string, version: string): void;
  /** What ApiVersions advertises: the registry's handlers and their ranges, in key order. */
  readonly advertisedApis: readonly AdvertisedApi[];
}

export interface HandlerDefinition<K extends ApiKeyNumber = ApiKeyNumber> {
  readonly apiKey: K;
  readonly minVersion: number;
  readonly maxVersion: number;
  readonly acceptMin?: number;
  /** Returns the response, or null for a request that gets none (Produce with acks=0). */
  handle(ctx: RequestContext, request: ApiTypes[K]["request"]): Promise<ApiTypes[K]["responseInput"] | null> | ApiTypes[K]["responseInput"] | null;
  /**
   * The response for a request whose handler threw: `errorCode` on every partition / entry the
   * request named (Kafka answers UNKNOWN_SERVER_ERROR this way).
   */
  errorResponse(request: ApiTypes[K]["request"], errorCode: number, apiVersion: number): ApiTypes[K]["responseInput"] | null;
}

/** Type-checks a handler file's definition against its API's generated types. */
export function defineHandler<K extends ApiKeyNumber>(def: HandlerDefinition<K>): HandlerDefinition<K> {
  const api = API_DEFINITIONS[def.apiKey];
  if (!api) throw new Error(`defineHandler: unknown API key ${def.apiKey}`);
  // What is served (acceptMin-maxVersion) must lie within the codec; only the advertised minimum may
  // reach below it (Produce 0-2, see acceptMin).
  const served = def.acceptMin ?? def.minVersion;
  if (served < api.request.minVersion || def.maxVersion > api.request.maxVersion) {
    throw new Error(`defineHandler: ${api.name} ${served}-${def.maxVersion} exceeds the codec's ${api.request.minVersion}-${api.request.maxVersion}`);
  }
  return def;
}

/** The handler of `apiKey` in a list, typed for that API (defineHandler tied each definition's types to its key). */
export function findHandler<K extends ApiKeyNumber>(handlers: readonly HandlerDefinition[], apiKey: K): HandlerDefinition<K> | undefined {
  return handlers.find((h): h is HandlerDefinition<K> => h.apiKey === apiKey);
}

export class HandlerRegistry {
  private readonly byKey = new Map<number, HandlerDefinition>();
  private readonly advertised: readonly AdvertisedApi[];

  constructor(handlers: readonly HandlerDefinition[]) {
    for (const h of handlers) {
      if (this.byKey.has(h.apiKey)) throw new Error(`two handlers for API key ${h.apiKey}`);
      this.byKey.set(h.apiKey, h);
    }
    this.advertised = [...this.byKey.values()]
      .sort((a, b) => a.apiKey - b.apiKey)
      .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
  }

  get(apiKey: number): HandlerDefinition | undefined {
    return this.byKey.get(apiKey);
  }

  /** The ApiVersions entries, in key order: the one source of the advertised API list. */
  apiVersions(): readonly AdvertisedApi[] {
    return this.advertised;
  }
}
