/**
 * Fuzz run over every request type: valid frames (random values at every version) are mutated —
 * bit flips, truncation, inserted and deleted bytes, overwritten length fields, hostile counts — and
 * fed to decodeRequest. Each must decode or fail with a DecodeError: never another exception, never
 * a hang. Length and count fields larger than what is left of the frame are rejected before any
 * allocation (see Reader.arrayLength), so a 30-byte frame cannot ask for a 2^31-element array.
 */
import { describe, expect, it } from "vitest";
import { API_DEFINITIONS, DecodeError, decodeRequest, encodeRequest } from "../src/index.js";
import { PROTOCOL, randomMessage, rng } from "./random-message.js";

const TOTAL_FRAMES = 120_000;

function seedFrames(): Buffer[] {
  const r = rng(42);
  const frames: Buffer[] = [];
  for (const def of API_DEFINITIONS) {
    if (!def) continue;
    const msg = PROTOCOL.get(def.request.name)!;
    for (let v = def.request.minVersion; v <= def.request.maxVersion; v++) {
      for (let i = 0; i < 3; i++) {
        const body = randomMessage(msg, v, r);
        frames.push(encodeRequest({ requestApiKey: def.apiKey, requestApiVersion: v, correlationId: i, clientId: "fuzz" }, body));
      }
    }
  }
  return frames;
}

function mutate(src: Buffer, r: () => number): Buffer {
  const b = Buffer.from(src);
  const kind = Math.floor(r() * 7);
  const at = () => Math.floor(r() * Math.max(1, b.length));
  switch (kind) {
    case 0: { // flip bits
      const n = 1 + Math.floor(r() * 4);
      for (let i = 0; i < n && b.length; i++) b[at()]! ^= 1 << Math.floor(r() * 8);
      return b;
    }
    case 1: // truncate
      return b.subarray(0, at());
    case 2: { // insert random bytes
      const p = at();
      const ins = Buffer.from(Array.from({ length: 1 + Math.floor(r() * 8) }, () => Math.floor(r() * 256)));
      return Buffer.concat([b.subarray(0, p), ins, b.subarray(p)]);
    }
    case 3: { // delete a run
      const p = at();
      return Buffer.concat([b.subarray(0, p), b.subarray(p + 1 + Math.floor(r() * 8))]);
    }
    case 4: { // hostile int32 (array counts / bytes lengths) after the header
      if (b.length >= 12) b.writeInt32BE([0x7fffffff, -2, 0x40000000, 65535][Math.floor(r() * 4)]!, 8 + Math.floor(r() * (b.length - 11)));
      return b;
    }
    case 5: { // hostile varint (compact lengths): 0xff… continuation bytes
      const p = at();
      for (let i = p; i < Math.min(b.length, p + 1 + Math.floor(r() * 6)); i++) b[i] = 0xff;
      return b;
    }
    default: { // pure random frame with a plausible header
      const out = Buffer.from(Array.from({ length: 8 + Math.floor(r() * 64) }, () => Math.floor(r() * 256)));
      const keys = API_DEFINITIONS.filter((d) => d !== undefined);
      const d = keys[Math.floor(r() * keys.length)]!;
      out.writeInt16BE(d.apiKey, 0);
      out.writeInt16BE(d.request.minVersion + Math.floor(r() * (d.request.maxVersion - d.request.minVersion + 1)), 2);
      return out;
    }
  }
}

describe("request decoder under fuzzing", () => {
  it(`${TOTAL_FRAMES} mutated and random frames end in a value or a DecodeError`, () => {
    const seeds = seedFrames();
    const r = rng(7);
    let decoded = 0;
    let rejected = 0;
    for (let i = 0; i < TOTAL_FRAMES; i++) {
      const frame = mutate(seeds[i % seeds.length]!, r);
      try {
        decodeRequest(frame);
        decoded++;
      } catch (e) {
        if (!(e instanceof DecodeError)) {
          throw new Error(`frame ${i} (${frame.toString("hex").slice(0, 200)}) threw ${(e as Error).name}: ${(e as Error).message}`);
        }
        rejected++;
      }
    }
    console.log(`fuzz: ${seeds.length} seed frames, ${TOTAL_FRAMES} mutations: ${decoded} decoded, ${rejected} rejected with DecodeError`);
    expect(decoded + rejected).toBe(TOTAL_FRAMES);
    expect(rejected).toBeGreaterThan(TOTAL_FRAMES / 4);
  });

  it("rejects a 2^31-element array and a string past the frame end without allocating", () => {
    // Metadata v1: header (apiKey 3, version 1, correlation id, client id "x"), then topics count.
    const head = Buffer.from([0, 3, 0, 1, 0, 0, 0, 1, 0, 1, 0x78]);
    const huge = Buffer.alloc(4);
    huge.writeInt32BE(0x7fffffff);
    expect(() => decodeRequest(Buffer.concat([head, huge]))).toThrow(DecodeError);
    // One topic whose name claims 30000 bytes.
    const one = Buffer.from([0, 0, 0, 1, 0x75, 0x30, 0x61]);
    expect(() => decodeRequest(Buffer.concat([head, one]))).toThrow(/need 30000 bytes/);
    // Compact array count varint that never ends.
    const apiV3 = Buffer.from([0, 18, 0, 3, 0, 0, 0, 1, 0, 1, 0x78, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(() => decodeRequest(apiV3)).toThrow(DecodeError);
  });
});
