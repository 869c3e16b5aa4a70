/**
 * The built package (dist/, as the broker and the CLI load it under Node's own loader) loads each
 * API's (and data schema's) generated module on first use, and the modules it loads share the package's instances
 * (DecodeError thrown inside one is the DecodeError the package exports). Vitest runs the TypeScript
 * sources through its own loader, where the registry imports every API module up front; so this
 * test runs its checks in a plain `node` child process against dist/ (built by `pnpm test` first).
 * Skipped on a Node.js without synchronous require() of ES modules, where dist/ loads eagerly too.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";

const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "dist", "index.js");
const requireEsm = (process.features as { require_module?: boolean }).require_module === true;

const script = `
const codec = await import(${JSON.stringify(pathToFileURL(dist).href)});
const { API_DEFINITIONS, DecodeError, Reader, Writer, decodeRequest, encodeRequest, isApiModuleLoaded, readConsumerProtocolSubscription, writeConsumerProtocolSubscription } = codec;
const out = { loadedAtImport: [], roundTrips: 0, failures: [], decodeErrorShared: false, produceLoadedAfter: false, dataSchema: null };
for (const def of API_DEFINITIONS) if (def && isApiModuleLoaded(def.apiKey)) out.loadedAtImport.push(def.apiKey);
const frame = encodeRequest({ requestApiKey: 0, requestApiVersion: 9, correlationId: 7, clientId: "t" }, { acks: 1, timeoutMs: 100, topicData: [] });
out.produceLoadedAfter = decodeRequest(frame).header.correlationId === 7 && isApiModuleLoaded(0);
try { decodeRequest(frame.subarray(0, frame.length - 2)); } catch (e) { out.decodeErrorShared = e instanceof DecodeError; }
for (const def of API_DEFINITIONS) {
  if (!def) continue;
  for (const c of [def.request, def.response]) {
    for (let v = c.minVersion; v <= c.maxVersion; v++) {
      try {
        const w = new Writer();
        c.write(w, v, {});
        const bytes = Buffer.concat(w.finish());
        c.read(new Reader(bytes), v);
        out.roundTrips++;
      } catch (e) { out.failures.push(c.name + " v" + v + ": " + e.message); }
    }
  }
}
{
  const w = new Writer();
  writeConsumerProtocolSubscription(w, 1, { topics: ["a", "b"] });
  out.dataSchema = readConsumerProtocolSubscription(new Reader(Buffer.concat(w.finish())), 1).topics;
}
process.stdout.write(JSON.stringify(out));
`;

describe.skipIf(!requireEsm || !existsSync(dist))("lazy loading of the generated API modules (dist/)", () => {
  it("loads no API module at import, each on first use, sharing the package's classes", () => {
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    const out = JSON.parse(r.stdout) as { loadedAtImport: number[]; roundTrips: number; failures: string[]; decodeErrorShared: boolean; produceLoadedAfter: boolean; dataSchema: string[] };
    expect(out.loadedAtImport).toEqual([]);
    expect(out.produceLoadedAfter).toBe(true);
    expect(out.decodeErrorShared).toBe(true);
    expect(out.failures).toEqual([]);
    expect(out.roundTrips).toBeGreaterThan(500);
    expect(out.dataSchema).toEqual(["a", "b"]);
  });
});
