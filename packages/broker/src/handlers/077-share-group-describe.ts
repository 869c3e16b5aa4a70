/**
 * ShareGroupDescribe (key 77), v1: per group its state (Empty, Stable; Dead when unknown), group and
 * assignment epochs, the `simple` assignor, and each member's epoch, client, subscription and
 * assignment (topic ids and names). A group id that is not a share group → GROUP_ID_NOT_FOUND
 * ("Group x is not a share group."); one that does not exist → GROUP_ID_NOT_FOUND. A share group
 * with stored share-partition state but no member since a restart is described as Empty.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import type { ShareGroupDescribeResponseMemberInput } from "@odradek/codec";
import { defineHandler } from "../registry.js";

const AUTH_OPS_UNKNOWN = -2147483648;

export default defineHandler({
  apiKey: ApiKey.ShareGroupDescribe,
  minVersion: 1,
  maxVersion: 1,
  async handle(ctx, req) {
    const groups = [];
    for (const groupId of req.groupIds) {
      const base = { groupId, groupState: "Dead", groupEpoch: -1, assignmentEpoch: -1, assignorName: "", members: [], authorizedOperations: AUTH_OPS_UNKNOWN };
      type Described = { other: boolean; g: { groupState: string; groupEpoch: number; assignmentEpoch: number; members: ShareGroupDescribeResponseMemberInput[] } | null };
      const d = await ctx.groups.run(groupId, (s): { records: []; response: Described } => {
        const g = s.shareGroups.get(groupId);
        if (!g) return { records: [], response: { other: s.groups.get(groupId)?.members.size || s.consumerGroups.has(groupId) ? true : false, g: null } };
        const members = [...g.members.values()].map((m) => ({
          memberId: m.memberId, rackId: m.rackId, memberEpoch: m.memberEpoch, clientId: m.clientId, clientHost: m.clientHost,
          subscribedTopicNames: m.subscribedTopicNames,
          assignment: { topicPartitions: [...m.assignment].map(([topicId, partitions]) => ({ topicId, topicName: ctx.topics.topicById(topicId)?.name ?? "", partitions: [...partitions].sort((x, y) => x - y) })) },
        }));
        return { records: [], response: { other: false, g: { groupState: g.state as string, groupEpoch: g.groupEpoch, assignmentEpoch: g.assignmentEpoch, members } } };
      }, false);
      if (d?.g) {
        groups.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null, ...d.g, assignorName: "simple" });
      } else if (d?.other) {
        groups.push({ ...base, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} is not a share group.` });
      } else if ((await ctx.shares.partitions.store.ofGroup(groupId)).length > 0) {
        groups.push({ ...base, errorCode: ErrorCode.NONE, errorMessage: null, groupState: "Empty", groupEpoch: 0, assignmentEpoch: 0, assignorName: "simple" });
      } else {
        groups.push({ ...base, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.` });
      }
    }
    return { throttleTimeMs: 0, groups };
  },
  errorResponse(req, errorCode) {
    return { groups: req.groupIds.map((groupId) => ({ groupId, errorCode, groupState: "", groupEpoch: -1, assignmentEpoch: -1, assignorName: "", members: [] })) };
  },
});
