/**
 * DescribeQuorum, UpdateFeatures and Describe/AlterClientQuotas over TCP. Every expected answer is
 * what a real single-node Kafka 4.4.0 (combined broker+controller, scripts/kafka/start.sh) answered
 * to the same request (probed 2026-12-02); where odradek's numbers are its own (epoch, offsets,
 * directory id), the test says what they mean.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
});
afterAll(async () => {
  await c.close();
  await b.close();
});

const metadataPartition = { topics: [{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 0 }] }] };
const PREFIX = "The update failed for all features since the following feature had an error: ";

describe("DescribeQuorum", () => {
  it("v2: this node is the one voter and the leader, with its directory id and endpoint; the offset follows metadata changes", async () => {
    const r = await c.request(ApiKey.DescribeQuorum, 2, metadataPartition);
    const me = b.broker.node.nodeId;
    expect(r).toMatchObject({ errorCode: 0, errorMessage: "" });
    const p = r.topics[0]!.partitions[0]!;
    expect(p).toMatchObject({ partitionIndex: 0, errorCode: 0, errorMessage: "", leaderId: me, leaderEpoch: 1, observers: [] });
    expect(p.currentVoters).toHaveLength(1);
    const v = p.currentVoters[0]!;
    expect(v).toMatchObject({ replicaId: me, replicaDirectoryId: b.broker.node.directoryId, logEndOffset: p.highWatermark });
    // Kafka reports the leader's own fetch and caught-up times as now
    expect(Number(v.lastFetchTimestamp)).toBeGreaterThan(Date.now() - 60_000);
    expect(v.lastCaughtUpTimestamp).toBe(v.lastFetchTimestamp);
    expect(r.nodes).toEqual([{ nodeId: me, listeners: [{ name: "PLAINTEXT", host: "127.0.0.1", port: b.port }] }]);
    // a metadata change is one more record
    await c.request(ApiKey.CreateTopics, 7, { topics: [{ name: "quorum-t", numPartitions: 1, replicationFactor: 1 }], timeoutMs: 1000 });
    const after = await c.request(ApiKey.DescribeQuorum, 2, metadataPartition);
    expect(after.topics[0]!.partitions[0]!.highWatermark).toBeGreaterThan(p.highWatermark);
  });

  it("v0 has no timestamps, v1 has them; v0-1 have no node list", async () => {
    const v0 = await c.request(ApiKey.DescribeQuorum, 0, metadataPartition);
    expect(v0.topics[0]!.partitions[0]!.currentVoters[0]).toMatchObject({ lastFetchTimestamp: -1n, lastCaughtUpTimestamp: -1n });
    const v1 = await c.request(ApiKey.DescribeQuorum, 1, metadataPartition);
    expect(v1.topics[0]!.partitions[0]!.currentVoters[0]!.lastFetchTimestamp).toBeGreaterThan(0n);
  });

  it("any other partition, or more than one, is UNKNOWN_TOPIC_OR_PARTITION with zeroed fields (Kafka's answer)", async () => {
    const unknown = { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: "This server does not host this topic-partition.", leaderId: 0, leaderEpoch: 0, highWatermark: 0n, currentVoters: [], observers: [] };
    const r = await c.request(ApiKey.DescribeQuorum, 2, { topics: [{ topicName: "foo", partitions: [{ partitionIndex: 0 }] }] });
    expect(r).toMatchObject({ errorCode: 0, nodes: [], topics: [{ topicName: "foo", partitions: [{ partitionIndex: 0, ...unknown }] }] });
    const two = await c.request(ApiKey.DescribeQuorum, 2, { topics: [{ topicName: "__cluster_metadata", partitions: [{ partitionIndex: 0 }, { partitionIndex: 0 }] }] });
    expect(two.topics[0]!.partitions).toEqual([{ partitionIndex: 0, ...unknown }, { partitionIndex: 0, ...unknown }]);
    expect((await c.request(ApiKey.DescribeQuorum, 2, { topics: [] })).topics).toEqual([]);
  });
});

describe("UpdateFeatures", () => {
  const update = (feature: string, maxVersionLevel: number, upgradeType: number, validateOnly = true) => c.request(ApiKey.UpdateFeatures, 1, { timeoutMs: 60000, featureUpdates: [{ feature, maxVersionLevel, upgradeType }], validateOnly });
  const failed = (message: string) => ({ throttleTimeMs: 0, errorCode: ErrorCode.INVALID_UPDATE_VERSION, errorMessage: PREFIX + message, results: [] });
  const ok = (...features: string[]) => ({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, results: features.map((feature) => ({ feature, errorCode: 0, errorMessage: "NONE" })) });
  const finalized = async () => Object.fromEntries((await c.request(ApiKey.ApiVersions, 4, { clientSoftwareName: "t", clientSoftwareVersion: "1" })).finalizedFeatures.map((f) => [f.name, f.maxVersionLevel]));

  it("refuses what Kafka 4.4 refuses, with its messages", async () => {
    expect(await update("foo", 1, 1)).toEqual(failed("Invalid update version 1 for feature foo. Local controller 1 does not support this feature."));
    expect(await update("foo", 0, 3)).toEqual(failed("Invalid update version 0 for feature foo. Feature foo not found."));
    expect(await update("group.version", 2, 1)).toEqual(failed("Invalid update version 2 for feature group.version. Local controller 1 only supports versions 0-1"));
    expect(await update("group.version", 0, 1)).toEqual(failed("Invalid update version 0 for feature group.version. Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade."));
    expect(await update("group.version", -1, 3)).toEqual(failed("Invalid update version -1 for feature group.version. A feature version cannot be less than 0."));
    expect(await update("group.version", 0, 0)).toEqual(failed("Invalid update version 0 for feature group.version. The controller does not support the given upgrade type."));
    expect(await update("group.version", 0, 7)).toEqual(failed("Invalid update version 0 for feature group.version. The controller does not support the given upgrade type."));
    expect(await update("metadata.version", 34, 1)).toEqual(failed("Invalid update version 34 for feature metadata.version. Local controller 1 only supports versions 7-33"));
    expect(await update("metadata.version", 6, 2)).toEqual(failed("Invalid update version 6 for feature metadata.version. Local controller 1 only supports versions 7-33"));
    expect(await update("metadata.version", 32, 2)).toEqual(failed("Unsupported metadata.version downgrade from 33 to 32. Refusing to perform the requested downgrade because it might delete metadata information."));
    expect(await update("metadata.version", 7, 3)).toEqual(failed("Unsupported metadata.version downgrade from 33 to 7. Unsafe metadata downgrade is not supported in this version."));
    // v0 has no upgrade type: Kafka 4.4 treats allow_downgrade=true as an upgrade too
    const v0 = await c.request(ApiKey.UpdateFeatures, 0, { timeoutMs: 60000, featureUpdates: [{ feature: "group.version", maxVersionLevel: 0, allowDowngrade: true }] });
    expect(v0).toMatchObject(failed("Invalid update version 0 for feature group.version. Can't downgrade the version of this feature without setting the upgrade type to either safe or unsafe downgrade."));
    // the first invalid update fails them all; v2 too
    const both = await c.request(ApiKey.UpdateFeatures, 2, { timeoutMs: 60000, featureUpdates: [{ feature: "foo", maxVersionLevel: 1, upgradeType: 1 }, { feature: "group.version", maxVersionLevel: 1, upgradeType: 1 }], validateOnly: true });
    expect(both).toMatchObject({ errorCode: ErrorCode.INVALID_UPDATE_VERSION, errorMessage: PREFIX + "Invalid update version 1 for feature foo. Local controller 1 does not support this feature." });
    expect(await finalized()).toMatchObject({ "group.version": 1, "metadata.version": 33 });
  });

  it("validate-only changes nothing; a safe downgrade and an upgrade take effect; v2 answers without results", async () => {
    expect(await update("group.version", 0, 2)).toEqual(ok("group.version"));
    expect(await update("group.version", 0, 3)).toEqual(ok("group.version"));
    expect(await update("metadata.version", 33, 1)).toEqual(ok("metadata.version"));
    expect(await update("transaction.version", 0, 2)).toEqual(ok("transaction.version"));
    expect((await finalized())["group.version"]).toBe(1);
    const epoch = (await c.request(ApiKey.ApiVersions, 4, { clientSoftwareName: "t", clientSoftwareVersion: "1" })).finalizedFeaturesEpoch;
    expect(await update("group.version", 0, 2, false)).toEqual(ok("group.version"));
    expect((await finalized())["group.version"]).toBeUndefined();
    const v = await c.request(ApiKey.ApiVersions, 4, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
    expect(v.finalizedFeaturesEpoch).toBeGreaterThan(epoch);
    expect(v.supportedFeatures.find((f) => f.name === "group.version")).toEqual({ name: "group.version", minVersion: 0, maxVersion: 1 });
    const up = await c.request(ApiKey.UpdateFeatures, 2, { timeoutMs: 60000, featureUpdates: [{ feature: "group.version", maxVersionLevel: 1, upgradeType: 1 }], validateOnly: false });
    expect(up).toEqual({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, results: [] });
    expect((await finalized())["group.version"]).toBe(1);
  });
});

describe("client quotas", () => {
  const q = (entity: [string, string | null][], ops: [string, number, boolean?][]) => ({ entity: entity.map(([entityType, entityName]) => ({ entityType, entityName })), ops: ops.map(([key, value, remove]) => ({ key, value, remove: remove ?? false })) });
  const describeQ = (components: [string, number, string | null][], strict = false) => c.request(ApiKey.DescribeClientQuotas, 1, { components: components.map(([entityType, matchType, match]) => ({ entityType, matchType, match })), strict });
  const bad = (entity: [string, string | null][], errorMessage: string) => ({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage, entity: entity.map(([entityType, entityName]) => ({ entityType, entityName })) });
  const fine = (entity: [string, string | null][]) => ({ errorCode: 0, errorMessage: null, entity: entity.map(([entityType, entityName]) => ({ entityType, entityName })) });

  it("validates each entity as Kafka does (validate-only stores nothing)", async () => {
    const r = await c.request(ApiKey.AlterClientQuotas, 1, { validateOnly: true, entries: [
      q([["user", "bob"]], [["foo", 1]]),
      q([["user", "bob"]], [["producer_byte_rate", 1.5]]),
      q([["ip", "10.0.0.1"]], [["producer_byte_rate", 1]]),
      q([["ip", "not-an-ip.invalid"]], [["connection_creation_rate", 1]]),
      q([["bogus", "x"]], [["producer_byte_rate", 1]]),
      q([], [["producer_byte_rate", 1]]),
      q([["user", "a"], ["user", "b"]], [["producer_byte_rate", 1]]),
      q([["user", "c"], ["ip", "1.2.3.4"]], [["producer_byte_rate", 1]]),
      q([["user", "d"]], [["controller_mutation_rate", 0.5], ["request_percentage", 0]]),
      q([["user", "e"]], [["producer_byte_rate", 1, true]]),
      q([["user", ""]], [["producer_byte_rate", 1]]),
      q([["user", "f"]], [["producer_byte_rate", 1], ["producer_byte_rate", 2]]),
      q([["user", "x"]], [["producer_byte_rate", 2.5]]),
      q([["ip", "1.2.3.5"]], [["connection_creation_rate", 3e9]]),
      q([["user", "g"], ["client-id", "app"]], [["request_percentage", 12.5]]),
    ] });
    expect(r.entries).toEqual([
      bad([["user", "bob"]], "Ignoring duplicate entity ClientQuotaEntity(entries={user=bob})"),
      bad([["ip", "10.0.0.1"]], "Invalid configuration key producer_byte_rate"),
      bad([["ip", "not-an-ip.invalid"]], "not-an-ip.invalid is not a valid IP or resolvable host."),
      bad([["bogus", "x"]], "Unhandled client quota entity type: bogus"),
      bad([], "Invalid empty client quota entity"),
      fine([["user", "b"]]),
      bad([["user", "c"], ["ip", "1.2.3.4"]], "Invalid quota entity combination, IP entity shouldnot be combined with User or ClientId"),
      bad([["user", "d"]], "Quota request_percentage must be greater than 0"),
      fine([["user", "e"]]),
      bad([["user", ""]], "Empty user not supported"),
      bad([["user", "f"]], "Ignoring duplicate entity ClientQuotaEntity(entries={user=f})"),
      bad([["user", "x"]], "producer_byte_rate cannot be a fractional value."),
      bad([["ip", "1.2.3.5"]], "Proposed value for connection_creation_rate is too large for an INT."),
      fine([["client-id", "app"], ["user", "g"]]),
    ]);
    expect((await describeQ([])).entries).toEqual([]);
  });

  it("stores quotas per entity and describes them with Kafka's match types and errors", async () => {
    const r = await c.request(ApiKey.AlterClientQuotas, 1, { validateOnly: false, entries: [
      q([["user", "alice"]], [["producer_byte_rate", 1024], ["consumer_byte_rate", 2048]]),
      q([["client-id", null]], [["request_percentage", 50]]),
      q([["user", "alice"], ["client-id", "app"]], [["producer_byte_rate", 10]]),
      q([["ip", "10.0.0.1"]], [["connection_creation_rate", 5]]),
      q([["user", null]], [["producer_byte_rate", 100]]),
    ] });
    expect(r.entries.every((e) => e.errorCode === 0)).toBe(true);
    const alice = { entity: [{ entityType: "user", entityName: "alice" }], values: [{ key: "consumer_byte_rate", value: 2048 }, { key: "producer_byte_rate", value: 1024 }] };
    const aliceApp = { entity: [{ entityType: "client-id", entityName: "app" }, { entityType: "user", entityName: "alice" }], values: [{ key: "producer_byte_rate", value: 10 }] };
    const defaultClient = { entity: [{ entityType: "client-id", entityName: null }], values: [{ key: "request_percentage", value: 50 }] };
    const ip = { entity: [{ entityType: "ip", entityName: "10.0.0.1" }], values: [{ key: "connection_creation_rate", value: 5 }] };
    const defaultUser = { entity: [{ entityType: "user", entityName: null }], values: [{ key: "producer_byte_rate", value: 100 }] };
    const all = await describeQ([]);
    expect(all).toMatchObject({ errorCode: 0, errorMessage: "" });
    expect(all.entries).toEqual([alice, defaultClient, aliceApp, ip, defaultUser]);
    expect((await describeQ([["user", 0, "alice"]])).entries).toEqual([alice, aliceApp]);
    expect((await describeQ([["user", 0, "alice"]], true)).entries).toEqual([alice]);
    expect((await describeQ([["client-id", 1, null]])).entries).toEqual([defaultClient]);
    expect((await describeQ([["user", 2, null]])).entries).toEqual([alice, aliceApp, defaultUser]); // SPECIFIED includes the default
    expect((await c.request(ApiKey.DescribeClientQuotas, 0, { components: [{ entityType: "ip", matchType: 2, match: null }], strict: false })).entries).toEqual([ip]);
    expect((await describeQ([["user", 0, "nobody"]])).entries).toEqual([]);
    // removing an entity's last quota removes it
    await c.request(ApiKey.AlterClientQuotas, 1, { validateOnly: false, entries: [q([["user", "alice"]], [["producer_byte_rate", 0, true], ["consumer_byte_rate", 0, true]])] });
    expect((await describeQ([["user", 0, "alice"]], true)).entries).toEqual([]);
    const err = async (components: [string, number, string | null][], errorCode: number, errorMessage: string) =>
      expect(await describeQ(components)).toEqual({ throttleTimeMs: 0, errorCode, errorMessage, entries: null });
    await err([["bogus", 2, null]], ErrorCode.UNSUPPORTED_VERSION, "Unsupported entity type bogus");
    await err([["user", 0, null]], ErrorCode.INVALID_REQUEST, "Request specified MATCH_TYPE_EXACT, but set match string to null.");
    await err([["user", 1, "x"]], ErrorCode.INVALID_REQUEST, "Request specified MATCH_TYPE_DEFAULT, but also specified a match string.");
    await err([["user", 2, "x"]], ErrorCode.INVALID_REQUEST, "Request specified MATCH_TYPE_SPECIFIED, but also specified a match string.");
    await err([["user", 7, null]], ErrorCode.INVALID_REQUEST, "Unknown match type 7");
    await err([["user", 2, null], ["user", 2, null]], ErrorCode.INVALID_REQUEST, "Entity type user cannot appear more than once in the filter.");
    await err([["user", 2, null], ["ip", 2, null]], ErrorCode.INVALID_REQUEST, "Invalid entity filter component combination. IP filter component should not be used with user or clientId filter component.");
    await err([["", 2, null]], ErrorCode.INVALID_REQUEST, "Invalid empty entity type.");
  });
});

describe("persistence", () => {
  it("feature levels, quotas, the leader epoch and the directory id survive a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-kraft-"));
    try {
      let ob = await startBroker({ dataDir: dir });
      let oc = await TestClient.connect(ob.port);
      await oc.request(ApiKey.UpdateFeatures, 1, { timeoutMs: 60000, featureUpdates: [{ feature: "group.version", maxVersionLevel: 0, upgradeType: 2 }], validateOnly: false });
      await oc.request(ApiKey.AlterClientQuotas, 1, { validateOnly: false, entries: [{ entity: [{ entityType: "client-id", entityName: "c1" }], ops: [{ key: "consumer_byte_rate", value: 600, remove: false }] }] });
      const before = (await oc.request(ApiKey.DescribeQuorum, 2, metadataPartition)).topics[0]!.partitions[0]!;
      const directoryId = ob.broker.node.directoryId;
      await oc.close();
      await ob.close();
      ob = await startBroker({ dataDir: dir });
      oc = await TestClient.connect(ob.port);
      const v = await oc.request(ApiKey.ApiVersions, 4, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
      expect(v.finalizedFeatures.map((f) => f.name)).not.toContain("group.version");
      const quotas = await oc.request(ApiKey.DescribeClientQuotas, 1, { components: [], strict: false });
      expect(quotas.entries).toEqual([{ entity: [{ entityType: "client-id", entityName: "c1" }], values: [{ key: "consumer_byte_rate", value: 600 }] }]);
      const after = (await oc.request(ApiKey.DescribeQuorum, 2, metadataPartition)).topics[0]!.partitions[0]!;
      expect(after.leaderEpoch).toBe(before.leaderEpoch + 1);
      expect(after.highWatermark).toBeGreaterThan(before.highWatermark);
      expect(after.currentVoters[0]!.replicaDirectoryId).toBe(directoryId);
      await oc.close();
      await ob.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
