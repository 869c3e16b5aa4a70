#!/usr/bin/env node
// Compatibility matrix: real Kafka clients × scenarios, against odradek and (with --kafka) Apache
// Kafka 4.4 side by side. Plain Node, no build step.
//
//   node test-compat/run.mjs [--kafka] [--clients a,b] [--scenarios x,y] [--subset ci]
//                            [--no-odradek] [--out DIR] [--timeout-scale F]
//   node test-compat/run.mjs --render results/latest.json   # rewrite latest.md beside it
//   --merge: replace only the cells this run produced in the existing latest.json (e.g. one client)
//
// Installs each selected client (clients.mjs), starts the brokers, runs every (client, scenario,
// broker) as its own process with a timeout, writes results/latest.{md,json}, prints
// `compat: N passed, N failed, N skipped` and exits 1 if an odradek scenario failed that is not in
// not-built-yet.json. Logs of every invocation: $COMPAT_CACHE/logs/<run>/.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { judgeApiVersions } from './api-versions.mjs';
import { startKafka as startKafkaBroker, startOdradek as startOdradekBroker } from './brokers.mjs';
import { clients as clientCatalogue, } from './clients.mjs';
import { parseRunnerArgs } from './suite-runner.mjs';
import { checkTransactions } from './txn-checker.mjs';
import { API_DEFINITIONS } from '../packages/codec/dist/index.js';

const apiName = (key) => API_DEFINITIONS[key]?.name ?? `key ${key}`;

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const cache = path.resolve(process.env.COMPAT_CACHE ?? path.join(here, '.cache', 'compat'));
const CI_CLIENTS = ['kafkajs', 'kcat', 'confluent-kafka', 'java', 'franz-go'];

// ---- arguments ----
const { opts, die } = parseRunnerArgs({
  tag: 'run.mjs',
  file: import.meta.url,
  helpLines: 12,
  defaults: { clients: null, scenarios: null, subset: null, out: null, timeoutScale: 1 },
  flags: {
    '--clients': (o, val) => { o.clients = val().split(',').filter(Boolean); },
    '--scenarios': (o, val) => { o.scenarios = val().split(',').filter(Boolean); },
    '--subset': (o, val) => { o.subset = val(); },
    '--timeout-scale': (o, val) => { o.timeoutScale = Number(val()); },
    '--render': (o, val) => { o.render = path.resolve(val()); },
    '--merge': (o) => { o.merge = true; },
  },
});
if (opts.subset && opts.subset !== 'ci') die(`unknown subset ${opts.subset} (known: ci)`);
// the committed matrix is results/latest.*; CI-subset runs go to results/ci/ (git-ignored)
opts.out ??= path.join(here, 'results', ...(opts.subset === 'ci' ? ['ci'] : []));
if (opts.render) {
  // hoisted function declaration below; lets a results file be re-rendered after edits
  const rep = JSON.parse(fs.readFileSync(opts.render, 'utf8'));
  fs.writeFileSync(path.join(path.dirname(opts.render), 'latest.md'), markdown(rep));
  process.exit(0);
}

const catalogue = clientCatalogue(here, cache);
const scenarioDefs = JSON.parse(fs.readFileSync(path.join(here, 'scenarios.json'), 'utf8')).scenarios;
const notBuilt = JSON.parse(fs.readFileSync(path.join(here, 'not-built-yet.json'), 'utf8'));

let clientNames = opts.clients ?? (opts.subset === 'ci' ? CI_CLIENTS : Object.keys(catalogue));
for (const c of clientNames) if (!catalogue[c]) die(`unknown client ${c} (known: ${Object.keys(catalogue).join(', ')})`);
let scenarioNames = opts.scenarios ?? scenarioDefs.filter((s) => opts.subset !== 'ci' || s.core).map((s) => s.name);
for (const s of scenarioNames) if (!scenarioDefs.some((d) => d.name === s)) die(`unknown scenario ${s}`);
scenarioNames = scenarioDefs.map((d) => d.name).filter((n) => scenarioNames.includes(n)); // catalogue order
const brokerNames = [...(opts.odradek ? ['odradek'] : []), ...(opts.kafka ? ['kafka'] : [])];
if (brokerNames.length === 0) die('no broker selected');

