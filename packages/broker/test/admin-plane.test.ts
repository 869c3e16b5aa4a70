/**
 * The admin APIs a single-node Kafka 4.4 answers that need no state of their own: DescribeTopicPartitions
 * (with its cursor), ElectLeaders, Alter/ListPartitionReassignments, ListConfigResources. Every
 * expectation is what a real Kafka 4.4.0 node answered to the same request (probed 2026-12-02).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey, ErrorCode } from "@odradek/codec";
import { startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient } from "./helpers.js";

let b: RunningBroker;
let c: TestClient;
beforeAll(async () => {
  b = await startBroker();
  c = await TestClient.connect(b.port);
  await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "known", numPartitions: 2, replicationFactor: 1 }, { name: "other", numPartitions: 3, replicationFactor: 1 }], timeoutMs: 1000 });
});
afterAll(async () => {
  await c.close();
  await b.close();
});

const parts = (r: { topics: { name: string | null; errorCode: number; partitions: { partitionIndex: number }[] }[] }) => r.topics.map((t) => [t.name, t.errorCode, t.partitions.map((p) => p.partitionIndex)]);

describe("DescribeTopicPartitions", () => {
  it("pages through partitions with a cursor, names unknown topics, sorts by name", async () => {
    const first = await c.request(ApiKey.DescribeTopicPartitions, 0, { topics: [{ name: "known" }, { name: "other" }, { name: "missing" }], responsePartitionLimit: 3, cursor: null });
    expect(parts(first)).toEqual([["known", 0, [0, 1]], ["missing", ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, []], ["other", 0, [0]]]);
    expect(first.nextCursor).toEqual({ topicName: "other", partitionIndex: 1 });
    expect(first.topics[0]!.partitions[0]).toMatchObject({ leaderId: b.broker.node.nodeId, replicaNodes: [b.broker.node.nodeId], isrNodes: [b.broker.node.nodeId], eligibleLeaderReplicas: [], lastKnownElr: [] });
    expect(first.topics[0]!.topicAuthorizedOperations).toBe(3576);
    const next = await c.request(ApiKey.DescribeTopicPartitions, 0, { topics: [{ name: "known" }, { name: "other" }], responsePartitionLimit: 3, cursor: first.nextCursor });
    expect(parts(next)).toEqual([["other", 0, [1, 2]]]);
    expect(next.nextCursor).toBeNull();
    const all = await c.request(ApiKey.DescribeTopicPartitions, 0, { topics: [], responsePartitionLimit: 2000, cursor: null });
    expect(parts(all)).toEqual([["known", 0, [0, 1]], ["other", 0, [0, 1, 2]]]);
  });
});

describe("ElectLeaders", () => {
  it("answers ELECTION_NOT_NEEDED on one node, with Kafka's messages for unknown partitions", async () => {
    const r = await c.request(ApiKey.ElectLeaders, 2, { electionType: 0, topicPartitions: [{ topic: "known", partitions: [0, 9] }, { topic: "missing", partitions: [0] }], timeoutMs: 1000 });
    expect(r.errorCode).toBe(0);
    expect(r.replicaElectionResults).toEqual([
      { topic: "known", partitionResult: [
        { partitionId: 0, errorCode: ErrorCode.ELECTION_NOT_NEEDED, errorMessage: "Leader election not needed for topic partition." },
        { partitionId: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "No such partition as known-9" },
      ] },
      { topic: "missing", partitionResult: [{ partitionId: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "No such topic as missing" }] },
    ]);
    const all = await c.request(ApiKey.ElectLeaders, 2, { electionType: 1, topicPartitions: null, timeoutMs: 1000 });
    expect(all.replicaElectionResults).toEqual([{ topic: "known", partitionResult: [] }, { topic: "other", partitionResult: [] }]);
  });
});

describe("partition reassignments on one node", () => {
  it("accepts [this broker], refuses other brokers and duplicates, has nothing to cancel or list", async () => {
    const me = b.broker.node.nodeId;
    const r = await c.request(ApiKey.AlterPartitionReassignments, 1, { timeoutMs: 1000, allowReplicationFactorChange: true, topics: [
      { name: "known", partitions: [{ partitionIndex: 0, replicas: [me] }, { partitionIndex: 1, replicas: null }, { partitionIndex: 9, replicas: [me] }] },
      { name: "other", partitions: [{ partitionIndex: 0, replicas: [me + 1] }, { partitionIndex: 1, replicas: [me, me] }] },
      { name: "missing", partitions: [{ partitionIndex: 0, replicas: [me] }] },
    ] });
    expect(r.responses.map((t) => t.partitions.map((p) => [p.errorCode, p.errorMessage]))).toEqual([
      [[0, null], [ErrorCode.NO_REASSIGNMENT_IN_PROGRESS, null], [ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Unable to find partition known:9."]],
      [[ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes broker ${me + 1}, but no such broker is registered.`], [ErrorCode.INVALID_REPLICA_ASSIGNMENT, `The manual partition assignment includes the broker ${me} more than once.`]],
      [[ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, "Unable to find a topic named missing."]],
    ]);
    const l = await c.request(ApiKey.ListPartitionReassignments, 0, { timeoutMs: 1000, topics: null });
    expect(l).toMatchObject({ errorCode: 0, topics: [] });
  });
});

describe("ListConfigResources", () => {
  it("v1 lists broker loggers, the broker and topics (filtered by type); v0 lists no client-metrics resources", async () => {
    const id = String(b.broker.node.nodeId);
    const all = await c.request(ApiKey.ListConfigResources, 1, { resourceTypes: [] });
    expect(all.configResources).toEqual([{ resourceName: id, resourceType: 8 }, { resourceName: id, resourceType: 4 }, { resourceName: "known", resourceType: 2 }, { resourceName: "other", resourceType: 2 }]);
    const some = await c.request(ApiKey.ListConfigResources, 1, { resourceTypes: [2, 4, 16, 32] });
    expect(some.configResources.map((r) => r.resourceType)).toEqual([4, 2, 2]);
    expect((await c.request(ApiKey.ListConfigResources, 0, { resourceTypes: [] })).configResources).toEqual([]);
  });
});
