// Parser for the project's protocol definitions (protocol/**/*.def); the format is described in
// protocol/README.md. Used by the codec generator and by the drift test.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

export const PROTOCOL_DIR = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "protocol");

/**
 * @typedef {{ min: number, max: number }} VersionRange  max = Infinity for "N+"; min > max for "none"
 * @typedef {{ name: string, type: string, versions: string, nullable?: string, tag?: number,
 *   tagged?: string, flexible?: string, default?: string, ignorable: boolean, mapKey: boolean,
 *   fields?: Field[] }} Field
 * @typedef {{ kind: "request"|"response"|"header"|"data", name: string, apiKey?: number,
 *   versions: string, flexible: string, deprecated?: string, listeners?: string[], unstable: boolean,
 *   fields: Field[], commonStructs: { name: string, versions: string, fields: Field[] }[], file: string }} Message
 */

/** "0+", "3-5", "7", "none" → inclusive range. */
export function parseVersions(text) {
  if (text === "none") return { min: 0, max: -1 };
  let m = /^(\d+)\+$/.exec(text);
  if (m) return { min: Number(m[1]), max: Infinity };
  m = /^(\d+)-(\d+)$/.exec(text);
  if (m) return { min: Number(m[1]), max: Number(m[2]) };
  if (/^\d+$/.test(text)) return { min: Number(text), max: Number(text) };
  throw new Error(`bad version range: ${text}`);
}

function tokenize(line) {
  const out = [];
  const re = /\s*("(?:[^"\\]|\\.)*"|\S+)/gy;
  let m;
  while ((m = re.exec(line))) out.push(m[1]);
  return out;
}

function parseAttrs(tokens) {
  const attrs = {};
  for (const t of tokens) {
    const eq = t.indexOf("=");
    if (eq < 0) attrs[t] = true;
    else attrs[t.slice(0, eq)] = t.slice(eq + 1);
  }
  return attrs;
}

/** @returns {Message[]} */
export function parseDef(text, file = "<text>") {
  /** @type {Message[]} */
  const messages = [];
  /** @type {{ depth: number, fields: Field[] }[]} */
  let stack = [];
  let lineNo = 0;
  for (const raw of text.split("\n")) {
    lineNo++;
    if (!raw.trim() || raw.trimStart().startsWith("#")) continue;
    const indent = raw.length - raw.trimStart().length;
    if (indent % 2) throw new Error(`${file}:${lineNo}: odd indentation`);
    const depth = indent / 2;
    const tokens = tokenize(raw.trim());
    if (depth === 0) {
      const [kind, name, ...rest] = tokens;
      const a = parseAttrs(rest);
      if (kind === "common") {
        const msg = messages.at(-1);
        if (!msg) throw new Error(`${file}:${lineNo}: common struct before any message`);
        const cs = { name, versions: a.versions, fields: [] };
        msg.commonStructs.push(cs);
        stack = [{ depth: 0, fields: cs.fields }];
        continue;
      }
      if (!["request", "response", "header", "data"].includes(kind)) throw new Error(`${file}:${lineNo}: unknown block ${kind}`);
      /** @type {Message} */
      const msg = {
        kind, name, versions: a.versions, flexible: a.flexible, unstable: !!a.unstable,
        fields: [], commonStructs: [], file,
      };
      if (a.key !== undefined) msg.apiKey = Number(a.key);
      if (a.deprecated) msg.deprecated = a.deprecated;
      if (a.listeners) msg.listeners = a.listeners.split(",");
      messages.push(msg);
      stack = [{ depth: 0, fields: msg.fields }];
      continue;
    }
    while (stack.length && stack.at(-1).depth >= depth) stack.pop();
    const parent = stack.at(-1);
    if (!parent || parent.depth !== depth - 1) throw new Error(`${file}:${lineNo}: field indented too far`);
    const [fname, type, versions, ...rest] = tokens;
    const a = parseAttrs(rest);
    /** @type {Field} */
    const field = { name: fname, type, versions, ignorable: !!a.ignorable, mapKey: !!a.mapKey };
    if (a.nullable) field.nullable = a.nullable;
    if (a.tag !== undefined) field.tag = Number(a.tag);
    if (a.tagged) field.tagged = a.tagged;
    if (a.flexible) field.flexible = a.flexible;
    if (a.default !== undefined) field.default = a.default.startsWith('"') ? JSON.parse(a.default) : a.default;
    if (a.default === "null") field.default = null;
    parent.fields.push(field);
    const sub = { depth, fields: [] };
    stack.push(sub);
    Object.defineProperty(field, "_sub", { value: sub, enumerable: false });
  }
  // Attach nested field lists only where a field had children.
  const attach = (fields) => {
    for (const f of fields) {
      const sub = f._sub;
      if (sub && sub.fields.length) {
        f.fields = sub.fields;
        attach(f.fields);
      }
    }
  };
  for (const m of messages) {
    attach(m.fields);
    for (const cs of m.commonStructs) attach(cs.fields);
  }
  return messages;
}

/**
 * Every definition under protocol/, keyed by message name. `records/` holds coordinator record
 * layouts (from Kafka's coordinator jars, not its clients' message folder): `file` starts with
 * "records/" for them.
 */
export function loadProtocol(dir = PROTOCOL_DIR) {
  /** @type {Map<string, Message>} */
  const all = new Map();
  for (const sub of ["messages", "headers", "data", "records"]) {
    if (!existsSync(join(dir, sub))) continue;
    for (const f of readdirSync(join(dir, sub)).filter((n) => n.endsWith(".def")).sort()) {
      const path = join(dir, sub, f);
      for (const m of parseDef(readFileSync(path, "utf8"), `${sub}/${f}`)) all.set(m.name, m);
    }
  }
  return all;
}