const runId = new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', '-');
const logDir = path.join(cache, 'logs', runId);
fs.mkdirSync(logDir, { recursive: true });
const t0 = Date.now();
const stamp = () => `[compat ${((Date.now() - t0) / 1000).toFixed(0).padStart(4)}s]`;
const say = (msg) => console.log(`${stamp()} ${msg}`);

// ---- brokers ----
const started = [];
async function cleanup() {
  for (const b of started.splice(0).reverse()) {
    try { await b.stop(); } catch (err) { console.error(`run.mjs: stopping ${b.name}: ${err}`); }
  }
}
process.on('SIGINT', async () => { await cleanup(); process.exit(130); });
process.on('SIGTERM', async () => { await cleanup(); process.exit(143); });

// odradek in memory on a free port and Kafka 4.4 (heap -Xmx512m unless KAFKA_HEAP_OPTS): brokers.mjs
// The API versions each scenario used against odradek (versions-seen.mjs, one JSON line per window).
const versionsFile = path.join(logDir, 'odradek-versions.jsonl');
// Share groups (KIP-932): a 10 s record lock and share session (Kafka's defaults are 30 s and 45 s, with
// 15 s and 45 s floors) so that share-consumer-kill sees a killed member's records again quickly.
const SHARE_CONFIG = ['group.share.record.lock.duration.ms=10000', 'group.share.min.record.lock.duration.ms=1000',
  'group.share.session.timeout.ms=10000', 'group.share.min.session.timeout.ms=1000'];
async function startOdradek() {
  const broker = await startOdradekBroker(logDir, { set: SHARE_CONFIG, preload: [path.join(here, 'versions-seen.mjs')], env: { ODRADEK_VERSIONS_SEEN: versionsFile } });
  const version = JSON.parse(fs.readFileSync(path.join(root, 'packages', 'cli', 'package.json'), 'utf8')).version;
  return { ...broker, version: `odradek ${version} (${gitRev()}, --memory)` };
}
function startKafka() {
  return startKafkaBroker(logDir, { heap: '-Xms256m -Xmx512m', config: SHARE_CONFIG });
}

function gitRev() {
  // git itself, so that a worktree (.git is a file there) and packed refs resolve too
  try { return execFileSync('git', ['rev-parse', '--short=10', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); }
  catch { return 'unknown rev'; }
}

// ---- one scenario invocation ----
function runScenario(client, scenario, broker, topic, timeoutS) {
  const [cmd, baseArgs] = catalogue[client].command();
  const args = [...baseArgs, '--bootstrap', broker.bootstrap, '--scenario', scenario, '--topic', topic];
  const logFile = path.join(logDir, `${broker.name}.${client}.${scenario}.log`);
  const start = Date.now();
  return new Promise((resolve) => {
    let out = '';
    let err = '';
    const child = spawn(cmd, args, { cwd: here, stdio: ['ignore', 'pipe', 'pipe'], detached: true,
      env: { ...process.env, COMPAT_BROKER: broker.name } });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; try { process.kill(-child.pid, 'SIGKILL'); } catch {} }, timeoutS * 1000);
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    const finish = (code, spawnError) => {
      clearTimeout(timer);
      // a scenario may leave helpers behind (e.g. kcat consumers); reap the whole process group
      try { process.kill(-child.pid, 'SIGKILL'); } catch {}
      const ms = Date.now() - start;
      fs.writeFileSync(logFile, `$ ${cmd} ${args.join(' ')}\n# exit ${code} after ${ms} ms${timedOut ? ' (timeout)' : ''}\n--- stdout\n${out}\n--- stderr\n${err}`);
      const last = (err.trim().split('\n').filter((l) => l.trim()).pop() ?? out.trim().split('\n').pop() ?? '').trim().slice(0, 400);
      if (spawnError) resolve({ status: 'FAIL', reason: `could not start: ${spawnError}`, ms });
      else if (timedOut) resolve({ status: 'FAIL', reason: `timeout after ${timeoutS} s${last ? `; last output: ${last}` : ''}`, ms });
      else if (code === 0) resolve({ status: 'PASS', reason: '', ms, ...resultLine(out) });
      else if (code === 3) resolve({ status: 'SKIP', reason: last || 'client cannot run this scenario', ms });
      else resolve({ status: 'FAIL', reason: last || `exit ${code}`, ms });
    };
    child.on('error', (e) => finish(-1, String(e)));
    child.on('close', (code, signal) => finish(code ?? (signal ? `signal ${signal}` : -1)));
  });
}

