// The api-versions check: Kafka's own `kafka-broker-api-versions` (BrokerApiVersionsCommand) run
// against odradek and against Apache Kafka 4.4, compared API by API. Used by the kafka-tools
// scenario `api-versions` (which parses the tool's output on one broker) and by run.mjs (which
// judges the odradek cell from the two brokers' results and writes results/api-versions.md).
//
// The tool prints one block per broker: a header `HOST:PORT (id: N rack: … isFenced: …) -> (`,
// then one line per API key its client knows, `Name(key): MIN to MAX [usable: V],` (`Name(key):
// V [usable: V],` when MIN = MAX) or `Name(key): UNSUPPORTED,` when the broker does not advertise
// it, and `)`.
//
// Verdict: an API odradek serves must have Kafka 4.4's min and max (Produce included: both
// advertise it from 0, KAFKA-18659); an API Kafka advertises and odradek does not serve is listed
// with its reason from packages/broker/SKIPPED.md, and is not a failure.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SKIPPED_MD = path.join(root, 'packages', 'broker', 'SKIPPED.md');

/**
 * The first broker block of BrokerApiVersionsCommand's output: [{ name, apiKey, minVersion,
 * maxVersion, usable }] sorted by key; minVersion/maxVersion are null for UNSUPPORTED.
 */
export function parseBrokerApiVersions(text) {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /\(id: -?\d+\b.*\) -> \($/.test(l.trim()));
  if (start < 0) throw new Error(`no broker block in the tool's output: ${text.trim().split('\n')[0] ?? ''}`);
  const apis = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() === ')') break;
    const m = /^\s*(\w+)\((\d+)\): (?:UNSUPPORTED|(\d+)(?: to (\d+))?(?: \[(.*)\])?),?\s*$/.exec(line);
    if (!m) throw new Error(`unexpected line in the tool's output: ${line.trim()}`);
    apis.push({
      name: m[1], apiKey: Number(m[2]),
      minVersion: m[3] === undefined ? null : Number(m[3]),
      maxVersion: m[3] === undefined ? null : Number(m[4] ?? m[3]),
      usable: m[5] ?? null,
    });
  }
  return apis.sort((a, b) => a.apiKey - b.apiKey);
}

// "17, 36" / "29–31" / "65/66" / "10" -> [keys]
function keysIn(list) {
  const keys = [];
  for (const part of list.split(/[,/]/)) {
    const r = /^\s*(\d+)\s*(?:[–-]\s*(\d+))?\s*$/.exec(part);
    if (!r) return [];
    for (let k = Number(r[1]); k <= Number(r[2] ?? r[1]); k++) keys.push(k);
  }
  return keys;
}

/**
 * Reasons from the ledger, by API key: `notServed` from the bullets of "Whole APIs not advertised"
 * (each `Name (keys)` item, prefixed with its bullet's `Label:` if it has one), `versions` from an
 * API's own section (`## Name (key)`): its bullets that mention a version (`v3`, `v0–2`).
 */
export function skippedReasons(file = SKIPPED_MD) {
  const notServed = new Map();
  const versions = new Map();
  let section = '';
  let sectionKeys = [];
  const bullets = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    const h = /^## (.*)$/.exec(line);
    if (h) {
      section = h[1];
      sectionKeys = [...section.matchAll(/\(([\d,\s–\-/]+)\)/g)].flatMap((m) => keysIn(m[1]));
      continue;
    }
    if (line.startsWith('- ')) bullets.push({ section, sectionKeys, text: line.slice(2).trim() });
    else if (/^\s+\S/.test(line) && bullets.length) bullets[bullets.length - 1].text += ` ${line.trim()}`;
  }
  for (const b of bullets) {
    if (/^Whole APIs not advertised/i.test(b.section)) {
      const label = /^([^:(]+):/.exec(b.text)?.[1].trim();
      for (const m of b.text.matchAll(/([A-Za-z][\w /.-]*?)\s*\(([\d,\s–\-/]+)\)/g)) {
        const item = m[1].trim();
        for (const k of keysIn(m[2])) notServed.set(k, label ? `${label}: ${item}` : item);
      }
    } else if (/\bv\d/.test(b.text)) {
      for (const k of b.sectionKeys) versions.set(k, [...(versions.get(k) ?? []), b.text]);
    }
  }
  return { notServed, versions };
}

const range = (a) => (a && a.minVersion !== null ? `${a.minVersion}–${a.maxVersion}` : 'not served');

/**
 * Every API whose range differs between the two brokers. `failure` is set when odradek serves the
 * API with another min or max than Kafka 4.4 (or serves one Kafka does not advertise).
 */
