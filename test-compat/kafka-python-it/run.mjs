#!/usr/bin/env node
// kafka-python's own integration tests (the test/integration directory of the kafka-python 3.0.12
// sdist on PyPI) against odradek and, with --kafka, against Apache Kafka 4.4 side by side.
//
//   node test-compat/kafka-python-it/run.mjs [--kafka] [--no-odradek] [--files a,b] [--timeout S] [--out DIR]
//
// The sdist is downloaded with `pip download --no-binary :all:` into the compat cache and
// extracted there (its sources never enter the repository); pytest and codecs go into a venv
// ($COMPAT_CACHE/venv-kafka-python-it, requirements.txt). The suite's fixtures use an external
// broker when KAFKA_URI is set; KAFKA_VERSION=4.3.0 is the newest version kafka-python 3.0.12
// knows, the one it infers for Kafka 4.4.
// Both brokers run with num.partitions=4 and group.min.session.timeout.ms=1000, as the suite's own
// fixture configures its broker (test_group uses a 3 s session, below Kafka's default minimum of 6 s).
// One pytest process per test file, pytest-timeout (signal method) per test, so a hang costs one
// test's timeout. Results come from pytest's JUnit XML.
//
// Output: `node-id,broker,PASS|FAIL|SKIP` per test, one summary line per broker, results.{md,json}
// in --out (default test-compat/kafka-python-it/results), logs in $COMPAT_CACHE/logs/kpit-<run>/.
// Exit 1 if a test in allowlist.txt does not pass on odradek, 2 on a runner error.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startKafka, startOdradek } from '../brokers.mjs';
import { sh } from '../clients.mjs';
import { compareAllowlist, countStatuses, setupSuiteRun, writeSuiteReport } from '../suite-runner.mjs';

const PKG = 'kafka-python';
const VERSION = '3.0.12';
const KAFKA_VERSION = '4.3.0';
const BROKER_CONFIG = ['num.partitions=4', 'group.min.session.timeout.ms=1000'];
const here = path.dirname(fileURLToPath(import.meta.url));
const { opts, brokerNames, cache, logDir, say, env, t0, runId } = setupSuiteRun({
  tag: 'kpit',
  file: import.meta.url,
  helpLines: 19,
  defaults: { files: null, timeout: 60, out: path.join(here, 'results') },
  flags: {
    '--files': (o, val) => { o.files = val().split(',').filter(Boolean); },
  },
});

// ---- venv, sdist ----
async function prepare() {
  const dir = path.join(cache, 'kafka-python-it');
  const venv = path.join(cache, 'venv-kafka-python-it');
  const py = path.join(venv, 'bin', 'python');
  const req = path.join(here, 'requirements.txt');
  const want = fs.readFileSync(req, 'utf8');
  const stamp = path.join(venv, '.installed');
  if (!(fs.existsSync(py) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === want)) {
    say('creating the venv (pip install -r requirements.txt)');
    let r = await sh('python3', ['-m', 'venv', venv], { env });
    if (r.code !== 0) throw new Error(`python3 -m venv failed: ${r.out.trim().slice(-300)}`);
    r = await sh(path.join(venv, 'bin', 'pip'), ['install', '-q', '-r', req], { env });
    if (r.code !== 0) throw new Error(`pip install failed: ${r.out.trim().slice(-400)}`);
    fs.writeFileSync(stamp, want);
  }
  const src = path.join(dir, `kafka_python-${VERSION}`);
  if (!fs.existsSync(path.join(src, 'test', 'integration'))) {
    say(`downloading the ${PKG} ${VERSION} sdist from PyPI`);
    fs.mkdirSync(dir, { recursive: true });
    let r = await sh(path.join(venv, 'bin', 'pip'), ['download', '-q', `${PKG}==${VERSION}`, '--no-binary', ':all:', '--no-deps', '-d', dir], { env });
    if (r.code !== 0) throw new Error(`pip download failed: ${r.out.trim().slice(-400)}`);
    const tgz = fs.readdirSync(dir).find((f) => f.endsWith('.tar.gz'));
    r = await sh('tar', ['xzf', path.join(dir, tgz), '-C', dir]);
    if (r.code !== 0) throw new Error(`tar failed: ${r.out.trim().slice(-300)}`);
    if (!fs.existsSync(path.join(src, 'test', 'integration'))) throw new Error(`the sdist has no test/integration directory (${tgz})`);
  }
  // the sdist lacks test/__init__.py (so `test` resolves to Python's own test package) and
  // test/service.py (imported by fixtures.py): both come from shim/, written for this runner
  fs.writeFileSync(path.join(src, 'test', '__init__.py'), '');
  fs.copyFileSync(path.join(here, 'shim', 'service.py'), path.join(src, 'test', 'service.py'));
  const files = fs.readdirSync(path.join(src, 'test', 'integration')).filter((f) => /^test_.*\.py$/.test(f)).sort();
  return { py, src, files };
}