/** Closes versions-seen.mjs's window in odradek and returns it ({ "<apiKey>": [versions], software }). */
async function versionsWindow(broker) {
  const lines = () => (fs.existsSync(versionsFile) ? fs.readFileSync(versionsFile, 'utf8').split('\n').filter(Boolean) : []);
  const before = lines().length;
  try { process.kill(broker.pid, 'SIGUSR2'); } catch { return undefined; }
  for (let i = 0; i < 50; i++) {
    const now = lines();
    if (now.length > before) return JSON.parse(now[now.length - 1]);
    await new Promise((r) => setTimeout(r, 20));
  }
  return undefined;
}

/** After a client's `transactions` scenario passed: the exactly-once checker on its topic (txn-checker.mjs). kafka-tools' `transactions` drives the kafka-transactions tool over its own records, so it is not checked. */
async function runChecker(row, broker) {
  const c = await checkTransactions({ here, cache, logDir, bootstrap: broker.bootstrap, topic: row.topic, tag: `${row.broker}.${row.client}.${row.scenario}` });
  row.checker = c.detail;
  if (c.ok === false) Object.assign(row, { status: 'FAIL', reason: c.detail });
}

// A scenario program may print one `RESULT {json}` line on stdout: what it observed, for a
// scenario judged by comparing the two brokers (below). Kept in memory only, not in latest.json.
function resultLine(out) {
  const m = /^RESULT (.*)$/m.exec(out);
  if (!m) return {};
  try { return { data: JSON.parse(m[1]) }; } catch { return {}; }
}

