/**
 * Drift test: the project's protocol definitions (protocol/**.def) against Apache Kafka's own
 * message JSON in ../shared/kafka-protocol-spec/message/. Every reference file must have a
 * definition, and each message must match version by version and field by field: name, type,
 * presence, nullability, tag and tagged versions, flexible versions; plus defaults, ignorable and
 * mapKey as written. Generic: a newer reference copy is checked the same way.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain ESM script shared with the generator
import { loadProtocol, parseVersions } from "../../../scripts/protocol/parse.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const REF_DIR = join(here, "..", "..", "..", "..", "shared", "kafka-protocol-spec", "message");

interface RefField {
  name: string; type: string; versions: string; nullableVersions?: string; tag?: number;
  taggedVersions?: string; flexibleVersions?: string; default?: unknown; ignorable?: boolean;
  mapKey?: boolean; fields?: RefField[];
}
interface RefMessage {
  apiKey?: number; type: string; name: string; validVersions: string; flexibleVersions: string;
  fields?: RefField[]; commonStructs?: { name: string; versions: string; fields: RefField[] }[];
}
interface OurField {
  name: string; type: string; versions: string; nullable?: string; tag?: number; tagged?: string;
  flexible?: string; default?: string | null; ignorable: boolean; mapKey: boolean; fields?: OurField[];
}

function readRef(path: string): RefMessage {
  const text = readFileSync(path, "utf8").split("\n").filter((l) => !l.trim().startsWith("//")).join("\n");
  const j = JSON.parse(text) as RefMessage;
  // A tagged-only field may leave out "versions" (TransactionLogValue): Kafka's generator then uses its
  // taggedVersions, as our importer does.
  const fill = (fs: RefField[] | undefined): void => {
    for (const f of fs ?? []) {
      f.versions ??= f.taggedVersions!;
      fill(f.fields);
    }
  };
  fill(j.fields);
  for (const c of j.commonStructs ?? []) fill(c.fields);
  return j;
}

type Range = { min: number; max: number };
const inRange = (r: Range, v: number) => v >= r.min && v <= r.max;
const range = (s: string | undefined): Range => (s ? (parseVersions(s) as Range) : { min: 0, max: -1 });

/** What a field looks like on the wire at one version (or undefined when absent). */
function wireShape(f: { name: string; type: string; versions: string }, nullable: string | undefined, tag: number | undefined, tagged: string | undefined, flexible: string | undefined, v: number): string | undefined {
  if (!inRange(range(f.versions), v)) return undefined;
  const isTagged = tagged !== undefined && inRange(range(tagged), v);
  return [
    f.name, f.type,
    inRange(range(nullable), v) ? "nullable" : "not-null",
    isTagged ? `tag=${tag}` : "body",
    flexible !== undefined ? `flexible=${flexible}` : "",
  ].join(" ");
}

function flattenRef(fields: RefField[], v: number, prefix: string, out: string[]): void {
  for (const f of fields) {
    const s = wireShape(f, f.nullableVersions, f.tag, f.taggedVersions, f.flexibleVersions, v);
    if (s === undefined) continue;
    out.push(prefix + s);
    if (f.fields) flattenRef(f.fields, v, `${prefix}${f.name}.`, out);
  }
}
function flattenOurs(fields: OurField[], v: number, prefix: string, out: string[]): void {
  for (const f of fields) {
    const s = wireShape(f, f.nullable, f.tag, f.tagged, f.flexible, v);
    if (s === undefined) continue;
    out.push(prefix + s);
    if (f.fields) flattenOurs(f.fields, v, `${prefix}${f.name}.`, out);
  }
}

const normDefault = (d: unknown): string | null | undefined =>
  d === undefined ? undefined : d === null || d === "null" ? null : String(d).toLowerCase();

/** Every declared fact of a field list, version-independent. */
function staticRef(fields: RefField[], prefix = ""): string[] {
  return fields.flatMap((f) => [
    `${prefix}${f.name} ${f.type} v=${f.versions} null=${f.nullableVersions ?? "-"} tag=${f.tag ?? "-"} tagged=${f.taggedVersions ?? "-"} flex=${f.flexibleVersions ?? "-"} default=${normDefault(f.default)} ignorable=${!!f.ignorable} mapKey=${!!f.mapKey}`,
    ...staticRef(f.fields ?? [], `${prefix}${f.name}.`),
  ]);
}
function staticOurs(fields: OurField[], prefix = ""): string[] {
  return fields.flatMap((f) => [
    `${prefix}${f.name} ${f.type} v=${f.versions} null=${f.nullable ?? "-"} tag=${f.tag ?? "-"} tagged=${f.tagged ?? "-"} flex=${f.flexible ?? "-"} default=${normDefault(f.default)} ignorable=${f.ignorable} mapKey=${f.mapKey}`,
    ...staticOurs(f.fields ?? [], `${prefix}${f.name}.`),
  ]);
}

// The reference lives beside the project (../shared), not in it. A plain clone without it skips with
// one line saying so; under CI (.ci/run sets CI=true) a missing reference fails instead.
const haveRef = existsSync(REF_DIR);
if (!haveRef && process.env.CI !== "true") console.log(`drift: skipped, no reference at ${REF_DIR} (it is ../shared/kafka-protocol-spec/message beside the project)`);

