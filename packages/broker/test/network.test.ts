/**
 * ApiVersions and the network layer's fault handling: bad input closes only the offending
 * connection, and the broker keeps answering on others.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { API_DEFINITIONS, ApiKey, ErrorCode, encodeRequest } from "@odradek/codec";
import { startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";
import type { RequestTiming } from "../src/network/connection.js";
import { TestClient, rawSocket, waitClosed } from "./helpers.js";

let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ config: { "socket.request.max.bytes": "1048576" } });
});
afterAll(async () => {
  await broker.close();
});

async function apiVersionsStillWork(): Promise<void> {
  const c = await TestClient.connect(broker.port);
  const r = await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
  expect(r.errorCode).toBe(0);
  await c.close();
}

describe("ApiVersions", () => {
  it("advertises every served API at Kafka 4.4's range, at every version 0-5", async () => {
    const c = await TestClient.connect(broker.port);
    for (let v = 0; v <= 5; v++) {
      const r = await c.request(ApiKey.ApiVersions, v, { clientSoftwareName: "t", clientSoftwareVersion: "1" });
      expect(r.errorCode).toBe(0);
      for (const a of r.apiKeys) {
        // The codec is Kafka 4.4's definitions: Kafka advertises each API's full range, less a newest
        // version marked unstable, and Produce from 0 (KAFKA-18659).
        const def = API_DEFINITIONS[a.apiKey]!;
        const max = def.request.maxVersion - (def.latestVersionUnstable ? 1 : 0);
        expect(a, def.name).toEqual({ apiKey: a.apiKey, minVersion: a.apiKey === ApiKey.Produce ? 0 : def.request.minVersion, maxVersion: max });
      }
      const byKey = new Map(r.apiKeys.map((k) => [k.apiKey, k]));
      // Kafka 4.4.0's own answer, as seen by a probe of a real 4.4.0 node.
      expect(byKey.get(ApiKey.Produce)).toMatchObject({ minVersion: 0, maxVersion: 13 });
      expect(byKey.get(ApiKey.Fetch)).toMatchObject({ minVersion: 4, maxVersion: 18 });
      expect(byKey.get(ApiKey.Metadata)).toMatchObject({ minVersion: 0, maxVersion: 13 });
      expect(byKey.get(ApiKey.ApiVersions)).toMatchObject({ minVersion: 0, maxVersion: 5 });
      expect(byKey.get(ApiKey.InitProducerId)).toMatchObject({ minVersion: 0, maxVersion: 5 });
      expect(byKey.get(ApiKey.EndTxn)).toMatchObject({ minVersion: 0, maxVersion: 5 });
      expect(byKey.get(ApiKey.ShareFetch)).toMatchObject({ minVersion: 1, maxVersion: 2 });
      expect(byKey.has(ApiKey.StreamsGroupHeartbeat)).toBe(false); // not implemented, not advertised
      if (v >= 3) {
        expect(r.finalizedFeatures).toEqual([{ name: "metadata.version", minVersionLevel: 33, maxVersionLevel: 33 }, { name: "group.version", minVersionLevel: 1, maxVersionLevel: 1 }, { name: "transaction.version", minVersionLevel: 2, maxVersionLevel: 2 }, { name: "share.version", minVersionLevel: 1, maxVersionLevel: 1 }]);
        // the metadata offset, as Kafka's (a fresh Kafka 4.4 node reports ~100 and counting)
        expect(r.finalizedFeaturesEpoch).toBeGreaterThan(0n);
        const supported = new Map(r.supportedFeatures.map((f) => [f.name, f]));
        expect(supported.get("metadata.version")).toMatchObject({ minVersion: 7, maxVersion: 33 });
        // v0-3 leave out features whose minimum is 0 (KAFKA-17011).
        expect(supported.get("transaction.version")).toEqual(v >= 4 ? { name: "transaction.version", minVersion: 0, maxVersion: 2 } : undefined);
        expect(supported.has("share.version")).toBe(v >= 4);
      }
    }
    await c.close();
  });

  it("v5 checks the cluster id and node id the client means to reach (KIP-1242), as Kafka 4.4 answers", async () => {
    const c = await TestClient.connect(broker.port);
    const md = await c.request(ApiKey.Metadata, 13, { topics: [] });
    const ask = (clusterId: string | null, nodeId: number) => c.request(ApiKey.ApiVersions, 5, { clientSoftwareName: "t", clientSoftwareVersion: "1", clusterId, nodeId });
    expect((await ask(md.clusterId, md.brokers[0]!.nodeId)).apiKeys.length).toBeGreaterThan(10);
    expect((await ask(null, -1)).errorCode).toBe(0);
    for (const [clusterId, nodeId, code] of [
      ["AAAAAAAAAAAAAAAAAAAAAA", md.brokers[0]!.nodeId, ErrorCode.REBOOTSTRAP_REQUIRED],
      [md.clusterId, md.brokers[0]!.nodeId + 6, ErrorCode.REBOOTSTRAP_REQUIRED],
      [md.clusterId, -1, ErrorCode.INVALID_REQUEST],
      [null, 7, ErrorCode.INVALID_REQUEST],
    ] as const) {
      const r = await ask(clusterId, nodeId);
      expect(r, `${clusterId} ${nodeId}`).toMatchObject({ errorCode: code, apiKeys: [], finalizedFeatures: [], supportedFeatures: [], finalizedFeaturesEpoch: -1n });
    }
    // The connection stays usable, as on Kafka.
    expect((await ask(null, -1)).errorCode).toBe(0);
    await c.close();
  });

  it("answers a too-new ApiVersions with UNSUPPORTED_VERSION and a v0 body", async () => {
    const s = await rawSocket(broker.port);
    const frame = Buffer.alloc(4 + 2 + 2 + 4 + 2);
    frame.writeInt32BE(frame.length - 4, 0);
    frame.writeInt16BE(18, 4);
    frame.writeInt16BE(99, 6);
    frame.writeInt32BE(7, 8);
    frame.writeInt16BE(-1, 12);
    const reply = await new Promise<Buffer>((resolve) => {
      let buf = Buffer.alloc(0);
      s.removeAllListeners("data");
      s.on("data", (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        if (buf.length >= 4 && buf.length >= 4 + buf.readInt32BE(0)) resolve(buf);
      });
      s.write(frame);
    });
    expect(reply.readInt32BE(4)).toBe(7); // correlation id, header v0
    expect(reply.readInt16BE(8)).toBe(35);
    const n = reply.readInt32BE(10);
    expect(n).toBeGreaterThan(5);
    const keys = Array.from({ length: n }, (_, i) => reply.readInt16BE(14 + i * 6));
    expect(keys).toContain(18);
    s.destroy();
  });
});

describe("bad input closes only that connection", () => {
  const cases: [string, () => Buffer][] = [
    ["random garbage", () => Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n" + "\x00\xff".repeat(100), "latin1")],
    ["a 2 GiB size prefix", () => Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 3, 0, 12])],
    ["a negative size prefix", () => Buffer.from([0xff, 0xff, 0xff, 0xf0])],
    ["a frame shorter than a header", () => Buffer.from([0, 0, 0, 3, 0, 3, 0])],
    [
      "an unknown API key",
      () => {
        const f = Buffer.alloc(14);
        f.writeInt32BE(10, 0);
        f.writeInt16BE(999, 4);
        f.writeInt16BE(0, 6);
        f.writeInt32BE(1, 8);
        f.writeInt16BE(-1, 12);
        return f;
      },
    ],
    [
      "an API this broker does not serve (JoinGroup)",
      () => {
        const f = Buffer.alloc(14);
        f.writeInt32BE(10, 0);
        f.writeInt16BE(11, 4);
        f.writeInt16BE(5, 6);
        f.writeInt32BE(1, 8);
        f.writeInt16BE(-1, 12);
        return f;
      },
    ],
    [
      "Produce v2 (advertised for librdkafka, not served)",
      () => {
        const body = encodeRequest({ requestApiKey: 0, requestApiVersion: 2, correlationId: 1, clientId: "x" }, { acks: 1, timeoutMs: 1000, topicData: [] });
        const size = Buffer.alloc(4);
        size.writeInt32BE(body.length);
        return Buffer.concat([size, body]);
      },
    ],
    [
      "a body that does not match its version (Metadata v12 with a truncated body)",
      () => {
        const good = encodeRequest({ requestApiKey: 3, requestApiVersion: 12, correlationId: 1, clientId: "x" }, { topics: [{ name: "abc" }] });
        const bad = good.subarray(0, good.length - 6);
        const size = Buffer.alloc(4);
        size.writeInt32BE(bad.length);
        return Buffer.concat([size, bad]);
      },
    ],
    [
      "Fetch v3 (below the served range)",
      () => {
        const body = encodeRequest({ requestApiKey: 1, requestApiVersion: 3, correlationId: 1, clientId: "x" }, { topics: [] });
        const size = Buffer.alloc(4);
        size.writeInt32BE(body.length);
        return Buffer.concat([size, body]);
      },
    ],
  ];
  for (const [name, make] of cases) {
    it(name, async () => {
      const bystander = await TestClient.connect(broker.port);
      const s = await rawSocket(broker.port);
      s.write(make());
      await waitClosed(s);
      const r = await bystander.request(ApiKey.ApiVersions, 2, {});
      expect(r.errorCode).toBe(0);
      await bystander.close();
      await apiVersionsStillWork();
    });
  }

  it("a truncated frame followed by the client closing leaves the broker healthy", async () => {
    const s = await rawSocket(broker.port);
    s.write(Buffer.from([0, 0, 0, 100, 0, 18, 0, 2, 0, 0, 0, 1]));
    s.end();
    await waitClosed(s);
    await apiVersionsStillWork();
  });
});

describe("pipelining", () => {
  it("answers pipelined requests in order", async () => {
    const c = await TestClient.connect(broker.port);
    const order: number[] = [];
    const ps = [];
    for (let i = 0; i < 50; i++) {
      const p = i % 2 === 0 ? c.request(ApiKey.ApiVersions, 2, {}) : c.request(ApiKey.Metadata, 9, { topics: [] });
      ps.push(p.then(() => order.push(i)));
    }
    await Promise.all(ps);
    expect(order).toEqual([...Array(50).keys()]);
    await c.close();
  });
});

describe("odradek:request diagnostics channel", () => {
  it("publishes one timing per answered request, in order, while subscribed", async () => {
    const seen: RequestTiming[] = [];
    const onTiming = (t: unknown) => void seen.push(t as RequestTiming);
    subscribe("odradek:request", onTiming);
    try {
      const c = await TestClient.connect(broker.port);
      await Promise.all([c.request(ApiKey.ApiVersions, 2, {}), c.request(ApiKey.Metadata, 9, { topics: [] })]);
      await c.close();
    } finally {
      unsubscribe("odradek:request", onTiming);
    }
    expect(seen.map((t) => t.apiKey)).toEqual([ApiKey.ApiVersions, ApiKey.Metadata]);
    for (const t of seen) {
      expect(t.waitMs).toBeGreaterThanOrEqual(0);
      expect(t.handleMs).toBeGreaterThanOrEqual(0);
      expect(t.sendMs).toBeGreaterThanOrEqual(0);
    }
    // Nothing is recorded without a subscriber.
    const c = await TestClient.connect(broker.port);
    await c.request(ApiKey.ApiVersions, 2, {});
    await c.close();
    expect(seen).toHaveLength(2);
  });
});
