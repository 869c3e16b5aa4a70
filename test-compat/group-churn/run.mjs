#!/usr/bin/env node
// Consumer groups under churn (issue #15), the Java client 4.4 in three protocols — classic eager
// (range), classic cooperative-sticky and KIP-848 `group.protocol=consumer` — against odradek and,
// with --kafka, Apache Kafka 4.4.
//
//   node test-compat/group-churn/run.mjs [--kafka] [--no-odradek] [--protocols eager,cooperative,consumer]
//                                        [--records N] [--timeout S] [--out DIR]
//
// Per broker (on a data directory, so it can be killed and restarted) and protocol, on a fresh
// 6-partition topic with N records (default 30,000), each member a JVM of its own
// (test-compat/java GroupChurn.java: prints every record it processed, commits after each poll):
//   1. three members w1..w3 consume; at N/4 processed, w1 leaves cleanly (close);
//   2. at N/2, w2 is killed (SIGKILL) and w4 joins;
//   3. every record processed, then the group settles: committed offsets = high watermarks (lag 0);
//      kafka-consumer-groups --describe --members lists the two live members owning all 6 partitions;
//   4. the broker is killed (SIGKILL) and restarted: the committed offsets are still the high watermarks;
//   5. w3 and w4 leave, N/50 new records are produced and w5 joins: it processes exactly the new ones
//      (it resumes at the committed offsets);
//   6. kafka-consumer-groups resets the group's offsets (--to-earliest, --shift-by, --to-datetime) and
//      deletes it; --list no longer shows it.
// PASS when every record was processed, the only records processed twice are ones w2 processed but had
// not committed when it was killed (at most one poll, 100 records), and 3–6 hold.
// Output: one line per (protocol, broker), results/latest.{md,json} on a full run; logs in
// $COMPAT_CACHE/logs/group-churn-<run>/. Exit 1 if a check fails on odradek, 2 on a runner error.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKafka, startOdradek } from '../brokers.mjs';
import { clients, sh } from '../clients.mjs';
import { setupSuiteRun } from '../suite-runner.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const PROTOCOLS = ['eager', 'cooperative', 'consumer'];
// a killed KIP-848 member is fenced after the broker-side session timeout (Kafka's default 45 s)
const BROKER_CONFIG = ['group.consumer.session.timeout.ms=10000', 'group.consumer.min.session.timeout.ms=5000'];
const { opts, brokerNames, cache, logDir, say } = setupSuiteRun({
  tag: 'group-churn',
  file: import.meta.url,
  helpLines: 24,
  defaults: { protocols: PROTOCOLS, records: 30_000, timeout: 300, out: path.join(here, 'results') },
  flags: {
    '--protocols': (o, val) => { o.protocols = val().split(',').filter(Boolean); },
    '--records': (o, val) => { o.records = Number(val()); },
  },
});
for (const p of opts.protocols) if (!PROTOCOLS.includes(p)) { console.error(`group-churn: unknown protocol ${p}`); process.exit(2); }
const partial = opts.protocols.length !== 3 || opts.records !== 30_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tool = path.join(root, 'scripts', 'kafka', 'tool.sh');
const catalogue = clients(path.join(root, 'test-compat'), cache);

// ---- child programs ----
let step = 0;
function java(bootstrap, topic, program, args) {
  const [cmd, base] = catalogue.java.command();
  const file = path.join(logDir, `${String(++step).padStart(3, '0')}-${program}.log`);
  const child = spawn(cmd, [...base, '--bootstrap', bootstrap, '--topic', topic, '--scenario', program, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => fs.appendFileSync(file, d));
  const done = new Promise((resolve) => child.on('close', (code) => { fs.appendFileSync(file, `--- stdout\n${out}\n# exit ${code}\n`); resolve(code); }));
  return { child, done, out: () => out, kill: () => child.kill('SIGKILL') };
}
async function javaOk(bootstrap, topic, program, args) {
  const p = java(bootstrap, topic, program, args);
  const code = await p.done;
  if (code !== 0) throw new Error(`${program} exited ${code}: ${p.out().trim().split('\n').pop() ?? ''} (${logDir})`);
  return p.out();
}
async function groups(bootstrap, args) {
  const r = await sh(tool, ['org.apache.kafka.tools.consumer.group.ConsumerGroupCommand', '--bootstrap-server', bootstrap, ...args], { timeoutMs: 120_000 });
  fs.appendFileSync(path.join(logDir, 'consumer-groups.log'), `$ kafka-consumer-groups ${args.join(' ')}\n${r.out}\n# exit ${r.code}\n`);
  if (r.code !== 0) throw new Error(`kafka-consumer-groups ${args.join(' ')}: ${r.out.trim().split('\n').pop()}`);
  return r.out;
}
async function lag(b, topic, group) {
  const m = /^LAG (-?\d+) (\d+) (\d+)/m.exec(await javaOk(b.bootstrap, topic, 'group-churn-lag', ['--group', group]));
  return { lag: Number(m[1]), committed: Number(m[2]), end: Number(m[3]) };
}
async function until(what, pred, timeoutMs) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

// ---- brokers on a data directory, killable and restartable on the same address ----
async function broker(name) {
  if (name === 'odradek') {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'churn-odradek-'));
    let b = await startOdradek(logDir, { dataDir, set: BROKER_CONFIG });
    const port = Number(b.bootstrap.split(':')[1]);
    return {
      get bootstrap() { return b.bootstrap; },
      kill9: () => b.kill(),
      restart: async () => { b = await startOdradek(logDir, { dataDir, set: BROKER_CONFIG, port }); },
      stop: async () => { await b.stop(); fs.rmSync(dataDir, { recursive: true, force: true }); },
    };
  }
  let b = await startKafka(logDir, { heap: '-Xms256m -Xmx640m', config: BROKER_CONFIG });
  return {
    get bootstrap() { return b.bootstrap; },
    kill9: () => b.kill(),
    restart: async () => { b = await startKafka(logDir, { heap: '-Xms256m -Xmx640m', config: BROKER_CONFIG, restartOf: b }); },
    stop: () => b.stop(),
  };
}