type Ours = { kind: string; name: string; apiKey?: number; versions: string; flexible: string; file: string; fields: OurField[]; commonStructs: { name: string; versions: string; fields: OurField[] }[] };
const loadOurs = () => loadProtocol() as Map<string, Ours>;

/** Compares one reference message with ours; returns the number of versions and field-versions checked. */
function compare(ref: RefMessage, mine: Ours, kind: string, mismatches: string[]): { versions: number; fieldChecks: number } {
  let versions = 0;
  let fieldChecks = 0;
  const head = (m: { kind: string; apiKey?: number | undefined; versions: string; flexible: string }) => `${m.kind} key=${m.apiKey ?? "-"} versions=${m.versions} flexible=${m.flexible}`;
  // An API whose versions were all removed ("none": LeaderAndIsr and the rest of 4-7) has no
  // flexibleVersions and no fields in the reference.
  const refHead = head({ kind, apiKey: ref.apiKey, versions: ref.validVersions, flexible: ref.flexibleVersions ?? "none" });
  if (refHead !== head(mine)) mismatches.push(`${ref.name}: header ${head(mine)} != ${refHead}`);
  const valid = range(ref.validVersions);
  for (let v = valid.min; v <= valid.max; v++) {
    versions++;
    const a: string[] = [];
    const b: string[] = [];
    flattenRef(ref.fields ?? [], v, "", a);
    flattenOurs(mine.fields, v, "", b);
    for (const cs of ref.commonStructs ?? []) flattenRef(cs.fields, v, `${cs.name}::`, a);
    for (const cs of mine.commonStructs) flattenOurs(cs.fields, v, `${cs.name}::`, b);
    fieldChecks += a.length;
    if (a.join("\n") !== b.join("\n")) mismatches.push(`${ref.name} v${v}: fields differ\n  ours: ${b.join(" | ")}\n  ref:  ${a.join(" | ")}`);
  }
  const sa = [...staticRef(ref.fields ?? []), ...(ref.commonStructs ?? []).flatMap((c) => [`struct ${c.name} ${c.versions}`, ...staticRef(c.fields, `${c.name}::`)])];
  const sb = [...staticOurs(mine.fields), ...mine.commonStructs.flatMap((c) => [`struct ${c.name} ${c.versions}`, ...staticOurs(c.fields, `${c.name}::`)])];
  if (sa.join("\n") !== sb.join("\n")) mismatches.push(`${ref.name}: declared facts differ`);
  return { versions, fieldChecks };
}

describe("protocol definitions match Apache Kafka's message definitions", () => {
  it.skipIf(!haveRef && process.env.CI !== "true")("every reference file, every version, every field", () => {
    expect(haveRef, `the reference ${REF_DIR} is missing (CI needs ../shared beside the clone)`).toBe(true);
    const ours = loadOurs();
    const files = readdirSync(REF_DIR).filter((f) => f.endsWith(".json")).sort();
    const mismatches: string[] = [];
    let versions = 0;
    let fieldChecks = 0;
    for (const file of files) {
      const ref = readRef(join(REF_DIR, file));
      const mine = ours.get(ref.name);
      if (!mine) {
        mismatches.push(`${file}: ${ref.name} has no definition in protocol/`);
        continue;
      }
      const n = compare(ref, mine, ref.type, mismatches);
      versions += n.versions;
      fieldChecks += n.fieldChecks;
    }
    const refNames = new Set(files.map((f) => readRef(join(REF_DIR, f)).name));
    for (const [name, m] of ours) if (!refNames.has(name) && !m.file.startsWith("records/")) mismatches.push(`${name} is in protocol/ but not in the reference`);
    console.log(`drift: compared ${files.length} messages, ${versions} versions, ${fieldChecks} field-versions; ${mismatches.length} mismatches`);
    expect(mismatches).toEqual([]);
    expect(files.length).toBeGreaterThan(0);
  });

  // protocol/records/ (coordinator record layouts) against the JSON inside Kafka 4.4's coordinator jars,
  // which scripts/kafka/fetch.sh puts in test-compat/.cache (the compat run and the Java tests fetch it).
  const libs = join(here, "..", "..", "..", "test-compat", ".cache", "kafka-4.4.0", "libs");
  const jars = existsSync(libs) ? readdirSync(libs).filter((f) => /^kafka-(group|transaction|share)-coordinator-4\.4\.0\.jar$/.test(f)) : [];
  if (jars.length === 0) console.log(`drift: coordinator records not checked, no Kafka coordinator jars in ${libs} (scripts/kafka/fetch.sh puts them there)`);
  it.skipIf(jars.length === 0)("every coordinator record schema in protocol/records/ matches Kafka 4.4's coordinator jars", () => {
    const ours = [...loadOurs().values()].filter((m) => m.file.startsWith("records/"));
    expect(ours.length).toBeGreaterThan(0);
    const out = mkdtempSync(join(tmpdir(), "odradek-records-"));
    try {
      for (const jar of jars) execFileSync("unzip", ["-q", "-o", join(libs, jar), "common/message/*.json", "-d", out]);
      const mismatches: string[] = [];
      for (const mine of ours) {
        const file = join(out, "common", "message", `${mine.name}.json`);
        if (!existsSync(file)) {
          mismatches.push(`${mine.name}: not in Kafka's coordinator jars`);
          continue;
        }
        compare(readRef(file), mine, "data", mismatches);
      }
      expect(mismatches).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
