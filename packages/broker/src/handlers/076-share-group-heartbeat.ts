/**
 * ShareGroupHeartbeat (key 76), v1: KIP-932 share-group membership (share/share-group.ts has the
 * rules): join with epoch 0 and a client-chosen member id, heartbeat with the current epoch, leave with
 * -1; the assignment (partitions may be shared between members) comes back when it changes. Newly
 * assigned share-partitions are initialized (`share.auto.offset.reset`) before the answer, so records
 * produced after this heartbeat are delivered. Leaving does not end the member's share session (its
 * last acknowledgements may come after, or race with, the leave): the session ends with epoch -1 or
 * with its connection (share/share-sessions.ts); a member whose group session times out loses it.
 */
import { ApiKey } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { shareHeartbeat } from "../share/share-group.js";

export default defineHandler({
  apiKey: ApiKey.ShareGroupHeartbeat,
  minVersion: 1,
  maxVersion: 1,
  async handle(ctx, req) {
    const r = (await ctx.groups.run(req.groupId, (s) => shareHeartbeat(s, {
      groupId: req.groupId, memberId: req.memberId, memberEpoch: req.memberEpoch, rackId: req.rackId,
      subscribedTopicNames: req.subscribedTopicNames, clientId: ctx.header.clientId ?? "", clientHost: ctx.clientHost,
    })))!;
    if (r.errorCode !== 0) ctx.log.debug({ group: req.groupId, member: req.memberId, epoch: req.memberEpoch, errorCode: r.errorCode, why: r.errorMessage }, "share group heartbeat refused");
    const init = r.assigned.flatMap((a) => {
      const topic = ctx.topics.topicById(a.topicId);
      return topic ? [{ topic, partition: a.partition }] : [];
    });
    if (init.length) await ctx.shares.partitions.initialize(req.groupId, init);
    return { throttleTimeMs: 0, errorCode: r.errorCode, errorMessage: r.errorMessage, memberId: r.memberId, memberEpoch: r.memberEpoch, heartbeatIntervalMs: r.heartbeatIntervalMs, assignment: r.assignment };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, memberEpoch: -1, heartbeatIntervalMs: 0 };
  },
});
