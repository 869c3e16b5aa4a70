#!/usr/bin/env node
// Share groups (KIP-932, issue #17): a broker killed with SIGKILL during share consumption, against
// odradek and, with --kafka, Apache Kafka 4.4.
//
//   node test-compat/share-crash/run.mjs [--kafka] [--no-odradek] [--records N] [--timeout S] [--out DIR]
//
// Per broker: a broker on a data dir (odradek: --data-dir, not --memory; Kafka: scripts/kafka/start.sh),
// a 2-partition topic with N records (default 20,000), two KafkaShareConsumers (the java client's
// `share-log`, implicit acknowledgement) printing one line per delivery (partition, offset, delivery
// count, time). Once a third of the records were delivered the broker is killed with SIGKILL and
// started again on the same data dir and port; the consumers ride it out. When every record was
// delivered and nothing new came for 5 s they stop.
// PASS when: every record was delivered; no record was delivered again after the restart unless its
// first delivery was within the last GRACE ms before the kill (its acknowledgement may have been in
// flight: at-least-once); and no record was delivered twice before the kill.
// Output: one line per broker, results.{md,json} in --out (default test-compat/share-crash/results),
// logs in $COMPAT_CACHE/logs/share-crash-<run id>/. Exit 1 if odradek fails, 2 on a runner error.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { setupSuiteRun } from '../suite-runner.mjs';
import { clients, sh } from '../clients.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const GRACE = 5000;
const SHARE_CONFIG = ['group.share.record.lock.duration.ms=10000', 'group.share.min.record.lock.duration.ms=1000',
  'group.share.session.timeout.ms=10000', 'group.share.min.session.timeout.ms=1000'];
const { opts, brokerNames, cache, logDir, say, die } = setupSuiteRun({
  tag: 'share-crash',
  file: import.meta.url,
  helpLines: 18,
  defaults: { timeout: 300, records: 20000, out: path.join(here, 'results') },
  flags: { '--records': (o, val) => { o.records = Number(val()); } },
});
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

// ---- brokers that can be killed and started again on the same data dir and port ----
async function odradek(dataDir, port) {
  const start = async () => {
    const log = fs.openSync(path.join(logDir, 'odradek.log'), 'a');
    const child = spawn(process.execPath, [path.join(root, 'packages', 'cli', 'bin', 'odradek.js'), '--port', String(port), '--data-dir', dataDir, ...SHARE_CONFIG.flatMap((c) => ['--set', c])],
      { cwd: root, stdio: ['ignore', log, log] });
    const end = Date.now() + 30000;
    for (;;) {
      if (await canConnect(port)) return child;
      if (child.exitCode !== null || Date.now() > end) throw new Error(`odradek did not start (${logDir}/odradek.log)`);
      await sleep(100);
    }
  };
  let child = await start();
  return {
    name: 'odradek', bootstrap: `127.0.0.1:${port}`,
    kill: async () => { child.kill('SIGKILL'); await new Promise((r) => (child.exitCode !== null || child.signalCode ? r() : child.once('exit', r))); },
    restart: async () => { child = await start(); },
    stop: async () => { child.kill('SIGTERM'); await new Promise((r) => (child.exitCode !== null || child.signalCode ? r() : child.once('exit', r))); },
  };
}

async function kafka(dataDir, port) {
  const scripts = path.join(root, 'scripts', 'kafka');
  const cport = await freePort();
  const start = async (clean) => {
    const r = await sh(path.join(scripts, 'start.sh'), ['--data-dir', dataDir, '--port', String(port), '--controller-port', String(cport), ...(clean ? ['--clean'] : []), ...SHARE_CONFIG.flatMap((c) => ['--config', c])],
      { env: { KAFKA_HEAP_OPTS: process.env.KAFKA_HEAP_OPTS ?? '-Xms256m -Xmx512m' }, timeoutMs: 300_000 });
    fs.appendFileSync(path.join(logDir, 'kafka-start.log'), r.out);
    if (r.code !== 0) throw new Error(`scripts/kafka/start.sh failed: ${r.out.trim().split('\n').slice(-2).join(' | ')}`);
  };
  await start(true);
  const pid = () => Number(fs.readFileSync(path.join(dataDir, 'kafka.pid'), 'utf8'));
  return {
    name: 'kafka', bootstrap: `127.0.0.1:${port}`,
    kill: async () => {
      const p = pid();
      process.kill(p, 'SIGKILL');
      for (;;) { try { process.kill(p, 0); await sleep(100); } catch { break; } }
    },
    restart: () => start(false),
    stop: async () => {
      try { fs.copyFileSync(path.join(dataDir, 'kafka.log'), path.join(logDir, 'kafka.log')); } catch {}
      await sh(path.join(scripts, 'stop.sh'), ['--data-dir', dataDir, '--clean'], { timeoutMs: 90_000 });
    },
  };
}

