/**
 * The api-versions check's parser and verdict (api-versions.mjs), on output in the format of Kafka
 * 4.4's BrokerApiVersionsCommand and on the real packages/broker/SKIPPED.md.
 */
import { describe, expect, it } from "vitest";
// a plain ESM module of the compat runner, typed by api-versions.d.mts
import { compareApiVersions, parseBrokerApiVersions, skippedReasons } from "./api-versions.mjs";
import type { ToolApi as Api } from "./api-versions.mjs";

// Lines as the tool prints them: a range, a single version (min = max) and an API not advertised.
const tool = (lines: string[]): string =>
  ["127.0.0.1:9092 (id: 1 rack: null isFenced: false) -> (", ...lines.map((l) => `\t${l},`), ")", ""].join("\n");

describe("parseBrokerApiVersions", () => {
  it("reads ranges, single versions and UNSUPPORTED", () => {
    const apis: Api[] = parseBrokerApiVersions(tool([
      "Produce(0): 0 to 13 [usable: 13]",
      "ListPartitionReassignments(46): 0 [usable: 0]",
      "JoinGroup(11): UNSUPPORTED",
    ]));
    expect(apis).toEqual([
      { name: "Produce", apiKey: 0, minVersion: 0, maxVersion: 13, usable: "usable: 13" },
      { name: "JoinGroup", apiKey: 11, minVersion: null, maxVersion: null, usable: null },
      { name: "ListPartitionReassignments", apiKey: 46, minVersion: 0, maxVersion: 0, usable: "usable: 0" },
    ]);
  });

  it("refuses a line it does not understand, and output without a broker block", () => {
    expect(() => parseBrokerApiVersions(tool(["Produce(0): zero to 13"]))).toThrow(/unexpected line/);
    expect(() => parseBrokerApiVersions("Connection to node -1 could not be established")).toThrow(/no broker block/);
  });
});

describe("compareApiVersions", () => {
  const api = (name: string, apiKey: number, min: number | null, max: number | null): Api =>
    ({ name, apiKey, minVersion: min, maxVersion: max });
  const kafka = [api("Produce", 0, 0, 13), api("Fetch", 1, 4, 18), api("Metadata", 3, 0, 13), api("DescribeAcls", 29, 0, 3), api("CreateTopics", 19, 2, 7)];

  it("fails a served API whose min or max differs, lists an API odradek does not serve with its ledger reason", () => {
    const odradek = [api("Produce", 0, 3, 13), api("Fetch", 1, 4, 17), api("Metadata", 3, 0, 13), api("DescribeAcls", 29, null, null), api("CreateTopics", 19, 2, 7)];
    const { rows, failures, same } = compareApiVersions(odradek, kafka);
    expect(failures.map((r) => [r.apiKey, r.failure])).toEqual([
      [0, "min 3, Kafka 0"],
      [1, "max 17, Kafka 18"],
    ]);
    const acls = rows.find((r) => r.apiKey === 29);
    expect(acls).toMatchObject({ odradek: "not served", kafka: "0–3", failure: null });
    expect(acls?.reason).toMatch(/ACLs/); // from packages/broker/SKIPPED.md
    expect(same).toEqual([3, 19]);
  });

  it("fails an API odradek serves that Kafka does not advertise", () => {
    const { failures } = compareApiVersions([...kafka, api("Vote", 52, 0, 2)], [...kafka, api("Vote", 52, null, null)]);
    expect(failures).toHaveLength(1);
    expect(failures[0]?.failure).toBe("Kafka 4.4 does not advertise it");
  });

  it("passes when every served API has Kafka's range", () => {
    expect(compareApiVersions(kafka, kafka).failures).toEqual([]);
  });
});

describe("skippedReasons", () => {
  it("reads every key range form of the ledger", () => {
    const { notServed, versions } = skippedReasons();
    for (const k of [17, 36, 29, 30, 31, 38, 41, 50, 51, 88]) expect(notServed.get(k), `key ${k}`).toBeTruthy();
    expect(versions.get(0)?.join(" ")).toMatch(/v0/);
  });
});