// scripts/kafka/start.sh writes `advertised.listeners` into server.properties, and the suite expects
// it (test_describe_configs_broker_resource_returns_configs: STATIC_BROKER_CONFIG, read-only); odradek
// gets the same static setting on a port picked the same way (a free one).
async function startOdradekLikeKafka() {
  const port = await new Promise((resolve, reject) => {
    const srv = net.createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
  return startOdradek(logDir, { set: [...BROKER_CONFIG, `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`], port });
}

// ---- one test file ----
function runFile(file, py, src, broker) {
  const xml = path.join(logDir, `${broker.name}.${file}.xml`);
  const log = path.join(logDir, `${broker.name}.${file}.log`);
  const args = ['-m', 'pytest', `test/integration/${file}`, '-p', 'no:cacheprovider', '-o', 'addopts=', '-o', 'log_level=INFO',
    `--timeout=${opts.timeout}`, '--timeout-method=signal', `--junitxml=${xml}`, '-rA', '-q'];
  const tenv = { ...process.env, ...env, KAFKA_URI: `tcp://${broker.bootstrap}`, KAFKA_VERSION, KAFKA_ROOT: src, PYTHONDONTWRITEBYTECODE: '1' };
  return new Promise((resolve) => {
    const out = fs.openSync(log, 'w');
    fs.writeSync(out, `$ KAFKA_URI=${tenv.KAFKA_URI} KAFKA_VERSION=${KAFKA_VERSION} ${py} ${args.join(' ')}\n`);
    const child = spawn(py, args, { cwd: src, env: tenv, stdio: ['ignore', out, out], detached: true });
    // backstop: every test of the file at its timeout plus slack
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} }, 30 * 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      fs.closeSync(out);
      let text = '';
      try { text = fs.readFileSync(xml, 'utf8'); } catch {}
      const rows = [];
      for (const m of text.matchAll(/<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g)) {
        const attr = (n) => (new RegExp(`\\b${n}="([^"]*)"`).exec(m[1]) ?? [])[1] ?? '';
        const body = m[3] ?? '';
        const name = `${file}::${unxml(attr('name'))}`;
        let status = 'PASS';
        let reason = '';
        const f = /<(failure|error)\b[^>]*?message="([^"]*)"/.exec(body);
        const s = /<skipped\b[^>]*?message="([^"]*)"/.exec(body);
        if (f) { status = 'FAIL'; reason = `${f[1] === 'error' ? 'error: ' : ''}${unxml(f[2])}`; }
        else if (s) { status = 'SKIP'; reason = unxml(s[1]); }
        // a teardown error is reported as a second testcase with the same name
        const prev = rows.find((r) => r.test === name);
        if (prev) { if (status === 'FAIL' && prev.status !== 'FAIL') Object.assign(prev, { status, reason: `teardown ${reason}` }); continue; }
        rows.push({ test: name, status, reason: reason.replace(/\s+/g, ' ').slice(0, 300), seconds: Number(Number(attr('time')).toFixed(1)) });
      }
      if (!rows.length) rows.push({ test: `${file}::(file)`, status: 'FAIL', reason: `pytest exit ${code}, no results (see ${log})`, seconds: 0 });
      resolve(rows);
    });
  });
}
function unxml(s) { return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#10;/g, ' ').replace(/&apos;/g, "'").replace(/&amp;/g, '&'); }

// ---- main ----
const started = [];
async function cleanup() { for (const b of started.splice(0).reverse()) { try { await b.stop(); } catch {} } }
process.on('SIGINT', async () => { await cleanup(); process.exit(130); });
process.on('SIGTERM', async () => { await cleanup(); process.exit(143); });

const allow = fs.readFileSync(path.join(here, 'allowlist.txt'), 'utf8').split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
const results = [];
let exitCode = 0;
try {
  const { py, src, files } = await prepare();
  const selected = files.filter((f) => !opts.files || opts.files.some((x) => f.includes(x)));
  say(`${PKG} ${VERSION} test/integration: ${selected.join(', ')}; brokers: ${brokerNames.join(', ')}; per-test timeout ${opts.timeout} s`);
  for (const b of brokerNames) {
    // tests rely on the fixture's broker settings, e.g. test_transactional_producer_offsets commits
    // an offset for partition 1 of an auto-created topic
    const broker = b === 'odradek' ? await startOdradekLikeKafka() : await startKafka(logDir, { config: BROKER_CONFIG });
    started.push(broker);
    say(`${b} ready at ${broker.bootstrap}`);
  }
  for (const file of selected) {
    for (const broker of started) {
      const s = Date.now();
      const rows = await runFile(file, py, src, broker);
      for (const r of rows) {
        results.push({ ...r, broker: broker.name });
        console.log(`${r.test},${broker.name},${r.status}${r.reason ? `  ${r.reason.slice(0, 160)}` : ''}`);
      }
      say(`${broker.name} ${file}: ${rows.filter((r) => r.status === 'PASS').length}/${rows.filter((r) => r.status !== 'SKIP').length} passed in ${((Date.now() - s) / 1000).toFixed(0)} s`);
    }
  }
} catch (err) {
  console.error(`kpit: ${err?.stack ?? err}`);
  exitCode = 2;
} finally {
  await cleanup();
}

const summary = {};
for (const b of brokerNames) summary[b] = countStatuses(results.filter((r) => r.broker === b));
const allowlist = compareAllowlist(results, allow, opts.odradek);
const missing = allowlist.notPassing;
const report = {
  runId, startedAt: new Date(t0).toISOString(), durationSeconds: Math.round((Date.now() - t0) / 1000),
  command: `node test-compat/kafka-python-it/run.mjs ${process.argv.slice(2).join(' ')}`.trim(), package: `${PKG} ${VERSION} (sdist test/integration)`,
  env: { KAFKA_VERSION }, timeoutSeconds: opts.timeout, summary, allowlist, results,
};
writeSuiteReport({ report, markdown, out: opts.out, logDir, partialFlag: opts.files ? '--files' : null, say });
for (const b of brokerNames) console.log(`kafka-python-it ${b}: ${summary[b].passed}/${summary[b].run} passed (${summary[b].skipped} skipped)`);
if (exitCode === 0 && missing.length) exitCode = 1;
process.exit(exitCode);

function markdown(rep) {
  const bs = Object.keys(rep.summary);
  const tests = [...new Set(rep.results.map((r) => r.test))];
  const get = (t, b) => rep.results.find((r) => r.test === t && r.broker === b);
  const lines = [`# kafka-python ${VERSION} integration tests against odradek${bs.includes('kafka') ? ' and Apache Kafka 4.4' : ''}`, '',
    `Generated by \`${rep.command}\` on ${rep.startedAt} in ${rep.durationSeconds} s. The sdist's test/integration with ` +
    `KAFKA_URI (external broker), KAFKA_VERSION=${KAFKA_VERSION}, pytest-timeout ${rep.timeoutSeconds} s per test. Why each test fails or skips: FINDINGS.md.`, '',
    '| broker | passed / run | skipped |', '|---|---|---|', ...bs.map((b) => `| ${b} | ${rep.summary[b].passed} / ${rep.summary[b].run} | ${rep.summary[b].skipped} |`), ''];
  if (rep.allowlist.notPassing.length) lines.push(`**Allowlisted but not passing on odradek:** ${rep.allowlist.notPassing.join(', ')}`, '');
  lines.push(`| test | ${bs.join(' | ')} | reason |`, `|---|${bs.map(() => '---').join('|')}|---|`);
  for (const t of tests) {
    const rs = bs.map((b) => get(t, b));
    const why = rs.filter((r) => r && r.status !== 'PASS').map((r) => `${r.broker}: ${r.reason}`).join('; ');
    lines.push(`| ${t} | ${rs.map((r) => r?.status ?? '').join(' | ')} | ${esc(why)} |`);
  }
  lines.push('');
  return lines.join('\n');
}
function esc(s) { return String(s).replace(/\|/g, '\\|').replace(/\n/g, ' '); }
