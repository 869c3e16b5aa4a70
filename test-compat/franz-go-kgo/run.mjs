#!/usr/bin/env node
// franz-go's own kgo test suite (github.com/twmb/franz-go v1.22.3, pkg/kgo) against odradek and,
// with --kafka, against Apache Kafka 4.4 side by side.
//
//   node test-compat/franz-go-kgo/run.mjs [--kafka] [--no-odradek] [--run REGEX] [--timeout S]
//                                          [--records N] [--out DIR]
//
// The module zip comes from the Go module proxy (`go mod download -json`) into the compat cache's
// GOMODCACHE; its sources are never copied into the repository. The test binary is built once
// (`go test -c ./pkg/kgo`) and every top-level test runs as its own process
// (`-test.run '^Name$' -test.timeout S`), so a hang costs one test's timeout, not the run.
//
// Each broker sits behind a counting TCP relay that is the test's KGO_SEEDS: a test that opened
// no connection to it is a unit test (no broker involved) and is reported apart from the
// broker tests. Env given to the tests: KGO_SEEDS, KGO_TEST_RF=1, KGO_TEST_RECORDS (--records),
// KGO_LOG_LEVEL=info.
//
// Output: `TestName,broker,PASS|FAIL|SKIP|TIMEOUT` per test, then one summary line per broker;
// results.{md,json} in --out (default test-compat/franz-go-kgo/results); logs of every test in
// $COMPAT_CACHE/logs/kgo-<run id>/. The allowlist (allowlist.txt) names the tests that must
// PASS on odradek: exit 1 if one does not, 2 on a runner error. FINDINGS.md explains the rest.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { relay, startKafka, startOdradek } from '../brokers.mjs';
import { sh } from '../clients.mjs';
import { compareAllowlist, countStatuses, setupSuiteRun, writeSuiteReport } from '../suite-runner.mjs';

const MODULE = 'github.com/twmb/franz-go';
const VERSION = 'v1.22.3';
const here = path.dirname(fileURLToPath(import.meta.url));
const { opts, brokerNames, cache, logDir, say, env, t0, runId } = setupSuiteRun({
  tag: 'kgo',
  file: import.meta.url,
  helpLines: 22,
  defaults: { run: null, timeout: 120, records: 50000, out: path.join(here, 'results') },
  flags: {
    '--run': (o, val) => { o.run = new RegExp(val()); },
    '--records': (o, val) => { o.records = Number(val()); },
  },
});

// ---- module and test binary ----
async function buildTests() {
  const dl = await sh('go', ['mod', 'download', '-json', `${MODULE}@${VERSION}`], { env, cwd: os.tmpdir(), timeoutMs: 600_000 });
  let info;
  try { info = JSON.parse(dl.out.slice(dl.out.indexOf('{'))); } catch { throw new Error(`go mod download failed: ${dl.out.trim().slice(-400)}`); }
  if (dl.code !== 0 || !info.Dir) throw new Error(`go mod download failed: ${info.Error ?? dl.out.trim().slice(-400)}`);
  const dir = path.join(cache, 'franz-go-kgo');
  const bin = path.join(dir, `kgo-${VERSION}.test`);
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(bin)) {
    say(`building ${MODULE}@${VERSION} ./pkg/kgo tests (go test -c)`);
    const r = await sh('go', ['test', '-c', '-o', bin, './pkg/kgo'], { env, cwd: info.Dir, timeoutMs: 900_000 });
    if (r.code !== 0) throw new Error(`go test -c failed: ${r.out.trim().slice(-600)}`);
  }
  const l = await sh(bin, ['-test.list', '^Test'], { cwd: path.join(info.Dir, 'pkg', 'kgo') });
  if (l.code !== 0) throw new Error(`-test.list failed: ${l.out.trim().slice(-400)}`);
  const tests = l.out.split('\n').map((s) => s.trim()).filter((s) => /^Test\w*$/.test(s));
  return { bin, pkgDir: path.join(info.Dir, 'pkg', 'kgo'), tests, sum: info.Sum };
}