// Scenarios with `"compare": "kafka"` in scenarios.json: each broker's invocation only observes
// (RESULT line); the odradek cell's verdict comes from comparing its observation with Kafka 4.4's.
const COMPARE = {
  'api-versions': (odr, kafka) => judgeApiVersions(odr, kafka, {
    outDir: opts.out, command: `node test-compat/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    odradekVersion: brokers.odradek.version, kafkaVersion: brokers.kafka.version,
  }),
};
function judgeAgainstKafka(client, scenario) {
  const cell = (b) => results.find((r) => r.client === client && r.scenario === scenario && r.broker === b);
  const o = cell('odradek');
  const k = cell('kafka');
  if (o?.status !== 'PASS') return;
  Object.assign(o, !o.data ? { status: 'FAIL', reason: 'the scenario program printed no RESULT line' }
    : !k?.data ? { status: 'FAIL', reason: `no result from Kafka 4.4 to compare with (its cell: ${k?.status ?? 'not run'} ${k?.reason ?? ''})`.trim() }
    : COMPARE[scenario](o.data, k.data));
  say(`${o.status.padEnd(4)} odradek compared with kafka: ${client} ${scenario}  ${o.reason}`);
}

// ---- main ----
const results = [];
const clientInfo = {};
const brokers = {};
let exitCode = 0;
try {
  say(`clients: ${clientNames.join(', ')}; scenarios: ${scenarioNames.length}; brokers: ${brokerNames.join(', ')}; cache ${path.relative(root, cache) || cache}`);
  // installs run concurrently (downloads overlap the Go and Java builds); each writes only its own
  // directory under the cache, and only kcat uses apt
  const installs = await Promise.all(clientNames.map(async (name) => {
    const c = catalogue[name];
    const s = Date.now();
    let r;
    try { r = await c.install(); } catch (err) { r = { ok: false, reason: String(err?.stack ?? err) }; }
    const secs = ((Date.now() - s) / 1000).toFixed(1);
    say(`install ${name}: ${r.ok ? (r.cached ? 'cached' : 'installed') : `UNAVAILABLE (${r.reason})`} in ${secs} s`);
    return { name, r, secs };
  }));
  for (const { name, r, secs } of installs) { // catalogue order: the matrix's column order
    const c = catalogue[name];
    clientInfo[name] = { registry: c.registry, pin: c.pin, installed: r.ok, reason: r.reason ?? '', installSeconds: Number(secs), cached: !!r.cached };
    if (c.version && r.ok) clientInfo[name].detail = await c.version();
  }

  for (const b of brokerNames) {
    const s = Date.now();
    const broker = b === 'odradek' ? await startOdradek() : await startKafka();
    started.push(broker);
    brokers[b] = { bootstrap: broker.bootstrap, version: broker.version, startSeconds: Number(((Date.now() - s) / 1000).toFixed(1)) };
    say(`${b} ready at ${broker.bootstrap} in ${brokers[b].startSeconds} s`);
  }

  const byName = Object.fromEntries(started.map((b) => [b.name, b]));
  const suffix = Math.random().toString(36).slice(2, 6);
  for (const client of clientNames) {
    for (const scenario of scenarioNames) {
      const def = scenarioDefs.find((d) => d.name === scenario);
      for (const bname of brokerNames) {
        const row = { client, scenario, broker: bname };
        const skipReason = bname === 'odradek' && (notBuilt.odradek?.[`${client}:${scenario}`] ?? notBuilt.odradek?.[scenario]);
        if (!catalogue[client].scenarios.includes(scenario)) {
          Object.assign(row, { status: 'N/A', reason: `${client} has no API for this scenario` });
        } else if (!clientInfo[client].installed) {
          Object.assign(row, { status: 'SKIP', reason: `client not installed: ${clientInfo[client].reason}` });
        } else if (skipReason) {
          Object.assign(row, { status: 'SKIP', reason: skipReason, notBuiltYet: true });
        } else if (def.compare && bname === 'odradek' && !opts.kafka) {
          Object.assign(row, { status: 'SKIP', reason: 'compares odradek with Apache Kafka 4.4: needs --kafka' });
        } else if (!byName[bname].alive()) {
          Object.assign(row, { status: 'FAIL', reason: `${bname} is no longer running (see ${path.join(logDir, bname === 'odradek' ? 'odradek.log' : 'kafka.log')})` });
        } else {
          const topic = `compat-${runId.slice(9)}${suffix}-${bname.slice(0, 1)}-${client}-${scenario}`.replace(/[^a-zA-Z0-9._-]/g, '-');
          Object.assign(row, { topic }, await runScenario(client, scenario, byName[bname], topic, Math.round(def.timeout * opts.timeoutScale)));
          if (bname === 'odradek') row.versions = await versionsWindow(byName[bname]);
          if (scenario === 'transactions' && client !== 'kafka-tools' && row.status === 'PASS') await runChecker(row, byName[bname]);
        }
        results.push(row);
        if (row.status !== 'N/A') {
          say(`${row.status.padEnd(4)} ${bname.padEnd(7)} ${client.padEnd(15)} ${scenario.padEnd(20)}${row.ms !== undefined ? ` ${(row.ms / 1000).toFixed(1)}s` : ''}${row.reason ? `  ${row.reason}` : ''}`);
        }
      }
      if (def.compare && brokerNames.length === 2) judgeAgainstKafka(client, scenario);
    }
  }
} catch (err) {
  console.error(`run.mjs: ${err?.stack ?? err}`);
  exitCode = 2;
} finally {
  await cleanup();
}

// ---- report ----
const counted = results.filter((r) => r.status !== 'N/A');
const n = (st) => counted.filter((r) => r.status === st).length;
const blocking = counted.filter((r) => r.broker === 'odradek' && r.status === 'FAIL');
const report = {
  runId, startedAt: new Date(t0).toISOString(), durationSeconds: Math.round((Date.now() - t0) / 1000),
  command: `node test-compat/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  host: { node: process.version, platform: `${os.platform()} ${os.arch()}`, cpus: os.cpus().length },
  brokers, clients: clientInfo, scenarios: scenarioNames,
  summary: { passed: n('PASS'), failed: n('FAIL'), skipped: n('SKIP'), odradekFailures: blocking.length },
  results: results.map(({ data, ...r }) => r),
};
fs.mkdirSync(opts.out, { recursive: true });
const written = opts.merge ? mergeInto(path.join(opts.out, 'latest.json'), report) : report;
fs.writeFileSync(path.join(opts.out, 'latest.json'), JSON.stringify(written, null, 2) + '\n');
fs.writeFileSync(path.join(opts.out, 'latest.md'), markdown(written));
say(`wrote ${path.relative(process.cwd(), path.join(opts.out, 'latest.md'))} and latest.json; logs in ${logDir}`);
console.log(`compat: ${n('PASS')} passed, ${n('FAIL')} failed, ${n('SKIP')} skipped`);
if (exitCode === 0 && blocking.length > 0) exitCode = 1;
process.exit(exitCode);

function markdown(rep) {
  const cell = (client, scenario, broker) => {
    const r = rep.results.find((x) => x.client === client && x.scenario === scenario && x.broker === broker);
    if (!r || r.status === 'N/A') return '–';
    if (r.status === 'SKIP') return r.notBuiltYet ? 'SKIP¹' : 'SKIP';
    return r.status;
  };
  const bs = Object.keys(rep.brokers);
  const cl = Object.keys(rep.clients);
  const lines = [];
  lines.push('# odradek compatibility matrix', '');
  lines.push(`Generated by \`${rep.command}\` on ${rep.startedAt} in ${rep.durationSeconds} s (Node ${rep.host.node}, ${rep.host.cpus} CPUs).`, '');
  lines.push(`**${rep.summary.passed} passed, ${rep.summary.failed} failed, ${rep.summary.skipped} skipped** ` +
    `(odradek failures outside not-built-yet.json: ${rep.summary.odradekFailures}).`, '');
  for (const b of bs) lines.push(`- **${b}**: ${rep.brokers[b].version}`);
  lines.push('');
  lines.push(`Cells are ${bs.map((b) => b).join(' / ')}. \`–\` = the client has no API for that scenario; SKIP¹ = listed in \`not-built-yet.json\`.`, '');
  lines.push(`| scenario | ${cl.join(' | ')} |`);
  lines.push(`|---|${cl.map(() => '---').join('|')}|`);
  for (const s of rep.scenarios) lines.push(`| ${s} | ${cl.map((c) => bs.map((b) => cell(c, s, b)).join(' / ')).join(' | ')} |`);
  lines.push('', '## Clients', '', '| client | registry | pinned | install |', '|---|---|---|---|');
  for (const c of cl) {
    const i = rep.clients[c];
    lines.push(`| ${c} | ${i.registry} | ${i.pin}${i.detail ? ` (${i.detail})` : ''} | ${i.installed ? `${i.cached ? 'cached' : 'installed'}, ${i.installSeconds} s` : `**unavailable**: ${esc(i.reason)}`} |`);
  }
  lines.push(...versionsTable(rep));
  const bad = rep.results.filter((r) => r.status === 'FAIL' || (r.status === 'SKIP' && !r.notBuiltYet));
  if (bad.length) {
    lines.push('', '## Failures and skips', '', '| broker | client | scenario | status | reason |', '|---|---|---|---|---|');
    for (const r of bad) lines.push(`| ${r.broker} | ${r.client} | ${r.scenario} | ${r.status} | ${esc(r.reason)} |`);
  }
  lines.push('', '¹ not built yet in odradek: ' + [...new Set(rep.results.filter((r) => r.notBuiltYet).map((r) => `${r.scenario} (${r.reason.replace(/^not built yet:\s*/, '')})`))].join(', '), '');
  return lines.join('\n');
}
// --merge: this run's cells replace the same (client, scenario, broker) cells of the existing
// report; everything else is kept. The summary line and exit status still describe this run only.
function mergeInto(file, rep) {
  if (!fs.existsSync(file)) return rep;
  const old = JSON.parse(fs.readFileSync(file, 'utf8'));
  const key = (r) => `${r.client}\0${r.scenario}\0${r.broker}`;
  const fresh = new Set(rep.results.map(key));
  const clientOrder = Object.keys(catalogue).filter((c) => rep.clients[c] || old.clients[c]);
  const scenOrder = scenarioDefs.map((d) => d.name).filter((x) => rep.scenarios.includes(x) || old.scenarios.includes(x));
  const brokerOrder = ['odradek', 'kafka'];
  const results = [...old.results.filter((r) => !fresh.has(key(r))), ...rep.results].sort((a, b) =>
    clientOrder.indexOf(a.client) - clientOrder.indexOf(b.client) || scenOrder.indexOf(a.scenario) - scenOrder.indexOf(b.scenario)
    || brokerOrder.indexOf(a.broker) - brokerOrder.indexOf(b.broker));
  const cnt = (st) => results.filter((r) => r.status === st).length;
  return {
    ...old,
    command: `${old.command}; merged ${rep.startedAt}: ${rep.command}`,
    durationSeconds: old.durationSeconds,
    brokers: { ...old.brokers, ...rep.brokers },
    clients: Object.fromEntries(clientOrder.map((c) => [c, rep.clients[c] ?? old.clients[c]])),
    scenarios: scenOrder,
    summary: { passed: cnt('PASS'), failed: cnt('FAIL'), skipped: cnt('SKIP'),
      odradekFailures: results.filter((r) => r.broker === 'odradek' && r.status === 'FAIL').length },
    results,
  };
}
/** Per client, the versions of each API it sent odradek over all its scenarios, and what it called itself (KIP-511). */
function versionsTable(rep) {
  const byClient = new Map();
  for (const r of rep.results) {
    if (r.broker !== 'odradek' || !r.versions) continue;
    let c = byClient.get(r.client);
    if (!c) byClient.set(r.client, (c = { apis: new Map(), software: new Set() }));
    for (const [k, vs] of Object.entries(r.versions)) {
      if (k === 'software') { for (const x of vs) c.software.add(x); continue; }
      let set = c.apis.get(Number(k));
      if (!set) c.apis.set(Number(k), (set = new Set()));
      for (const v of vs) set.add(v);
    }
  }
  if (byClient.size === 0) return [];
  const out = ['', '## API versions each client sent odradek', '',
    'Recorded by the broker (`versions-seen.mjs` on the `odradek:request` channel), over all scenarios of the client; the name is what the client said in ApiVersions v3+ (KIP-511).', '',
    '| client | says it is | API versions used |', '|---|---|---|'];
  for (const [client, c] of byClient) {
    const apis = [...c.apis].sort((a, b) => a[0] - b[0]).map(([k, vs]) => `${apiName(k)} ${[...vs].sort((a, b) => a - b).map((v) => `v${v}`).join('/')}`);
    out.push(`| ${client} | ${esc([...c.software].join(', ') || '–')} | ${apis.join(', ')} |`);
  }
  return out;
}
function esc(s) { return String(s).replace(/\|/g, '\\|').replace(/\n/g, ' '); }
