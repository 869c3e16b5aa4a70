/**
 * DescribeCluster (key 60), v0–2.
 *
 * Behaviour: this broker alone, also reported as the controller; the cluster id persisted in the
 * data directory (fresh per in-memory broker). v1 echoes the endpoint type; asking for controller
 * endpoints (type 2) gets UNSUPPORTED_ENDPOINT_TYPE like a broker listener in Kafka. v2 adds
 * `include_fenced_brokers` and each broker's `is_fenced`: this broker is never fenced.
 * Omitted: authorized operations (no ACLs).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";

export default defineHandler({
  apiKey: ApiKey.DescribeCluster,
  minVersion: 0,
  maxVersion: 2,
  handle(ctx, req) {
    if (ctx.apiVersion >= 1 && req.endpointType !== 1) {
      return { errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: "The request was sent to an endpoint of type BROKER, but we wanted an endpoint of type " + (req.endpointType === 2 ? "CONTROLLER" : "UNKNOWN"), endpointType: req.endpointType, clusterId: ctx.node.clusterId, controllerId: -1, brokers: [] };
    }
    return {
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: 1,
      clusterId: ctx.node.clusterId,
      controllerId: ctx.node.nodeId,
      brokers: [{ brokerId: ctx.node.nodeId, host: ctx.node.advertised.host, port: ctx.node.advertised.port, rack: null }],
      clusterAuthorizedOperations: -2147483648,
    };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, clusterId: "", controllerId: -1, brokers: [] };
  },
});
