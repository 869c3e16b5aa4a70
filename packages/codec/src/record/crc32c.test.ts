import { describe, expect, it } from "vitest";
import { existsSync } from "node:fs";
import { crc32c, crc32cImplementation, crc32cImplementations, crc32cSoftware } from "./crc32c.js";

describe("crc32c", () => {
  it("known vectors", () => {
    for (const f of [crc32c, crc32cSoftware]) {
      expect(f(Buffer.from("123456789"))).toBe(0xe3069283);
      expect(f(Buffer.alloc(0))).toBe(0);
      expect(f(Buffer.alloc(32))).toBe(0x8a9136aa); // RFC 3720 B.4: 32 bytes of zeros
      expect(f(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43); // 32 bytes of 0xFF
      expect(f(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e); // 0x00..0x1F
    }
  });
  it("honours start and end", () => {
    const b = Buffer.from("xx123456789yy");
    expect(crc32c(b, 2, 11)).toBe(0xe3069283);
    expect(crc32cSoftware(b, 2, 11)).toBe(0xe3069283);
    expect(crc32c(b.subarray(2, 11))).toBe(0xe3069283);
  });
  it("the native and table implementations agree on every length and alignment", () => {
    const b = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 131 + (i >>> 7)) & 0xff));
    for (const [s, e] of [[0, 5000], [1, 4999], [3, 300], [7, 1031], [0, 255], [0, 256], [13, 13]] as const) {
      expect(crc32c(b, s, e)).toBe(crc32cSoftware(b, s, e));
    }
  });
  it("every implementation that loads gives the same CRCs (known vectors, lengths, alignments)", () => {
    const impls = crc32cImplementations();
    // Built at install where a compiler and Node's headers exist (scripts/build-native.mjs).
    if (existsSync(new URL("../../native/build/crc32c.node", import.meta.url))) expect(impls.map(([n]) => n)).toContain("cpu");
    const b = Buffer.from(Array.from({ length: 20000 }, (_, i) => (i * 131 + (i >>> 7)) & 0xff));
    for (const [name, f] of impls) {
      expect(f(Buffer.from("123456789"), 0, 9), name).toBe(0xe3069283);
      expect(f(Buffer.alloc(32), 0, 32), name).toBe(0x8a9136aa);
      for (const [s, e] of [[0, 20000], [1, 19999], [3, 300], [5, 16424], [7, 1031], [0, 7], [13, 13]] as const) {
        expect(f(b, s, e), `${name} [${s}, ${e})`).toBe(crc32cSoftware(b, s, e));
      }
      expect(f(b.subarray(9, 4000), 0, 3991), name).toBe(crc32cSoftware(b, 9, 4000));
    }
  });
  it("returns an unsigned number", () => {
    expect(crc32c(Buffer.from("123456789"))).toBeGreaterThan(0x7fffffff);
  });
  it("rejects a range outside the buffer", () => {
    expect(() => crc32cSoftware(Buffer.alloc(4), 0, 5)).toThrow(RangeError);
    expect(() => crc32c(Buffer.alloc(4), 3, 2)).toThrow(RangeError);
  });
  it("reports which implementation is in use", () => {
    crc32c(Buffer.alloc(1024));
    expect(["cpu", "node-rs", "js"]).toContain(crc32cImplementation);
  });
});
