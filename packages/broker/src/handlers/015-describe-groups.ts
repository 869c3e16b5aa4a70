/**
 * DescribeGroups (key 15), v0–6.
 *
 * Behaviour (Kafka's classic groups): state, protocol type; in Stable the chosen protocol and every
 * member with its metadata for that protocol and its assignment, in other states the members without
 * them and an empty protocol. A group that does not exist: state "Dead" and no error before v6,
 * GROUP_ID_NOT_FOUND from v6 (with a message); a consumer or share group is answered the same way
 * ("is not a classic group", as Kafka 4.x). Authorized operations are not computed (no ACLs).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { ClassicGroup } from "../group/classic-group.js";

const AUTH_OPS_NOT_REQUESTED = -2147483648;
const EMPTY = Buffer.alloc(0);

export default defineHandler({
  apiKey: ApiKey.DescribeGroups,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req) {
    const groups = [];
    for (const groupId of req.groups) {
      const d = await ctx.groups.run(groupId, (s) => {
        const g = s.classicGroup(groupId);
        if (!(g instanceof ClassicGroup) || g.is("Dead")) return { records: [], response: null };
        const stable = g.is("Stable");
        return {
          records: [],
          response: {
            errorCode: ErrorCode.NONE, errorMessage: null, groupId, groupState: g.state, protocolType: g.protocolType ?? "",
            protocolData: stable ? g.protocolName ?? "" : "",
            members: [...g.members.values()].map((m) => ({
              memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
              memberMetadata: stable ? g.metadataOf(m, g.protocolName ?? "") : EMPTY, memberAssignment: stable ? m.assignment : EMPTY,
            })),
            authorizedOperations: AUTH_OPS_NOT_REQUESTED,
          },
        };
      }, false);
      const otherType = async () => (await ctx.groups.run(groupId, (s) => ({ records: [], response: s.classicGroup(groupId) === "other-type" }), false)) === true;
      if (d) groups.push(d);
      else if (ctx.apiVersion >= 6) groups.push({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: (await otherType()) ? `Group ${groupId} is not a classic group.` : `Group ${groupId} not found.`, groupId, groupState: "Dead", protocolType: "", protocolData: "", members: [], authorizedOperations: AUTH_OPS_NOT_REQUESTED });
      else groups.push({ errorCode: ErrorCode.NONE, errorMessage: null, groupId, groupState: "Dead", protocolType: "", protocolData: "", members: [], authorizedOperations: AUTH_OPS_NOT_REQUESTED });
    }
    return { throttleTimeMs: 0, groups };
  },
  errorResponse(req, errorCode) {
    return { groups: req.groups.map((groupId) => ({ errorCode, groupId, groupState: "", protocolType: "", protocolData: "", members: [] })) };
  },
});
