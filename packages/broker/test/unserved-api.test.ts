/**
 * An API key or version the broker does not serve: one warning that names the client id, the
 * peer's address, the API and the version, then the connection closes (as Kafka closes it); other
 * connections carry on. And the request timings name the client (KIP-511 software name).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subscribe, unsubscribe } from "node:diagnostics_channel";
import { ApiKey, encodeRequest } from "@odradek/codec";
import { startBroker } from "../src/index.js";
import type { Logger, RunningBroker } from "../src/index.js";
import type { RequestTiming } from "../src/network/connection.js";
import { TestClient, rawSocket, waitClosed } from "./helpers.js";

interface Line { level: string; bindings: Record<string, unknown>; obj: Record<string, unknown>; msg: string | undefined }
function recordingLogger(lines: Line[], bindings: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (a: object | string, msg?: string) => {
    if (typeof a === "string") lines.push({ level, bindings, obj: {}, msg: a });
    else lines.push({ level, bindings, obj: a as Record<string, unknown>, msg });
  };
  return {
    trace: at("trace"), debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), fatal: at("fatal"),
    child: (b) => recordingLogger(lines, { ...bindings, ...b }),
  };
}

const lines: Line[] = [];
let broker: RunningBroker;
beforeAll(async () => {
  broker = await startBroker({ logger: recordingLogger(lines) });
});
afterAll(async () => {
  await broker.close();
});

async function sendRaw(apiKey: number, apiVersion: number, clientId: string): Promise<void> {
  const s = await rawSocket(broker.port);
  // The body of an unserved API is never decoded: the header alone decides.
  const frame = encodeRequest({ requestApiKey: ApiKey.ApiVersions, requestApiVersion: 2, correlationId: 5, clientId }, {});
  frame.writeInt16BE(apiKey, 0);
  frame.writeInt16BE(apiVersion, 2);
  const size = Buffer.alloc(4);
  size.writeInt32BE(frame.length);
  s.write(Buffer.concat([size, frame]));
  await waitClosed(s);
}

describe("unserved APIs are visible", () => {
  it("an unserved API key: one warning naming client id, address, API and version; the connection closes", async () => {
    lines.length = 0;
    await sendRaw(ApiKey.CreateAcls, 3, "my-producer");
    const warns = lines.filter((l) => l.level === "warn");
    expect(warns).toHaveLength(1);
    expect(warns[0]!.obj).toMatchObject({ clientId: "my-producer", api: "CreateAcls", apiKey: 30, apiVersion: 3, served: "not served", reason: "CreateAcls is not served by this broker" });
    expect(String(warns[0]!.bindings.remote)).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it("a version outside the served range names the range", async () => {
    lines.length = 0;
    await sendRaw(ApiKey.Produce, 2, "old-producer");
    const warns = lines.filter((l) => l.level === "warn");
    expect(warns).toHaveLength(1);
    expect(warns[0]!.obj).toMatchObject({ clientId: "old-producer", api: "Produce", apiVersion: 2, served: "3-13", reason: "Produce v2 is not served (3-13)" });
  });

  it("an API key no Kafka defines", async () => {
    lines.length = 0;
    await sendRaw(4, 7, "inter-broker");
    expect(lines.filter((l) => l.level === "warn").map((l) => l.obj)).toEqual([expect.objectContaining({ clientId: "inter-broker", api: "unknown API key 4", apiVersion: 7 })]);
    const c = await TestClient.connect(broker.port);
    expect((await c.request(ApiKey.ApiVersions, 3, { clientSoftwareName: "t", clientSoftwareVersion: "1" })).errorCode).toBe(0);
    await c.close();
  });

  it("request timings carry the client id and its KIP-511 software name", async () => {
    const seen: RequestTiming[] = [];
    const fn = (m: unknown) => void seen.push(m as RequestTiming);
    subscribe("odradek:request", fn);
    try {
      const c = await TestClient.connect(broker.port);
      await c.request(ApiKey.ApiVersions, 4, { clientSoftwareName: "my-lib", clientSoftwareVersion: "9.9" });
      await c.request(ApiKey.Metadata, 13, { topics: [] });
      await c.close();
    } finally {
      unsubscribe("odradek:request", fn);
    }
    const md = seen.find((t) => t.apiKey === ApiKey.Metadata);
    expect(md).toMatchObject({ apiVersion: 13, clientId: "odradek-test", clientSoftwareName: "my-lib", clientSoftwareVersion: "9.9" });
  });
});
