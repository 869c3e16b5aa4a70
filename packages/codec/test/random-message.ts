/**
 * Test helper: random message values driven by the protocol definitions, valid for one version
 * (fields absent at that version hold their defaults, null appears only where nullable).
 */
// @ts-expect-error plain ESM script shared with the generator
import { loadProtocol, parseVersions } from "../../../scripts/protocol/parse.mjs";
import { ZERO_UUID } from "../src/uuid.js";

export interface DefField {
  name: string; type: string; versions: string; nullable?: string; tag?: number; tagged?: string;
  default?: string | null; fields?: DefField[];
}
export interface DefMessage {
  kind: string; name: string; apiKey?: number; versions: string; flexible: string; fields: DefField[];
  commonStructs: { name: string; fields: DefField[] }[];
}

export const PROTOCOL = loadProtocol() as Map<string, DefMessage>;
export const versionRange = (s: string): { min: number; max: number } => parseVersions(s);
const has = (s: string | undefined, v: number) => {
  if (!s) return false;
  const r = versionRange(s);
  return v >= r.min && v <= r.max;
};

/** Small seeded PRNG (mulberry32) so failures reproduce. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const camel = (s: string) => s[0]!.toLowerCase() + s.slice(1);

function defaultOf(f: DefField, msg: DefMessage): unknown {
  const isArray = f.type.startsWith("[]");
  const base = f.type.replace(/^\[\]/, "");
  if (isArray) return f.default === null ? null : [];
  const struct = structFields(base, f, msg);
  if (struct) return f.default === null ? null : defaultStruct(struct, msg);
  if (f.default === null) return null;
  switch (base) {
    case "bool": return f.default === undefined ? false : String(f.default).toLowerCase() === "true";
    case "int64": return f.default === undefined ? 0n : BigInt(f.default);
    case "string": return f.default ?? "";
    case "uuid": return ZERO_UUID;
    case "bytes": return Buffer.alloc(0);
    case "records": return null;
    default: return f.default === undefined ? 0 : Number(f.default);
  }
}

function structFields(base: string, f: DefField, msg: DefMessage): DefField[] | undefined {
  if (f.fields) return f.fields;
  return msg.commonStructs.find((c) => c.name === base)?.fields;
}

function defaultStruct(fields: DefField[], msg: DefMessage): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) o[camel(f.name)] = defaultOf(f, msg);
  return o;
}

function randomScalar(base: string, r: () => number): unknown {
  const int = (bits: number) => Math.floor(r() * 2 ** bits) - 2 ** (bits - 1);
  switch (base) {
    case "bool": return r() < 0.5;
    case "int8": return int(8);
    case "int16": return int(16);
    case "uint16": return Math.floor(r() * 65536);
    case "int32": return int(32);
    case "int64": return BigInt.asIntN(64, (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32)));
    case "float64": return (r() - 0.5) * 1e6 || 1.5;
    case "uuid": return Buffer.from(Array.from({ length: 16 }, () => Math.floor(r() * 256))).toString("base64url");
    case "string": {
      const alphabet = ["a", "Z", "0", "-", "_", ".", "é", "日", "😀", " "];
      const n = Math.floor(r() * 12);
      let s = "";
      for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
      return s;
    }
    case "bytes": case "records":
      return Buffer.from(Array.from({ length: Math.floor(r() * 40) }, () => Math.floor(r() * 256)));
  }
  throw new Error(`unknown type ${base}`);
}

function randomField(f: DefField, v: number, r: () => number, msg: DefMessage, depth: number): unknown {
  if (!has(f.versions, v)) return defaultOf(f, msg);
  const nullable = has(f.nullable, v);
  if (nullable && r() < 0.2) return null;
  const isArray = f.type.startsWith("[]");
  const base = f.type.replace(/^\[\]/, "");
  const struct = structFields(base, f, msg);
  if (isArray) {
    const n = depth > 3 ? 0 : Math.floor(r() * 3);
    return Array.from({ length: n }, () => (struct ? randomStruct(struct, v, r, msg, depth + 1) : randomScalar(base, r)));
  }
  if (struct) return randomStruct(struct, v, r, msg, depth + 1);
  return randomScalar(base, r);
}

function randomStruct(fields: DefField[], v: number, r: () => number, msg: DefMessage, depth: number): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const f of fields) o[camel(f.name)] = randomField(f, v, r, msg, depth);
  return o;
}

/** A random value of `msg` valid at version `v`. */
export function randomMessage(msg: DefMessage, v: number, r: () => number): Record<string, unknown> {
  return randomStruct(msg.fields, v, r, msg, 0);
}

/** Removes `_unknownTaggedFields: undefined` keys so values compare cleanly. */
export function clean(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(clean);
  if (x && typeof x === "object" && !Buffer.isBuffer(x)) {
    const o: Record<string, unknown> = {};
    for (const [k, val] of Object.entries(x)) if (val !== undefined) o[k] = clean(val);
    return o;
  }
  return x;
}
