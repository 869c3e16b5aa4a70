/**
 * Share-group membership records (share/share-group-records.ts, group/records.ts): Kafka 4.4's record
 * types 10–14 in the key, value version 0, and a replay of a step's records rebuilding the group as
 * the step left it (members, epochs, assignment), tombstones removing a member and the group.
 */
import { describe, expect, it } from "vitest";
import { decodeRecord } from "../src/group/records.js";
import type { GroupShard } from "../src/group/group-shard.js";
import { deletedGroupRecords, epochRecords, memberRecord, metadataHash, removedMemberRecords, replayShareGroup } from "../src/share/share-group-records.js";
import { ShareGroup } from "../src/share/share-group.js";
import type { ShareMember } from "../src/share/share-group.js";

const TOPIC = "AAAAAAAAAAAAAAAAAAAAAQ";

function liveGroup(): ShareGroup {
  const g = new ShareGroup("g");
  g.groupEpoch = 7;
  g.assignmentEpoch = 7;
  const m = (memberId: string, partitions: number[]): ShareMember => ({ memberId, memberEpoch: 7, previousMemberEpoch: 6, rackId: null, clientId: `c-${memberId}`, clientHost: "/127.0.0.1", subscribedTopicNames: ["t"], assignment: new Map([[TOPIC, partitions]]) });
  g.members.set("a", m("a", [0, 2]));
  g.members.set("b", m("b", [1]));
  return g;
}

/** A stand-in for the shard: replay touches only its share-group maps. */
const shard = () => ({ shareGroups: new Map<string, ShareGroup>(), shareMetadataKeys: new Map<string, string>() }) as unknown as GroupShard;
const replayAll = (s: GroupShard, records: { key: Buffer; value: Buffer | null }[]) => { for (const r of records) replayShareGroup(s, decodeRecord(r.key, r.value)); };

describe("share-group records", () => {
  it("are Kafka's types 10–14 with value version 0", () => {
    const g = liveGroup();
    const records = [...[...g.members.values()].map((m) => memberRecord("g", m)), ...epochRecords(g, metadataHash("t:3"))];
    expect(records.map((r) => r.key.readInt16BE(0))).toEqual([10, 10, 11, 13, 14, 13, 14, 12]);
    expect(records.every((r) => r.value!.readInt16BE(0) === 0)).toBe(true);
  });

  it("replay rebuilds members, epochs and assignment; tombstones remove a member, then the group", () => {
    const g = liveGroup();
    const s = shard();
    replayAll(s, [...[...g.members.values()].map((m) => memberRecord("g", m)), ...epochRecords(g, metadataHash("t:3"))]);
    const back = s.shareGroups.get("g")!;
    expect([back.groupEpoch, back.assignmentEpoch]).toEqual([7, 7]);
    expect([...back.members.values()]).toEqual([...g.members.values()]);
    expect(s.shareMetadataKeys.get("g")).toBe(String(metadataHash("t:3")));
    replayAll(s, removedMemberRecords("g", "b"));
    expect([...back.members.keys()]).toEqual(["a"]);
    replayAll(s, deletedGroupRecords("g"));
    expect(s.shareGroups.has("g")).toBe(false);
  });

  it("the metadata hash is a stable signed 64-bit value that changes with the topics", () => {
    expect(metadataHash("t:3")).toBe(metadataHash("t:3"));
    expect(metadataHash("t:3")).not.toBe(metadataHash("t:4"));
    expect(BigInt.asIntN(64, metadataHash("t:3"))).toBe(metadataHash("t:3"));
  });
});
