/**
 * Group configs (group/group-configs.ts) over real TCP on a file data directory: DescribeConfigs on a
 * GROUP resource (Kafka 4.4's 21 configs, sources, synonyms, types), IncrementalAlterConfigs and
 * AlterConfigs with Kafka 4.4's validation messages (probed against Kafka 4.4.0), their effect on
 * ConsumerGroupHeartbeat / ShareGroupHeartbeat and on a consumer member's session timeout (ManualClock),
 * ListConfigResources, DeleteGroups leaving the configs, and survival across a restart.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey, ErrorCode } from "@odradek/codec";
import { ManualClock, startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient } from "./helpers.js";

const GROUP = 32;
const DEFAULT_CONFIG = 5;
const STATIC_BROKER_CONFIG = 4;
const DYNAMIC_GROUP_CONFIG = 8;
const config = { "offsets.topic.num.partitions": "1", "share.coordinator.state.topic.num.partitions": "1", "group.share.heartbeat.interval.ms": "6000" };
const settle = () => new Promise((r) => setTimeout(r, 30));

let dir: string;
let clock: ManualClock;
let b: RunningBroker;
let c: TestClient;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "odradek-gconf-"));
  clock = new ManualClock();
  b = await startBroker({ dataDir: dir, clock, config });
  c = await TestClient.connect(b.port);
  await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "gt", numPartitions: 2, replicationFactor: 1 }], timeoutMs: 1000 });
});
afterAll(async () => {
  await c.close();
  await b.close();
  rmSync(dir, { recursive: true, force: true });
});

const describeGroup = async (groupId: string, keys: string[] | null = null) => {
  const r = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: GROUP, resourceName: groupId, configurationKeys: keys }], includeSynonyms: true, includeDocumentation: true });
  expect(r.results[0]).toMatchObject({ errorCode: 0, resourceType: GROUP, resourceName: groupId });
  return new Map(r.results[0]!.configs.map((x) => [x.name, x]));
};
const set = async (groupId: string, configs: { name: string; configOperation?: number; value: string | null }[], validateOnly = false) =>
  (await c.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: GROUP, resourceName: groupId, configs: configs.map((x) => ({ configOperation: 0, ...x })) }], validateOnly })).responses[0]!;
const beat = (groupId: string, memberId: string, memberEpoch: number) =>
  c.request(ApiKey.ConsumerGroupHeartbeat, 1, {
    groupId, memberId, memberEpoch, instanceId: null, rackId: null, rebalanceTimeoutMs: memberEpoch === 0 ? 20_000 : -1,
    subscribedTopicNames: memberEpoch === 0 ? ["gt"] : null, subscribedTopicRegex: null, serverAssignor: null, topicPartitions: memberEpoch === 0 ? [] : null,
  });

describe("DescribeConfigs on a group", () => {
  it("lists Kafka 4.4's 21 group configs with their broker synonyms, as Kafka 4.4 answers for a group without configs", async () => {
    const d = await describeGroup("no-such-group");
    expect([...d.keys()]).toEqual([
      "consumer.session.timeout.ms", "streams.assignor.name", "consumer.assignment.interval.ms", "errors.deadletterqueue.copy.record.enable",
      "share.auto.offset.reset", "streams.rack.aware.assignment.tags", "share.renew.acknowledge.enable", "streams.initial.rebalance.delay.ms",
      "share.session.timeout.ms", "streams.assignment.interval.ms", "share.heartbeat.interval.ms", "streams.heartbeat.interval.ms",
      "share.delivery.count.limit", "errors.deadletterqueue.topic.name", "consumer.heartbeat.interval.ms", "share.record.lock.duration.ms",
      "share.assignment.interval.ms", "share.isolation.level", "streams.session.timeout.ms", "share.partition.max.record.locks", "streams.num.standby.replicas",
    ]);
    expect(d.get("consumer.session.timeout.ms")).toEqual({
      name: "consumer.session.timeout.ms", value: "45000", readOnly: false, configSource: DEFAULT_CONFIG, isSensitive: false,
      synonyms: [{ name: "group.consumer.session.timeout.ms", value: "45000", source: DEFAULT_CONFIG }], configType: 3, documentation: null,
    });
    expect(d.get("streams.assignor.name")).toMatchObject({ value: "sticky", configType: 2, synonyms: [{ name: "group.streams.assignors", value: "sticky", source: DEFAULT_CONFIG }] });
    expect(d.get("share.auto.offset.reset")).toMatchObject({ value: "latest", synonyms: [{ name: "share.auto.offset.reset", value: "latest", source: DEFAULT_CONFIG }] });
    expect(d.get("streams.rack.aware.assignment.tags")).toMatchObject({ value: "", configType: 7 });
    expect(d.get("share.renew.acknowledge.enable")).toMatchObject({ value: "true", configType: 1 });
    // A broker-level setting is the group's default, reported as Kafka reports a static broker synonym.
    expect(d.get("share.heartbeat.interval.ms")).toMatchObject({
      value: "6000", configSource: STATIC_BROKER_CONFIG,
      synonyms: [{ name: "group.share.heartbeat.interval.ms", value: "6000", source: STATIC_BROKER_CONFIG }, { name: "group.share.heartbeat.interval.ms", value: "5000", source: DEFAULT_CONFIG }],
    });
    const keys = await describeGroup("no-such-group", ["share.isolation.level", "nope"]);
    expect([...keys.keys()]).toEqual(["share.isolation.level"]);
    const empty = await c.request(ApiKey.DescribeConfigs, 4, { resources: [{ resourceType: GROUP, resourceName: "", configurationKeys: null }], includeSynonyms: false, includeDocumentation: false });
    expect(empty.results[0]).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Group name must not be empty", configs: [] });
  });
});

describe("IncrementalAlterConfigs / AlterConfigs on a group", () => {
  it("sets, normalises and deletes a group's own values (DYNAMIC_GROUP_CONFIG over the broker synonym)", async () => {
    expect(await set("ga", [{ name: "consumer.session.timeout.ms", value: " 050000 " }, { name: "streams.rack.aware.assignment.tags", value: " a , b " }, { name: "share.renew.acknowledge.enable", value: "False" }])).toMatchObject({ errorCode: 0, errorMessage: null });
    const d = await describeGroup("ga");
    expect(d.get("consumer.session.timeout.ms")).toMatchObject({
      value: "50000", configSource: DYNAMIC_GROUP_CONFIG,
      synonyms: [{ name: "consumer.session.timeout.ms", value: "50000", source: DYNAMIC_GROUP_CONFIG }, { name: "group.consumer.session.timeout.ms", value: "45000", source: DEFAULT_CONFIG }],
    });
    expect(d.get("streams.rack.aware.assignment.tags")!.value).toBe("a,b");
    expect(d.get("share.renew.acknowledge.enable")!.value).toBe("false");
    expect(await set("ga", [{ name: "streams.rack.aware.assignment.tags", configOperation: 2, value: "c,a" }])).toMatchObject({ errorCode: 0 });
    expect((await describeGroup("ga")).get("streams.rack.aware.assignment.tags")!.value).toBe("a,b,c");
    expect(await set("ga", [{ name: "share.renew.acknowledge.enable", configOperation: 1, value: null }, { name: "not.a.config", configOperation: 1, value: null }])).toMatchObject({ errorCode: 0 });
    expect((await describeGroup("ga")).get("share.renew.acknowledge.enable")).toMatchObject({ value: "true", configSource: DEFAULT_CONFIG });
    // validate_only changes nothing.
    expect(await set("ga", [{ name: "consumer.session.timeout.ms", value: "55000" }], true)).toMatchObject({ errorCode: 0 });
    expect((await describeGroup("ga")).get("consumer.session.timeout.ms")!.value).toBe("50000");
  });

  it("refuses what Kafka 4.4 refuses, with its messages, and changes nothing", async () => {
    const cases: [string, number, string | null, number, string][] = [
      ["foo.bar", 0, "1", ErrorCode.INVALID_CONFIG, "Unknown group config name: foo.bar"],
      ["consumer.session.timeout.ms", 0, "1", ErrorCode.INVALID_CONFIG, "consumer.session.timeout.ms must be in the range 45000 to 60000 inclusive."],
      ["consumer.session.timeout.ms", 0, "abc", ErrorCode.INVALID_CONFIG, "Invalid value abc for configuration consumer.session.timeout.ms: Not a number of type INT"],
      ["consumer.session.timeout.ms", 0, "3000000000", ErrorCode.INVALID_CONFIG, "Invalid value 3000000000 for configuration consumer.session.timeout.ms: Not a number of type INT"],
      ["consumer.session.timeout.ms", 0, "0", ErrorCode.INVALID_CONFIG, "Invalid value 0 for configuration consumer.session.timeout.ms: Value must be at least 1"],
      ["consumer.session.timeout.ms", 0, null, ErrorCode.INVALID_REQUEST, "Null value not supported for : consumer.session.timeout.ms"],
      ["consumer.session.timeout.ms", 2, "1", ErrorCode.INVALID_CONFIG, "Can't APPEND to key consumer.session.timeout.ms because its type is not LIST."],
      ["consumer.session.timeout.ms", 3, "1", ErrorCode.INVALID_CONFIG, "Can't SUBTRACT to key consumer.session.timeout.ms because its type is not LIST."],
      ["consumer.heartbeat.interval.ms", 0, "60000", ErrorCode.INVALID_CONFIG, "consumer.heartbeat.interval.ms must be in the range 5000 to 15000 inclusive."],
      ["consumer.assignment.interval.ms", 0, "99999999", ErrorCode.INVALID_CONFIG, "consumer.assignment.interval.ms must be in the range 0 to 15000 inclusive."],
      ["share.delivery.count.limit", 0, "1", ErrorCode.INVALID_CONFIG, "Invalid value 1 for configuration share.delivery.count.limit: Value must be at least 2"],
      ["share.delivery.count.limit", 0, "100", ErrorCode.INVALID_CONFIG, "share.delivery.count.limit must be in the range 2 to 10 inclusive."],
      ["share.record.lock.duration.ms", 0, "100", ErrorCode.INVALID_CONFIG, "Invalid value 100 for configuration share.record.lock.duration.ms: Value must be at least 1000"],
      ["share.partition.max.record.locks", 0, "999999", ErrorCode.INVALID_CONFIG, "share.partition.max.record.locks must be in the range 100 to 4000 inclusive."],
      ["share.auto.offset.reset", 0, "EARLIEST", ErrorCode.INVALID_CONFIG, "Invalid value EARLIEST for configuration share.auto.offset.reset: Invalid value `EARLIEST` for configuration share.auto.offset.reset. The value must be either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'."],
      ["share.auto.offset.reset", 0, "by_duration:-PT1H", ErrorCode.INVALID_CONFIG, "Invalid value by_duration:-PT1H for configuration share.auto.offset.reset: Invalid value `by_duration:-PT1H` for configuration share.auto.offset.reset. The value must be either 'earliest', 'latest' or of the format 'by_duration:<PnDTnHnMn.nS>'."],
      ["share.isolation.level", 0, "READ_COMMITTED", ErrorCode.INVALID_CONFIG, "Invalid value READ_COMMITTED for configuration share.isolation.level: String must be one of: read_committed, read_uncommitted"],
      ["share.renew.acknowledge.enable", 0, "xx", ErrorCode.INVALID_CONFIG, "Invalid value xx for configuration share.renew.acknowledge.enable: Expected value to be either true or false"],
      ["streams.num.standby.replicas", 0, "9", ErrorCode.INVALID_CONFIG, "streams.num.standby.replicas must be less than or equal to 2"],
      ["streams.assignor.name", 0, "foo", ErrorCode.INVALID_CONFIG, "streams.assignor.name 'foo' is not a registered task assignor. Registered assignors are: [sticky]."],
      ["streams.rack.aware.assignment.tags", 0, "a,a", ErrorCode.INVALID_CONFIG, "streams.rack.aware.assignment.tags must not contain duplicate tag keys."],
      ["errors.deadletterqueue.topic.name", 0, "__x", ErrorCode.INVALID_CONFIG, "errors.deadletterqueue.topic.name: DLQ topic name must not start with '__'"],
    ];
    for (const [name, configOperation, value, errorCode, errorMessage] of cases) {
      expect({ name, value, ...(await set("gb", [{ name, configOperation, value }, { name: "errors.deadletterqueue.copy.record.enable", value: "true" }])) }).toMatchObject({ name, value, errorCode, errorMessage });
    }
    expect((await describeGroup("gb")).get("errors.deadletterqueue.copy.record.enable")!.configSource).toBe(DEFAULT_CONFIG);
    expect(await set("", [{ name: "share.delivery.count.limit", value: "3" }])).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Default group resources are not allowed." });
    for (const value of ["by_duration:PT1H", "by_duration:pt0.5s", "by_duration:P1D", "earliest"]) expect(await set("gb", [{ name: "share.auto.offset.reset", value }])).toMatchObject({ errorCode: 0 });
  });

  it("AlterConfigs replaces the group's own values", async () => {
    await set("gc", [{ name: "consumer.session.timeout.ms", value: "50000" }]);
    const r = await c.request(ApiKey.AlterConfigs, 2, { resources: [{ resourceType: GROUP, resourceName: "gc", configs: [{ name: "share.delivery.count.limit", value: "3" }] }], validateOnly: false });
    expect(r.responses[0]).toMatchObject({ errorCode: 0 });
    const d = await describeGroup("gc");
    expect(d.get("share.delivery.count.limit")).toMatchObject({ value: "3", configSource: DYNAMIC_GROUP_CONFIG });
    expect(d.get("consumer.session.timeout.ms")).toMatchObject({ value: "45000", configSource: DEFAULT_CONFIG });
    const bad = await c.request(ApiKey.AlterConfigs, 2, { resources: [{ resourceType: GROUP, resourceName: "gc", configs: [{ name: "foo", value: "1" }] }], validateOnly: false });
    expect(bad.responses[0]).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: "Unknown group config name: foo" });
  });
});

describe("the coordinators read a group's configs", () => {
  it("ConsumerGroupHeartbeat answers the group's heartbeat interval; the member expires after the group's session timeout", async () => {
    expect((await beat("hc-default", "m", 0)).heartbeatIntervalMs).toBe(5000);
    expect(await set("hc", [{ name: "consumer.heartbeat.interval.ms", value: "7000" }, { name: "consumer.session.timeout.ms", value: "60000" }])).toMatchObject({ errorCode: 0 });
    const j = await beat("hc", "m", 0);
    // A new group starts at epoch 1 (Kafka 4.4): its first member gets 2.
    expect(j).toMatchObject({ errorCode: 0, memberEpoch: 2, heartbeatIntervalMs: 7000 });
    // 50 s of silence: past the broker's 45 s, within the group's 60 s.
    clock.advance(50_000);
    await settle();
    expect(await beat("hc", "m", 2)).toMatchObject({ errorCode: 0, heartbeatIntervalMs: 7000 });
    clock.advance(60_001);
    await settle();
    expect((await beat("hc", "m", 2)).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  });

  it("ShareGroupHeartbeat answers the group's share.heartbeat.interval.ms (else the broker's)", async () => {
    const share = (groupId: string) => c.request(ApiKey.ShareGroupHeartbeat, 1, { groupId, memberId: "sm", memberEpoch: 0, rackId: null, subscribedTopicNames: ["gt"] });
    expect((await share("hs-default")).heartbeatIntervalMs).toBe(6000);
    await set("hs", [{ name: "share.heartbeat.interval.ms", value: "8000" }]);
    expect(await share("hs")).toMatchObject({ errorCode: 0, heartbeatIntervalMs: 8000 });
    expect(b.broker.shares.groupConfig("hs", "share.auto.offset.reset")).toBe("latest");
    await set("hs", [{ name: "share.auto.offset.reset", value: "earliest" }]);
    expect(b.broker.shares.groupConfig("hs", "share.auto.offset.reset")).toBe("earliest");
  });
});

describe("ListConfigResources, DeleteGroups and a restart", () => {
  it("lists groups with configs first; DeleteGroups leaves them; a restart keeps them", async () => {
    const list = async (types: number[]) => (await c.request(ApiKey.ListConfigResources, 1, { resourceTypes: types })).configResources.map((r) => ({ resourceName: r.resourceName, resourceType: r.resourceType }));
    expect(await list([GROUP])).toEqual(["ga", "gb", "gc", "hc", "hs"].map((resourceName) => ({ resourceName, resourceType: GROUP })));
    // Groups, then the broker logger (8), the broker (4), the topics (2: gt and the internal ones).
    expect([...new Set((await list([])).map((r) => r.resourceType))]).toEqual([GROUP, 8, 4, 2]);
    // Deleting every value of a group drops it from the list.
    await set("gc", [{ name: "share.delivery.count.limit", configOperation: 1, value: null }]);
    expect((await list([GROUP])).map((r) => r.resourceName)).toEqual(["ga", "gb", "hc", "hs"]);
    // hc's member has expired: the group is empty and can be deleted; its configs stay (Kafka 4.4).
    const del = await c.request(ApiKey.DeleteGroups, 2, { groupsNames: ["hc"] });
    expect(del.results[0]!.errorCode).toBe(0);
    expect((await describeGroup("hc")).get("consumer.heartbeat.interval.ms")!.value).toBe("7000");

    await c.close();
    await b.close();
    b = await startBroker({ dataDir: dir, clock: new ManualClock(clock.now()), config });
    c = await TestClient.connect(b.port);
    expect((await list([GROUP])).map((r) => r.resourceName)).toEqual(["ga", "gb", "hc", "hs"]);
    const d = await describeGroup("ga");
    expect(d.get("consumer.session.timeout.ms")).toMatchObject({ value: "50000", configSource: DYNAMIC_GROUP_CONFIG });
    expect(d.get("streams.rack.aware.assignment.tags")!.value).toBe("a,b,c");
    expect((await beat("hc", "m2", 0)).heartbeatIntervalMs).toBe(7000);
  });

  it("a metadata file written before group configs existed loads with none", async () => {
    const old = mkdtempSync(join(tmpdir(), "odradek-gconf-old-"));
    try {
      writeFileSync(join(old, "odradek-metadata.json"), `${JSON.stringify({ version: 1, topics: {}, nextProducerIdBlock: 0 })}\n`);
      const ob = await startBroker({ dataDir: old, config });
      const oc = await TestClient.connect(ob.port);
      const r = await oc.request(ApiKey.ListConfigResources, 1, { resourceTypes: [GROUP] });
      expect(r.configResources).toEqual([]);
      expect((await oc.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: GROUP, resourceName: "g", configs: [{ name: "share.delivery.count.limit", configOperation: 0, value: "4" }] }], validateOnly: false })).responses[0]!.errorCode).toBe(0);
      await oc.close();
      await ob.close();
    } finally {
      rmSync(old, { recursive: true, force: true });
    }
  });
});

describe("bounds from the broker's configs", () => {
  it("checks the range the broker sets and session timeout > heartbeat interval over the group's merged values (as Kafka 4.4, probed)", async () => {
    const mb = await startBroker({ config: { "group.consumer.min.session.timeout.ms": "6000", "group.share.min.session.timeout.ms": "6000" } });
    const mc = await TestClient.connect(mb.port);
    try {
      const alter = async (configs: [string, string][]) =>
        (await mc.request(ApiKey.IncrementalAlterConfigs, 1, { resources: [{ resourceType: GROUP, resourceName: "gx", configs: configs.map(([name, value]) => ({ name, configOperation: 0, value })) }], validateOnly: false })).responses[0]!.errorMessage;
      expect(await alter([["consumer.session.timeout.ms", "10000"], ["consumer.heartbeat.interval.ms", "12000"]])).toBe("consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms");
      expect(await alter([["consumer.session.timeout.ms", "5000"]])).toBe("consumer.session.timeout.ms must be in the range 6000 to 60000 inclusive.");
      expect(await alter([["share.session.timeout.ms", "5000"]])).toBe("share.session.timeout.ms must be in the range 6000 to 60000 inclusive.");
      expect(await alter([["consumer.session.timeout.ms", "6000"]])).toBeNull();
      // The group's stored 6000 is checked against the new interval.
      expect(await alter([["consumer.heartbeat.interval.ms", "7000"]])).toBe("consumer.session.timeout.ms must be greater than consumer.heartbeat.interval.ms");
    } finally {
      await mc.close();
      await mb.close();
    }
  });
});