export function compareApiVersions(odradek, kafka, reasons = skippedReasons()) {
  const keys = [...new Set([...odradek, ...kafka].map((a) => a.apiKey))].sort((a, b) => a - b);
  const rows = [];
  for (const key of keys) {
    const o = odradek.find((a) => a.apiKey === key);
    const k = kafka.find((a) => a.apiKey === key);
    const oServed = o?.minVersion != null;
    const kServed = k?.minVersion != null;
    if (!oServed && !kServed) continue;
    if (oServed && kServed && o.minVersion === k.minVersion && o.maxVersion === k.maxVersion) continue;
    const row = { apiKey: key, name: (k ?? o).name, kafka: range(k), odradek: range(o), failure: null, reason: null };
    if (!oServed) {
      row.reason = reasons.notServed.get(key) ?? null;
    } else {
      const what = [];
      if (!kServed) what.push('Kafka 4.4 does not advertise it');
      else {
        if (o.minVersion !== k.minVersion) what.push(`min ${o.minVersion}, Kafka ${k.minVersion}`);
        if (o.maxVersion !== k.maxVersion) what.push(`max ${o.maxVersion}, Kafka ${k.maxVersion}`);
      }
      row.failure = what.join('; ');
      row.reason = reasons.versions.get(key)?.join(' ') ?? null;
    }
    rows.push(row);
  }
  const same = keys.filter((key) => !rows.some((r) => r.apiKey === key)
    && odradek.some((a) => a.apiKey === key && a.minVersion !== null));
  return { rows, failures: rows.filter((r) => r.failure), same };
}

/** results/api-versions.md */
function apiVersionsMarkdown({ rows, failures, same }, { generated, odradek, kafka, odradekApis }) {
  const esc = (s) => String(s).replace(/\|/g, '\\|');
  const name = (key) => odradekApis.find((a) => a.apiKey === key)?.name ?? `key ${key}`;
  const lines = [
    '# API versions: odradek against Apache Kafka 4.4', '',
    `Generated by \`${generated.command}\` on ${generated.at}: Kafka's own \`kafka-broker-api-versions\` ` +
    '(`org.apache.kafka.tools.BrokerApiVersionsCommand`, kafka-tools 4.4.0) run against both brokers ' +
    `(odradek: ${odradek}; Kafka: ${kafka}). Check and rules: \`test-compat/api-versions.mjs\`.`, '',
    failures.length
      ? `**FAIL**: ${failures.length} API(s) odradek serves differ from Kafka 4.4 in min or max version.`
      : '**PASS**: every API odradek serves has Kafka 4.4\'s min and max version.', '',
    '| API | key | Kafka 4.4 | odradek | verdict | reason (packages/broker/SKIPPED.md) |',
    '|---|--:|---|---|---|---|',
  ];
  for (const r of rows) {
    const verdict = r.failure ? `**FAIL**: ${esc(r.failure)}` : 'not served (listed)';
    lines.push(`| ${r.name} | ${r.apiKey} | ${r.kafka} | ${r.odradek} | ${verdict} | ${r.reason ? esc(r.reason) : '*no entry*'} |`);
  }
  lines.push('', `Same range on both (${same.length}): ${same.map((k) => `${name(k)} (${k})`).join(', ')}.`, '');
  return lines.join('\n');
}

/**
 * The odradek cell of the api-versions scenario, from the two brokers' RESULT lines ({ apis });
 * writes `outDir`/api-versions.md.
 */
export function judgeApiVersions(odr, kafka, { outDir, command, odradekVersion, kafkaVersion }) {
  const cmp = compareApiVersions(odr.apis, kafka.apis);
  const file = path.join(outDir, 'api-versions.md');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(file, apiVersionsMarkdown(cmp, {
    generated: { command, at: new Date().toISOString() }, odradek: odradekVersion, kafka: kafkaVersion, odradekApis: odr.apis,
  }));
  const listed = cmp.rows.filter((r) => !r.failure);
  const noReason = listed.filter((r) => !r.reason).map((r) => r.apiKey);
  const where = `${path.relative(process.cwd(), file)}; ${listed.length} not served, listed` +
    (noReason.length ? `; without a reason in packages/broker/SKIPPED.md: ${noReason.join(', ')}` : '');
  if (!cmp.failures.length) return { status: 'PASS', reason: `every served API has Kafka 4.4's range (${where})` };
  const list = cmp.failures.map((r) => `${r.name}(${r.apiKey}) ${r.failure}`).join('; ');
  return { status: 'FAIL', reason: `${cmp.failures.length} API(s) differ from Kafka 4.4: ${list} (${where})` };
}