// ---- one protocol on one broker ----
async function churn(b, protocol) {
  const workers = new Map();
  try {
    return await churnWith(b, protocol, workers);
  } finally {
    for (const w of workers.values()) w.kill();
  }
}
async function churnWith(b, protocol, workers) {
  const n = opts.records;
  const topic = `churn-${protocol}-${Date.now()}`;
  const group = `${topic}-g`;
  const deadline = Date.now() + opts.timeout * 1000;
  const left = () => Math.max(1000, deadline - Date.now());
  await javaOk(b.bootstrap, topic, 'group-churn-produce', ['--count', String(n), '--partitions', '6', '--prefix', 'm']);
  const startWorker = (name) => {
    const stop = path.join(logDir, `${topic}.${name}.stop`);
    workers.set(name, { ...java(b.bootstrap, topic, 'group-churn-worker', ['--group', group, '--protocol', protocol, '--name', name, '--stop-file', stop]), stop });
  };
  const leave = async (name) => { fs.writeFileSync(workers.get(name).stop, ''); if ((await workers.get(name).done) !== 0) throw new Error(`${name} failed on close`); };
  /** Every processed record: [worker, value]. */
  const processed = () => [...workers.entries()].flatMap(([w, p]) => p.out().split('\n').filter((l) => l.startsWith('D ')).map((l) => [w, l.split(' ')[4]]));
  const distinct = (prefix) => new Set(processed().map(([, v]) => v).filter((v) => v.startsWith(`${prefix}-`))).size;
  const t0 = Date.now();
  for (const w of ['w1', 'w2', 'w3']) startWorker(w);
  await until(`${n / 4} records processed`, () => distinct('m') >= n / 4, left());
  await leave('w1');
  const leftAt = distinct('m');
  await until(`${n / 2} records processed`, () => distinct('m') >= n / 2, left());
  workers.get('w2').kill();
  await workers.get('w2').done;
  const killedAt = distinct('m');
  startWorker('w4');
  await until(`all ${n} records processed`, () => distinct('m') >= n, left());
  const consumed = (Date.now() - t0) / 1000;
  await until('lag 0 (committed offsets = high watermarks)', async () => (await lag(b, topic, group)).lag === 0, left());
  const members = await groups(b.bootstrap, ['--describe', '--group', group, '--members']);
  const rows = members.split('\n').filter((l) => l.startsWith(group));
  const owned = rows.reduce((s, l) => s + Number(l.trim().split(/\s+/)[4] ?? 0), 0);
  if (rows.length !== 2 || owned !== 6) throw new Error(`--describe --members: expected 2 members owning 6 partitions, got ${rows.length} owning ${owned}:\n${members}`);
  await b.kill9();
  await b.restart();
  const after = await lag(b, topic, group);
  if (after.lag !== 0 || after.committed !== n) throw new Error(`after the broker's kill -9 and restart: committed ${after.committed} of ${n}`);
  await leave('w3');
  await leave('w4');
  const extra = n / 50;
  await javaOk(b.bootstrap, topic, 'group-churn-produce', ['--count', String(extra), '--partitions', '6', '--prefix', 'r']);
  startWorker('w5');
  await until(`w5 processed the ${extra} new records`, () => distinct('r') >= extra, left());
  await sleep(3000);
  await leave('w5');
  const w5old = processed().filter(([w, v]) => w === 'w5' && v.startsWith('m-')).length;
  // ---- judge ----
  const counts = new Map();
  for (const [w, v] of processed()) { const e = counts.get(v) ?? []; e.push(w); counts.set(v, e); }
  const w2seen = new Set(processed().filter(([w]) => w === 'w2').map(([, v]) => v));
  let missing = 0;
  for (let i = 0; i < n; i++) if (!counts.has(`m-${i}`)) missing++;
  for (let i = 0; i < extra; i++) if (!counts.has(`r-${i}`)) missing++;
  const twice = [...counts.entries()].filter(([, ws]) => ws.length > 1);
  const twiceNotW2 = twice.filter(([v]) => !w2seen.has(v));
  const problems = [];
  if (missing) problems.push(`${missing} records never processed`);
  if (twiceNotW2.length) problems.push(`${twiceNotW2.length} records processed twice that the killed member never had, e.g. ${twiceNotW2.slice(0, 3).map(([v, ws]) => `${v} by ${ws}`).join(', ')}`);
  if (twice.length > 100) problems.push(`${twice.length} records processed twice (more than one poll of the killed member)`);
  if (w5old) problems.push(`the restarted member processed ${w5old} old records (did not resume at the committed offsets)`);
  // ---- kafka-consumer-groups on the now empty group ----
  if (!(await groups(b.bootstrap, ['--list'])).split('\n').includes(group)) problems.push('--list does not show the group');
  const reset = (args) => groups(b.bootstrap, ['--reset-offsets', '--group', group, '--topic', topic, ...args, '--execute']);
  await reset(['--to-earliest']);
  if ((await lag(b, topic, group)).committed !== 0) problems.push('--to-earliest did not move every partition to 0');
  await reset(['--shift-by', '7']);
  if ((await lag(b, topic, group)).committed !== 42) problems.push('--shift-by 7 did not give 7 on each of 6 partitions');
  await reset(['--to-datetime', '2999-01-01T00:00:00.000']);
  if ((await lag(b, topic, group)).lag !== 0) problems.push('--to-datetime (future) did not move to the end');
  await groups(b.bootstrap, ['--delete', '--group', group]);
  if ((await groups(b.bootstrap, ['--list'])).split('\n').includes(group)) problems.push('the group is still listed after --delete');
  const summary = `${n} records consumed in ${consumed.toFixed(1)} s (w1 left at ${leftAt}, w2 killed at ${killedAt}, w4 joined); ${twice.length} processed twice (all by the killed w2's last poll: ${twiceNotW2.length === 0}); lag 0 before and after the broker's kill -9; w5 resumed with ${extra} new records and ${w5old} old; reset --to-earliest/--shift-by/--to-datetime and --delete ok: ${problems.length === 0}`;
  return { status: problems.length ? 'FAIL' : 'PASS', summary: problems.length ? `${problems.join('; ')} — ${summary}` : summary };
}

