/**
 * ApiVersions (key 18), v0–5.
 *
 * Behaviour: lists every API of the connection's handler registry with its advertised range
 * (`ctx.advertisedApis`: handlers/index.ts, or the list given to startBroker; the same on every
 * connection). A request newer than v5 never reaches this handler: the connection
 * answers it with UNSUPPORTED_VERSION and a v0 body (network/connection.ts), as Kafka does.
 * v3+ bodies carry the client's software name/version (KIP-511), kept for the connection (request
 * timings name it), and the answer carries the features of
 * features.ts (supported, and finalized at their current levels with the metadata offset as epoch;
 * v0–3 leave out supported features whose minimum is 0).
 * v5 (KIP-1242) carries the cluster id and node id the client means to reach; as Kafka 4.4 answers:
 * both given and either one not ours → REBOOTSTRAP_REQUIRED, only one of the two given →
 * INVALID_REQUEST, each with an empty API list and no features; neither given → the normal answer.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";

/** KIP-1242: the error for a v5 request's target, or NONE. */
function targetError(clusterId: string | null, nodeId: number, ours: { clusterId: string; nodeId: number }): number {
  const hasCluster = clusterId !== null;
  const hasNode = nodeId >= 0;
  if (!hasCluster && !hasNode) return ErrorCode.NONE;
  if (hasCluster !== hasNode) return ErrorCode.INVALID_REQUEST;
  return clusterId === ours.clusterId && nodeId === ours.nodeId ? ErrorCode.NONE : ErrorCode.REBOOTSTRAP_REQUIRED;
}

export default defineHandler({
  apiKey: ApiKey.ApiVersions,
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, req) {
    if (ctx.apiVersion >= 3 && req.clientSoftwareName) {
      ctx.log.debug({ software: req.clientSoftwareName, version: req.clientSoftwareVersion }, "client software");
      ctx.setClientSoftware(req.clientSoftwareName, req.clientSoftwareVersion);
    }
    if (ctx.apiVersion >= 5) {
      const errorCode = targetError(req.clusterId, req.nodeId, ctx.node);
      if (errorCode !== ErrorCode.NONE) {
        ctx.log.info({ clusterId: req.clusterId, nodeId: req.nodeId, errorCode }, "ApiVersions for another cluster or node");
        return { errorCode, apiKeys: [], throttleTimeMs: 0 };
      }
    }
    return { errorCode: ErrorCode.NONE, apiKeys: [...ctx.advertisedApis], throttleTimeMs: 0, finalizedFeaturesEpoch: ctx.features.epoch, ...ctx.features.lists(ctx.apiVersion) };
  },
  // Without the context here, a failed ApiVersions lists no API (the client retries or disconnects).
  errorResponse(_req, errorCode) {
    return { errorCode, apiKeys: [] };
  },
});