// ---- one test ----
function runTest(t, bin, pkgDir, broker, seeds) {
  const logFile = path.join(logDir, `${broker.name}.${t}.log`);
  const args = ['-test.run', `^${t}$`, '-test.v', '-test.count', '1', '-test.timeout', `${opts.timeout}s`];
  const tenv = { ...process.env, ...env, KGO_SEEDS: seeds.address, KGO_TEST_RF: '1', KGO_TEST_RECORDS: String(opts.records), KGO_LOG_LEVEL: 'info' };
  const start = Date.now();
  const before = seeds.connections;
  return new Promise((resolve) => {
    const out = fs.openSync(logFile, 'w');
    fs.writeSync(out, `$ KGO_SEEDS=${seeds.address} (${broker.name} ${broker.bootstrap}) KGO_TEST_RF=1 KGO_TEST_RECORDS=${opts.records} ${bin} ${args.join(' ')}\n`);
    let text = '';
    const child = spawn(bin, args, { cwd: pkgDir, env: tenv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    const onData = (d) => { fs.writeSync(out, d); if (text.length < 4_000_000) text += d; };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    // go's own -test.timeout panics and exits; this is the backstop if the process wedges anyway
    const timer = setTimeout(() => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} }, (opts.timeout + 30) * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      fs.closeSync(out);
      const ms = Date.now() - start;
      const connections = seeds.connections - before;
      const top = new RegExp(`^--- (PASS|FAIL|SKIP): ${t} `, 'm').exec(text);
      const subs = [...text.matchAll(new RegExp(`^\\s+--- (PASS|FAIL|SKIP): ${t}/(\\S+)`, 'gm'))].map((m) => ({ name: m[2], status: m[1] }));
      let status = top?.[1] ?? (/panic: test timed out after/.test(text) ? 'TIMEOUT' : 'FAIL');
      if (!top && code === 0 && /^ok\s/m.test(text)) status = 'PASS';
      let reason = '';
      if (status === 'TIMEOUT') reason = `timed out after ${opts.timeout} s`;
      else if (status === 'SKIP') reason = (/_test\.go:\d+: (.*)/.exec(text.slice(text.lastIndexOf(`=== RUN   ${t}`))) ?? [])[1] ?? '';
      else if (status === 'FAIL') {
        reason = failureLine(text) ?? `exit ${code}`;
      }
      resolve({ status, reason: reason.slice(0, 300), seconds: Number((ms / 1000).toFixed(1)), connections, subtests: subs });
    });
  });
}

// The first test log line that explains a failure: skip notices of subtests, timing lines and
// the suite's "NOT DELETING" cleanup notes are passed over.
function failureLine(text) {
  const lines = [...text.matchAll(/^\s+(\w+_test\.go:\d+: .*)$/gm)].map((m) => m[1].trim())
    .filter((l) => !/does not support|completed in|NOT DELETING|not set, skipping/.test(l));
  return lines[0] ?? (/^panic: .*$/m.exec(text) ?? [])[0];
}

// ---- main ----
const started = [];
const relays = [];
async function cleanup() {
  for (const r of relays.splice(0)) await r.close().catch(() => {});
  for (const b of started.splice(0).reverse()) { try { await b.stop(); } catch {} }
}
process.on('SIGINT', async () => { await cleanup(); process.exit(130); });
process.on('SIGTERM', async () => { await cleanup(); process.exit(143); });

const allow = fs.readFileSync(path.join(here, 'allowlist.txt'), 'utf8').split('\n')
  .map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
const results = [];
let exitCode = 0;
let suite;
try {
  suite = await buildTests();
  const tests = suite.tests.filter((t) => !opts.run || opts.run.test(t));
  say(`${MODULE}@${VERSION} ./pkg/kgo: ${tests.length} of ${suite.tests.length} tests; brokers: ${brokerNames.join(', ')}; per-test timeout ${opts.timeout} s; KGO_TEST_RECORDS=${opts.records}`);
  const brokers = {};
  for (const b of brokerNames) {
    const broker = b === 'odradek' ? await startOdradek(logDir) : await startKafka(logDir);
    started.push(broker);
    const r = await relay(broker.bootstrap);
    relays.push(r);
    brokers[b] = { broker, relay: r };
    say(`${b} ready at ${broker.bootstrap} (tests seed through ${r.address})`);
  }
  for (const t of tests) {
    for (const b of brokerNames) {
      const { broker, relay: r } = brokers[b];
      const row = { test: t, broker: b };
      if (!broker.alive()) Object.assign(row, { status: 'FAIL', reason: `${b} is no longer running`, seconds: 0, connections: 0, subtests: [] });
      else Object.assign(row, await runTest(t, suite.bin, suite.pkgDir, broker, r));
      results.push(row);
      const subs = row.subtests.length ? ` [subtests ${row.subtests.filter((s) => s.status === 'PASS').length}/${row.subtests.length} pass]` : '';
      console.log(`${t},${b},${row.status}${row.connections ? '' : ',unit'}`);
      if (row.status !== 'PASS' || subs) say(`  ${row.status} ${b} ${t} ${row.seconds}s${subs}${row.reason ? `  ${row.reason}` : ''}`);
    }
  }
} catch (err) {
  console.error(`kgo: ${err?.stack ?? err}`);
  exitCode = 2;
} finally {
  await cleanup();
}

