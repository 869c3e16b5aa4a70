/**
 * Round-trip property test: for every message in protocol/ and every version, random values
 * encode, decode back to the same value, and re-encode to the same bytes.
 */
import { describe, expect, it } from "vitest";
import { API_DEFINITIONS, Reader, Writer } from "../src/index.js";
import type { MessageCodec } from "../src/index.js";
import * as generated from "../src/generated/index.js";
import { PROTOCOL, clean, randomMessage, rng, versionRange } from "./random-message.js";

const ITERATIONS = 25;

function codecFor(name: string): MessageCodec {
  for (const def of API_DEFINITIONS) {
    if (!def) continue;
    if (def.request.name === name) return def.request;
    if (def.response.name === name) return def.response;
  }
  const g = generated as unknown as Record<string, unknown>;
  const read = g[`read${name}`] as MessageCodec["read"];
  const write = g[`write${name}`] as MessageCodec["write"];
  return { name, minVersion: 0, maxVersion: 0, flexibleMin: -1, read, write };
}

describe("every message and version survives encode → decode → encode", () => {
  let cases = 0;
  for (const msg of PROTOCOL.values()) {
    const { min, max } = versionRange(msg.versions);
    if (min > max) {
      // A removed API (versions=none, keys 4-7 since Kafka 4.0) has no codec at all.
      it(`${msg.name} (removed: no codec)`, () => {
        expect(API_DEFINITIONS[msg.apiKey ?? -1]).toBeUndefined();
        expect((generated as unknown as Record<string, unknown>)[`read${msg.name}`]).toBeUndefined();
      });
      continue;
    }
    it(msg.name, () => {
      const codec = codecFor(msg.name);
      expect(typeof codec.read).toBe("function");
      for (let v = min; v <= max; v++) {
        const r = rng(v * 7919 + msg.name.length);
        for (let i = 0; i < ITERATIONS; i++) {
          const value = randomMessage(msg, v, r);
          const w = new Writer(16);
          codec.write(w, v, value);
          const bytes = w.toBuffer();
          const reader = new Reader(bytes);
          const decoded = codec.read(reader, v);
          expect(reader.remaining, `${msg.name} v${v}: trailing bytes`).toBe(0);
          expect(clean(decoded), `${msg.name} v${v}`).toEqual(clean(value));
          const w2 = new Writer(16);
          codec.write(w2, v, decoded);
          expect(w2.toBuffer().equals(bytes), `${msg.name} v${v}: re-encode differs`).toBe(true);
          cases++;
        }
      }
    });
  }
  it("covered every message", () => {
    expect(cases).toBeGreaterThan(PROTOCOL.size * ITERATIONS);
  });
});
