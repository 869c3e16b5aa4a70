/**
 * A handler that throws answers UNKNOWN_SERVER_ERROR for its entries and the connection stays
 * usable; the same for a response that cannot be encoded.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ApiKey } from "@odradek/codec";
import { HANDLERS, defineHandler, startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import { TestClient } from "./helpers.js";

const throwingMetadata = defineHandler({
  apiKey: ApiKey.Metadata,
  minVersion: 0,
  maxVersion: 12,
  handle() {
    throw new Error("boom");
  },
  errorResponse(req, errorCode) {
    return { brokers: [], controllerId: -1, topics: (req.topics ?? []).map((t) => ({ errorCode, name: t.name, partitions: [] })) };
  },
});

const badListOffsets = defineHandler({
  apiKey: ApiKey.ListOffsets,
  minVersion: 1,
  maxVersion: 10,
  // a value the codec cannot encode (an int64 field given a number)
  handle: () => ({ topics: [{ name: "x", partitions: [{ partitionIndex: 0, offset: 5 as unknown as bigint }] }] }),
  errorResponse: (req, errorCode) => ({ topics: req.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) }),
});

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ handlers: [...HANDLERS.filter((h) => h.apiKey !== ApiKey.Metadata && h.apiKey !== ApiKey.ListOffsets), throwingMetadata, badListOffsets] });
});
afterAll(async () => {
  await broker.close();
});

describe("handler faults", () => {
  it("answers UNKNOWN_SERVER_ERROR per entry and keeps the connection", async () => {
    const c = await TestClient.connect(broker.port);
    const r = await c.request(ApiKey.Metadata, 12, { topics: [{ name: "a" }, { name: "b" }], allowAutoTopicCreation: false });
    expect(r.topics.map((t) => [t.name, t.errorCode])).toEqual([["a", -1], ["b", -1]]);
    const l = await c.request(ApiKey.ListOffsets, 7, { replicaId: -1, topics: [{ name: "t", partitions: [{ partitionIndex: 3, timestamp: -1n }] }] });
    expect(l.topics[0]!.partitions[0]).toMatchObject({ partitionIndex: 3, errorCode: -1 });
    expect((await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" })).errorCode).toBe(0);
    await c.close();
  });
});