function canConnect(port) {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

// ---- the java client's share-log / share-produce ----
const [javaCmd, javaArgs] = clients(path.join(root, 'test-compat'), cache).java.command();
function java(args, out) {
  return spawn(javaCmd, [...javaArgs, ...args], { stdio: ['ignore', out ?? 'pipe', 'pipe'] });
}

async function runOne(broker) {
  const n = opts.records;
  const T = `share-crash-${Date.now()}`;
  const G = `${T}-g`;
  const prod = await new Promise((resolve) => {
    const c = java(['--bootstrap', broker.bootstrap, '--scenario', 'share-produce', '--topic', T, '--group', G, '--count', String(n)]);
    let err = '';
    c.stderr.on('data', (d) => { err += d; });
    c.on('close', (code) => resolve({ code, err }));
  });
  if (prod.code !== 0) throw new Error(`share-produce failed: ${prod.err.trim().split('\n').slice(-1)[0]}`);
  const stop = path.join(logDir, `${broker.name}.stop`);
  fs.rmSync(stop, { force: true });
  const files = [0, 1].map((i) => path.join(logDir, `${broker.name}.consumer${i}.log`));
  const workers = files.map((f) => {
    const fd = fs.openSync(f, 'w');
    const c = java(['--bootstrap', broker.bootstrap, '--scenario', 'share-log', '--topic', T, '--group', G, '--stop-file', stop], fd);
    c.stderr.pipe(fs.createWriteStream(`${f}.stderr`));
    c.done = new Promise((r) => c.on('close', r));
    return c;
  });
  const read = () => files.flatMap((f) => fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.startsWith('D ')).map((l) => {
    const [, p, o, dc, t] = l.split(' ');
    return { key: `${p}:${o}`, dc: Number(dc), t: Number(t) };
  }));
  const deadline = Date.now() + opts.timeout * 1000;
  while (read().length < n / 3) {
    if (Date.now() > deadline) throw new Error(`only ${read().length} deliveries before the kill`);
    await sleep(50);
  }
  const killedAt = Date.now();
  await broker.kill();
  const killMs = Date.now() - killedAt;
  say(`${broker.name}: killed (SIGKILL) after ${read().length} deliveries`);
  await sleep(1000);
  const r0 = Date.now();
  await broker.restart();
  say(`${broker.name}: restarted in ${Date.now() - r0} ms`);
  let last = -1, lastChange = Date.now();
  for (;;) {
    const d = read();
    const distinct = new Set(d.map((x) => x.key)).size;
    if (d.length !== last) { last = d.length; lastChange = Date.now(); }
    if (distinct >= n && Date.now() - lastChange > 5000) break;
    if (Date.now() > deadline) break;
    await sleep(200);
  }
  fs.writeFileSync(stop, '');
  await Promise.race([Promise.all(workers.map((w) => w.done)), sleep(30000)]);
  for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
  // ---- judge ----
  const d = read();
  const byKey = new Map();
  for (const x of d) { if (!byKey.has(x.key)) byKey.set(x.key, []); byKey.get(x.key).push(x); }
  let missing = 0;
  for (let p = 0; p < 2; p++) for (let o = 0; o < n / 2; o++) if (!byKey.has(`${p}:${o}`)) missing++;
  let again = 0, againLate = 0, twiceBefore = 0, oldest = 0;
  for (const xs of byKey.values()) {
    if (xs.length < 2) continue;
    const first = Math.min(...xs.map((x) => x.t));
    const before = xs.filter((x) => x.t <= killedAt).length;
    if (before > 1) twiceBefore++;
    again++;
    const age = killedAt - first;
    oldest = Math.max(oldest, age);
    if (age > GRACE) againLate++;
  }
  const summary = `${n} records, ${d.length} deliveries, ${missing} never delivered, ${again} delivered again after the restart (first delivery at most ${oldest} ms before the kill), ${againLate} of them more than ${GRACE} ms before, ${twiceBefore} delivered twice before the kill`;
  const ok = missing === 0 && againLate === 0 && twiceBefore === 0;
  return { status: ok ? 'PASS' : 'FAIL', summary, killMs };
}

const results = [];
let runnerError = false;
for (const name of brokerNames) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `share-crash-${name}-`));
  const port = await freePort();
  let broker;
  const t = Date.now();
  try {
    broker = name === 'odradek' ? await odradek(dataDir, port) : await kafka(dataDir, port);
    const r = await runOne(broker);
    results.push({ broker: name, ...r, seconds: Math.round((Date.now() - t) / 1000) });
  } catch (err) {
    results.push({ broker: name, status: 'FAIL', summary: String(err?.message ?? err), seconds: Math.round((Date.now() - t) / 1000) });
    if (!broker) runnerError = true;
  } finally {
    await broker?.stop().catch(() => {});
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  const r = results[results.length - 1];
  console.log(`share-broker-kill,${name},${r.status} (${r.seconds} s): ${r.summary}`);
}
fs.mkdirSync(opts.out, { recursive: true });
fs.writeFileSync(path.join(opts.out, 'results.json'), `${JSON.stringify({ date: new Date().toISOString(), records: opts.records, graceMs: GRACE, results }, null, 2)}\n`);
fs.writeFileSync(path.join(opts.out, 'results.md'), [
  '# share-crash: a broker killed (SIGKILL) during share consumption',
  '',
  `${opts.records} records on 2 partitions, two KafkaShareConsumer 4.4 (implicit acknowledgement); generated by test-compat/share-crash/run.mjs.`,
  '',
  '| broker | status | seconds | observed |',
  '|---|---|--:|---|',
  ...results.map((r) => `| ${r.broker} | ${r.status} | ${r.seconds} | ${r.summary} |`),
  '',
].join('\n'));
if (runnerError) die('a broker did not start');
process.exit(results.some((r) => r.broker === 'odradek' && r.status !== 'PASS') ? 1 : 0);
