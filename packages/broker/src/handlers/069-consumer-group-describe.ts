/**
 * ConsumerGroupDescribe (key 69), v0–1: a KIP-848 group's state, epochs, assignor and every member
 * with its subscription, current and target assignment (topic ids with names), member type (v1: 1 =
 * consumer protocol, 0 = a classic member of a migrated group). A group that does not exist, or is a classic group → GROUP_ID_NOT_FOUND, as Kafka
 * answers. Authorized operations are not computed (no ACLs).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import type { Assignment } from "../group/consumer-group.js";

const AUTH_OPS_NOT_REQUESTED = -2147483648;
const CONSUMER_MEMBER = 1;
/** v1 MemberType of a member that joined with JoinGroup (KIP-848 migration). */
const CLASSIC_MEMBER = 0;

export default defineHandler({
  apiKey: ApiKey.ConsumerGroupDescribe,
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, req) {
    const named = (a: Assignment) => ({
      topicPartitions: [...a].map(([topicId, ps]) => ({ topicId, topicName: ctx.topics.topicById(topicId)?.name ?? "", partitions: [...ps].sort((x, y) => x - y) })),
    });
    const groups = [];
    for (const groupId of req.groupIds) {
      const d = await ctx.groups.run(groupId, (s) => {
        const g = s.consumerGroups.get(groupId);
        if (!g) return { records: [], response: null };
        return {
          records: [],
          response: {
            errorCode: ErrorCode.NONE, errorMessage: null, groupId, groupState: g.state, groupEpoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch,
            assignorName: [...g.members.values()].find((m) => m.serverAssignor)?.serverAssignor ?? "uniform",
            members: [...g.members.values()].map((m) => ({
              memberId: m.memberId, instanceId: m.instanceId, rackId: m.rackId, memberEpoch: m.memberEpoch, clientId: m.clientId, clientHost: m.clientHost,
              subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex,
              assignment: named(m.assigned), targetAssignment: named(g.target.get(m.memberId) ?? new Map()), memberType: m.classic === null ? CONSUMER_MEMBER : CLASSIC_MEMBER,
            })),
            authorizedOperations: AUTH_OPS_NOT_REQUESTED,
          },
        };
      }, false);
      groups.push(d ?? { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.`, groupId, groupState: "", groupEpoch: 0, assignmentEpoch: 0, assignorName: "", members: [], authorizedOperations: AUTH_OPS_NOT_REQUESTED });
    }
    return { throttleTimeMs: 0, groups };
  },
  errorResponse(req, errorCode) {
    return { groups: req.groupIds.map((groupId) => ({ errorCode, groupId, groupState: "", groupEpoch: 0, assignmentEpoch: 0, assignorName: "", members: [] })) };
  },
});
