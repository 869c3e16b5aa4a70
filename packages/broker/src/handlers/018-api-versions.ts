/**
 * ApiVersions (key 18), v0–4.
 *
 * Behaviour: lists every API registered in handlers/index.ts with its advertised range (the same
 * list on every connection). A request newer than v4 never reaches this handler: the connection
 * answers it with UNSUPPORTED_VERSION and a v0 body (network/connection.ts), as Kafka does.
 * v3+ bodies carry the client's software name/version, which is only logged.
 * Omitted: supported/finalized features (none advertised on purpose: advertising
 * `transaction.version` or `group.version` would make clients use KIP-890 / KIP-848 paths).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import type { HandlerDefinition } from "../registry.js";

/** Set by handlers/index.ts once all handlers are known. */
let advertised: { apiKey: number; minVersion: number; maxVersion: number }[] = [];
export function setAdvertisedApis(list: readonly HandlerDefinition<any>[]): void {
  advertised = [...list]
    .sort((a, b) => a.apiKey - b.apiKey)
    .map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
}

export default defineHandler({
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, req) {
    if (ctx.apiVersion >= 3 && req.clientSoftwareName) ctx.log.debug({ software: req.clientSoftwareName, version: req.clientSoftwareVersion }, "client software");
    return { errorCode: ErrorCode.NONE, apiKeys: advertised, throttleTimeMs: 0, finalizedFeaturesEpoch: -1n };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, apiKeys: advertised };
  },
});