// ---- report ----
const summary = {};
// a test that used the broker on either side counts as a broker test on both
const usedBroker = new Set(results.filter((r) => r.connections > 0).map((r) => r.test));
for (const b of brokerNames) {
  const rs = results.filter((r) => r.broker === b);
  summary[b] = { all: countStatuses(rs), broker: countStatuses(rs.filter((r) => usedBroker.has(r.test))), unit: countStatuses(rs.filter((r) => !usedBroker.has(r.test))) };
}
const allowlist = compareAllowlist(results, allow, opts.odradek);
const missing = allowlist.notPassing;
const report = {
  runId, startedAt: new Date(t0).toISOString(), durationSeconds: Math.round((Date.now() - t0) / 1000),
  command: `node test-compat/franz-go-kgo/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  module: `${MODULE}@${VERSION}`, moduleSum: suite?.sum, env: { KGO_TEST_RF: 1, KGO_TEST_RECORDS: opts.records }, timeoutSeconds: opts.timeout,
  host: { node: process.version, cpus: os.cpus().length },
  summary, allowlist, results,
};
writeSuiteReport({ report, markdown, out: opts.out, logDir, partialFlag: opts.run ? '--run' : null, say });
for (const b of brokerNames) {
  const s = summary[b];
  console.log(`kgo ${b}: ${s.all.passed}/${s.all.run} passed (${s.all.skipped} skipped); broker tests ${s.broker.passed}/${s.broker.run} (${s.broker.skipped} skipped), unit tests ${s.unit.passed}/${s.unit.run}`);
}
if (exitCode === 0 && missing.length) exitCode = 1;
process.exit(exitCode);

function markdown(rep) {
  const bs = Object.keys(rep.summary);
  const tests = [...new Set(rep.results.map((r) => r.test))];
  const get = (t, b) => rep.results.find((r) => r.test === t && r.broker === b);
  const cell = (r) => {
    if (!r) return '';
    const subs = r.subtests.length ? ` (${r.subtests.filter((s) => s.status === 'PASS').length}/${r.subtests.length} sub)` : '';
    return `${r.status}${subs}`;
  };
  const lines = ['# franz-go kgo tests against odradek' + (bs.includes('kafka') ? ' and Apache Kafka 4.4' : ''), '',
    `Generated by \`${rep.command}\` on ${rep.startedAt} in ${rep.durationSeconds} s. Module ${rep.module} (${rep.moduleSum}), ` +
    `\`go test ./pkg/kgo\` one top-level test per process, KGO_TEST_RF=1, KGO_TEST_RECORDS=${rep.env.KGO_TEST_RECORDS}, ` +
    `-test.timeout ${rep.timeoutSeconds}s. Why each test fails or skips: FINDINGS.md.`, ''];
  lines.push('| broker | all tests passed / run | broker tests passed / run | unit tests passed / run | skipped |', '|---|---|---|---|---|');
  for (const b of bs) {
    const s = rep.summary[b];
    lines.push(`| ${b} | ${s.all.passed} / ${s.all.run} | ${s.broker.passed} / ${s.broker.run} | ${s.unit.passed} / ${s.unit.run} | ${s.all.skipped} |`);
  }
  lines.push('', '"Broker tests" opened a connection to the seed broker (counted by a relay in front of it); the others are unit tests of kgo internals that never touch a broker.', '');
  if (rep.allowlist.notPassing.length) lines.push(`**Allowlisted but not passing on odradek:** ${rep.allowlist.notPassing.join(', ')}`, '');
  if (rep.allowlist.passingNotListed.length) lines.push(`Passing on odradek but not in allowlist.txt: ${rep.allowlist.passingNotListed.join(', ')}`, '');
  lines.push('## Broker tests', '', `| test | ${bs.join(' | ')} | seconds | reason (first failure line) |`, `|---|${bs.map(() => '---').join('|')}|---|---|`);
  const used = new Set(rep.results.filter((r) => r.connections > 0).map((r) => r.test));
  for (const t of tests.filter((x) => used.has(x))) {
    const rs = bs.map((b) => get(t, b));
    const why = rs.filter((r) => r && r.status !== 'PASS').map((r) => `${r.broker}: ${r.reason}`).join('; ');
    lines.push(`| ${t} | ${rs.map(cell).join(' | ')} | ${rs.map((r) => r?.seconds ?? '').join(' / ')} | ${esc(why)} |`);
  }
  const unit = tests.filter((x) => !used.has(x));
  const unitBad = unit.flatMap((t) => bs.map((b) => get(t, b)).filter((r) => r && r.status !== 'PASS'));
  lines.push('', `## Unit tests (${unit.length}, no broker connection)`, '', unitBad.length
    ? unitBad.map((r) => `- ${r.test} on ${r.broker}: ${r.status} ${esc(r.reason)}`).join('\n') : 'All pass on every broker.', '',
  unit.join(', '), '');
  return lines.join('\n');
}
function esc(s) { return String(s).replace(/\|/g, '\\|').replace(/\n/g, ' '); }
