/**
 * ConsumerGroupHeartbeat (key 68), v0–1: the KIP-848 consumer group protocol
 * (group/consumer-protocol.ts has the rules): joining, heartbeats, member epochs, server-side
 * assignment (`uniform`, the default, and `range`) with revocation before reassignment, topic-name and
 * regex (v1) subscriptions, leaving (-1) and a static member's leave (-2).
 * v1 requires a member id chosen by the client (INVALID_REQUEST without); v0 gets one from the broker.
 * A classic group of the id is converted (group/group-migration.ts: `group.consumer.migration.policy`),
 * else GROUP_ID_NOT_FOUND; the last consumer-protocol member leaving a group of classic members
 * converts it back. Omitted (SKIPPED.md): rack-aware assignment.
 */
import { ApiKey } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { consumerHeartbeat } from "../group/consumer-protocol.js";

export default defineHandler({
  apiKey: ApiKey.ConsumerGroupHeartbeat,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    const r = await ctx.groups.run(req.groupId, (s) => consumerHeartbeat(s, {
      groupId: req.groupId, memberId: req.memberId, memberEpoch: req.memberEpoch, instanceId: req.instanceId, rackId: req.rackId,
      rebalanceTimeoutMs: req.rebalanceTimeoutMs, subscribedTopicNames: req.subscribedTopicNames,
      subscribedTopicRegex: ctx.apiVersion >= 1 ? req.subscribedTopicRegex : null, serverAssignor: req.serverAssignor,
      topicPartitions: req.topicPartitions, clientId: ctx.header.clientId ?? "", clientHost: ctx.clientHost, apiVersion: ctx.apiVersion,
    }));
    if (r!.errorCode !== 0) ctx.log.debug({ group: req.groupId, member: req.memberId, epoch: req.memberEpoch, errorCode: r!.errorCode, why: r!.errorMessage }, "consumer group heartbeat refused");
    return { throttleTimeMs: 0, ...r! };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, memberEpoch: -1, heartbeatIntervalMs: 0 };
  },
});