// ---- main ----
const built = await catalogue.java.install();
if (!built.ok) { console.error(`group-churn: the java client did not build: ${built.reason}`); process.exit(2); }
const results = [];
let runnerError = false;
for (const name of brokerNames) {
  let b;
  try {
    b = await broker(name);
  } catch (err) {
    say(`${name} did not start: ${err.message}`);
    runnerError = true;
    continue;
  }
  for (const protocol of opts.protocols) {
    const t = Date.now();
    let r;
    try { r = await churn(b, protocol); } catch (err) { r = { status: 'FAIL', summary: String(err?.message ?? err) }; }
    results.push({ protocol, broker: name, ...r, seconds: Math.round((Date.now() - t) / 1000) });
    say(`${r.status} ${protocol.padEnd(11)} ${name.padEnd(7)} ${Math.round((Date.now() - t) / 1000)} s: ${r.summary}`);
  }
  await b.stop().catch(() => {});
}
const report = { date: new Date().toISOString(), records: opts.records, command: `node test-compat/group-churn/run.mjs ${process.argv.slice(2).join(' ')}`.trim(), results };
const out = partial ? logDir : opts.out;
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
fs.writeFileSync(path.join(out, 'latest.md'), [
  '# group-churn: a Java 4.4 consumer group under churn, three protocols',
  '',
  `Generated by \`${report.command}\` on ${report.date}. What each step does: the header of \`test-compat/group-churn/run.mjs\`.`,
  '',
  '| protocol | broker | status | seconds | observed |',
  '|---|---|---|--:|---|',
  ...results.map((r) => `| ${r.protocol} | ${r.broker} | ${r.status} | ${r.seconds} | ${r.summary.replace(/\|/g, '\\|')} |`),
  '',
].join('\n'));
say(`wrote ${path.relative(process.cwd(), path.join(out, 'latest.md'))}`);
if (runnerError) process.exit(2);
process.exit(results.some((r) => r.broker === 'odradek' && r.status !== 'PASS') ? 1 : 0);
