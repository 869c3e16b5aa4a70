#!/usr/bin/env node
// Derives the project's protocol definitions (protocol/**/*.def) from Apache Kafka's message JSON
// files. Only facts are carried over: names, types, version ranges, nullable/tagged versions, tags,
// defaults, flexible versions, ignorable and mapKey flags. Upstream comments and `about` texts are
// dropped. Run when a newer reference spec arrives, then review the diff of protocol/:
//   node scripts/import-protocol.mjs ../shared/kafka-protocol-spec/message
// The drift test (packages/codec/test/drift.test.ts) checks protocol/ against the reference on every run.
import { readFileSync, readdirSync, writeFileSync, mkdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = (process.argv[2] !== "--records" && process.argv[2]) || join(root, "..", "shared", "kafka-protocol-spec", "message");

/** Kafka's JSON files carry `//` line comments; they are not JSON. */
export function readKafkaJson(path) {
  const text = readFileSync(path, "utf8")
    .split("\n")
    .filter((l) => !l.trim().startsWith("//"))
    .join("\n");
  return JSON.parse(text);
}

const kebab = (s) => s.replace(/KRaft/g, "Kraft").replace(/([a-z0-9])([A-Z])/g, "$1-$2").replace(/([A-Z])([A-Z][a-z])/g, "$1-$2").toLowerCase();

function defaultText(d) {
  if (typeof d === "string") {
    if (d === "null") return "null";
    if (d === "") return '""';
    if (/^(true|false)$/i.test(d)) return d.toLowerCase();
    if (/^-?(0x[0-9a-f]+|\d+(\.\d+)?)$/i.test(d)) return d;
    return JSON.stringify(d);
  }
  return String(d);
}

function fieldLines(fields, depth, out) {
  const rows = fields.map((f) => {
    const attrs = [];
    if (f.nullableVersions) attrs.push(`nullable=${f.nullableVersions}`);
    if (f.tag !== undefined) attrs.push(`tag=${f.tag}`);
    if (f.taggedVersions) attrs.push(`tagged=${f.taggedVersions}`);
    if (f.flexibleVersions) attrs.push(`flexible=${f.flexibleVersions}`);
    if (f.default !== undefined) attrs.push(`default=${defaultText(f.default)}`);
    if (f.ignorable) attrs.push("ignorable");
    if (f.mapKey) attrs.push("mapKey");
    // A tagged-only field may leave out "versions": Kafka's generator then takes its taggedVersions.
    return { f, cols: [f.name, f.type, f.versions ?? f.taggedVersions, attrs.join(" ")] };
  });
  const w0 = Math.max(...rows.map((r) => r.cols[0].length));
  const w1 = Math.max(...rows.map((r) => r.cols[1].length));
  const w2 = Math.max(...rows.map((r) => r.cols[2].length));
  for (const { f, cols } of rows) {
    const line = "  ".repeat(depth) + [cols[0].padEnd(w0), cols[1].padEnd(w1), cols[2].padEnd(w2), cols[3]].join("  ");
    out.push(line.trimEnd());
    if (f.fields) fieldLines(f.fields, depth + 1, out);
  }
}

function messageBlock(j, out) {
  const head = [j.type, j.name];
  if (j.apiKey !== undefined) head.push(`key=${j.apiKey}`);
  // An API whose every version Kafka removed (LeaderAndIsr and the other inter-broker APIs 4-7 in 4.x)
  // has "validVersions": "none", no flexibleVersions and no fields: kept as an empty block, so that the
  // key stays reserved and the drift test sees it, and the generator writes no codec for it.
  head.push(`versions=${j.validVersions}`, `flexible=${j.flexibleVersions ?? "none"}`);
  if (j.deprecatedVersions) head.push(`deprecated=${j.deprecatedVersions}`);
  if (j.listeners) head.push(`listeners=${j.listeners.join(",")}`);
  if (j.latestVersionUnstable) head.push("unstable");
  out.push(head.join(" "));
  if (j.fields?.length) fieldLines(j.fields, 1, out);
  for (const cs of j.commonStructs ?? []) {
    out.push(`common ${cs.name} versions=${cs.versions}`);
    fieldLines(cs.fields, 1, out);
  }
}

const BANNER = (what) =>
  `# ${what}\n# Facts derived from Apache Kafka's message definitions; format in protocol/README.md.\n`;

export function importAll() {
  const files = readdirSync(src).filter((f) => f.endsWith(".json"));
  const byKey = new Map();
  const others = [];
  for (const f of files) {
    const j = readKafkaJson(join(src, f));
    if (j.type === "request" || j.type === "response") {
      const e = byKey.get(j.apiKey) ?? {};
      e[j.type] = j;
      byKey.set(j.apiKey, e);
    } else others.push(j);
  }
  mkdirSync(join(root, "protocol", "messages"), { recursive: true });
  mkdirSync(join(root, "protocol", "headers"), { recursive: true });
  mkdirSync(join(root, "protocol", "data"), { recursive: true });
  for (const [key, { request, response }] of [...byKey].sort((a, b) => a[0] - b[0])) {
    const api = request.name.replace(/Request$/, "");
    const out = [BANNER(`${api} (API key ${key})`)];
    messageBlock(request, out);
    out.push("");
    messageBlock(response, out);
    writeFileSync(join(root, "protocol", "messages", `${String(key).padStart(3, "0")}-${kebab(api)}.def`), out.join("\n") + "\n");
  }
  for (const j of others) {
    const out = [BANNER(j.name)];
    messageBlock(j, out);
    const dir = j.type === "header" ? "headers" : "data";
    writeFileSync(join(root, "protocol", dir, `${kebab(j.name)}.def`), out.join("\n") + "\n");
  }
  return { apis: byKey.size, others: others.length };
}

/**
 * Coordinator records (the key and value layouts of `__consumer_offsets`, `__transaction_state`, ...):
 * Kafka keeps their JSON inside the coordinator jars, not in the clients' message folder. Each becomes a
 * `data` block in protocol/records/<name>.def; `key=` is the record type (Kafka's "apiKey" there).
 *   node scripts/import-protocol.mjs --records <dir with GroupMetadataKey.json, ...> [Name ...]
 */
export function importRecords(dir, names) {
  mkdirSync(join(root, "protocol", "records"), { recursive: true });
  for (const name of names) {
    const j = readKafkaJson(join(dir, `${name}.json`));
    const out = [BANNER(`${j.name} (coordinator record type ${j.apiKey}, ${j.type.replace("coordinator-", "")})`)];
    messageBlock({ ...j, type: "data" }, out);
    writeFileSync(join(root, "protocol", "records", `${kebab(j.name)}.def`), out.join("\n") + "\n");
  }
  return names.length;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (process.argv[2] === "--records") {
    const n = importRecords(process.argv[3], process.argv.slice(4));
    console.log(`imported ${n} coordinator record schemas from ${process.argv[3]}`);
  } else {
    const r = importAll();
    console.log(`imported ${r.apis} APIs and ${r.others} other schemas from ${src}`);
  }
}
