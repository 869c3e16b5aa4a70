#!/usr/bin/env node
// Exactly-once evidence of issue #16 with real Java programs, against odradek and (with --kafka)
// Apache Kafka 4.4 side by side, under both transaction versions.
//
//   node test-compat/eos/run.mjs [--kafka] [--no-odradek] [--checks a,b] [--versions 2,1]
//                                [--records N] [--timeout S] [--out DIR]
//
// Checks, each on a fresh broker with a data directory (odradek --data-dir on a fixed port; Kafka
// through scripts/kafka/start.sh), once per transaction version (--versions, default 2,1; version 1 is
// `kafka-features downgrade --feature transaction.version=1` on both brokers, verified with FeatureCommand
// describe):
//   txn-mix      TxnMix.java: interleaved committed/aborted transactions over 3 partitions with
//                sendOffsetsToTransaction, an empty abort, fencing by a second producer; the checker at
//                read_committed (exactly the committed records, none aborted) and at read_uncommitted
//                (committed and aborted, in send order).
//   copy-kill9   VerifiableProducer writes --records (100,000) unique values to a 4-partition topic; Kafka's
//                TransactionalMessageCopier (kafka-tools 4.4, --group-mode --use-group-metadata,
//                500 records per transaction, --enable-random-aborts: random transactions are
//                aborted and copied again, so the output log holds aborted data) copies them; at 30 % the broker is SIGKILLed and started
//                again on its data directory; the copier (restarted if it exited) finishes; the checker
//                proves the output holds exactly the input's values, each once, in input order per
//                partition, no aborted or control record, no open transaction left.
//   streams-kill9  WordInput.java writes 10,000 lines; WordCount.java (Kafka Streams 4.4,
//                exactly_once_v2) counts words; the broker is SIGKILLed after 3,000 lines and restarted;
//                the checker (--final-counts) waits for the exact final count of every word, and fails
//                on any count above it or any count that does not rise (a duplicate).
// The checker is odradek.eos.Checker (test-compat/eos/src): reusable by any scenario, see its header.
//
// Output: one line per (check, version, broker) with PASS/FAIL and its time; results/latest.{md,json}
// (committed) on a full run, results.json in the log dir when --checks/--versions select part; logs
// of every step in $COMPAT_CACHE/logs/eos-<run>/. Exit 1 if a check fails on odradek, 2 on a runner error.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startKafka, startOdradek } from '../brokers.mjs';
import { javaBuild, sh } from '../clients.mjs';
import { setupSuiteRun } from '../suite-runner.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const CHECKS = ['txn-mix', 'copy-kill9', 'streams-kill9'];
const { opts, brokerNames, cache, logDir, say, t0, runId } = setupSuiteRun({
  tag: 'eos',
  file: import.meta.url,
  helpLines: 31,
  defaults: { checks: null, versions: ['2', '1'], records: 100_000, timeout: 600, out: path.join(here, 'results') },
  flags: {
    '--checks': (o, val) => { o.checks = val().split(',').filter(Boolean); },
    '--versions': (o, val) => { o.versions = val().split(',').filter(Boolean); },
    '--records': (o, val) => { o.records = Number(val()); },
  },
});
const checks = opts.checks ?? CHECKS;
for (const c of checks) if (!CHECKS.includes(c)) { console.error(`eos: unknown check ${c} (known: ${CHECKS.join(', ')})`); process.exit(2); }
const partial = opts.checks || opts.versions.join(',') !== '2,1' || opts.records !== 100_000;
const tool = path.join(root, 'scripts', 'kafka', 'tool.sh');
const javaCp = () => `${path.join(cache, 'eos', 'classes')}:${path.join(cache, 'eos', 'libs')}/*`;
const JVM = ['-Xmx384m', '-XX:+UseSerialGC'];

// ---- processes ----
let step = 0;
/** Starts a program; its output goes to a log file. Returns { child, done: Promise<{code, out}>, out() }. */
function start(name, cmd, args) {
  const file = path.join(logDir, `${String(++step).padStart(3, '0')}-${name}.log`);
  fs.writeFileSync(file, `$ ${cmd} ${args.join(' ')}\n`);
  let out = '';
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const onData = (d) => { out += d; fs.appendFileSync(file, d); };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const done = new Promise((resolve) => {
    child.on('error', (e) => resolve({ code: -1, out: out + String(e) }));
    child.on('close', (code, signal) => { fs.appendFileSync(file, `\n# exit ${code ?? signal}\n`); resolve({ code: code ?? 128, out }); });
  });
  return { child, done, out: () => out, kill: () => { try { process.kill(-child.pid, 'SIGKILL'); } catch {} } };
}
async function run(name, cmd, args, timeoutMs = 300_000) {
  const p = start(name, cmd, args);
  const timer = setTimeout(p.kill, timeoutMs);
  const r = await p.done;
  clearTimeout(timer);
  return r;
}
const java = (name, main, args, timeoutMs) => run(name, 'java', [...JVM, '-cp', javaCp(), `odradek.eos.${main}`, ...args], timeoutMs);
const kafkaTool = (name, main, args, timeoutMs) => run(name, tool, [`org.apache.kafka.tools.${main}`, ...args], timeoutMs);
const lastLine = (out) => out.trim().split('\n').filter((l) => l.trim() && !l.startsWith('RESULT ')).pop()?.slice(0, 300) ?? '';
const resultOf = (out) => { const m = /^RESULT (.*)$/m.exec(out); return m ? JSON.parse(m[1]) : null; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, pred, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (!pred()) { if (Date.now() > end) throw new Error(`timed out waiting for ${what}`); await sleep(200); }
}

// ---- brokers: fresh per (check, version), with a data directory, restartable after kill -9 ----
async function freshBroker(kind, version) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `eos-${kind}-`));
  if (kind === 'odradek') {
    const set = ['num.partitions=1'];
    const preload = [path.join(root, 'test-compat', 'versions-seen.mjs')];
    const env = { ODRADEK_VERSIONS_SEEN: path.join(logDir, 'odradek-versions.jsonl') };
    let b = await startOdradek(logDir, { dataDir, set, preload, env });
    const port = Number(b.bootstrap.split(':')[1]);
    const handle = {
      bootstrap: b.bootstrap, pid: () => b.pid,
      kill9: () => b.kill(),
      restart: async () => { b = await startOdradek(logDir, { dataDir, set, preload, env, port }); },
      stop: async () => { await b.stop(); fs.rmSync(dataDir, { recursive: true, force: true }); },
    };
    await downgradeTv(b.bootstrap, version);
    return handle;
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  let b = await startKafka(logDir, { heap: '-Xms256m -Xmx640m' });
  const handle = {
    bootstrap: b.bootstrap, pid: () => b.pid,
    kill9: () => b.kill(),
    restart: async () => { b = await startKafka(logDir, { heap: '-Xms256m -Xmx640m', restartOf: b }); },
    stop: () => b.stop(),
  };
  await downgradeTv(b.bootstrap, version);
  return handle;
}
/** Both brokers change transaction.version the same way: UpdateFeatures through Kafka's tool (persisted, so it survives kill -9). */
async function downgradeTv(bootstrap, version) {
  if (version === '2') return;
  const r = await kafkaTool('kafka-features-downgrade', 'FeatureCommand', ['--bootstrap-server', bootstrap, 'downgrade', '--feature', `transaction.version=${version}`]);
  if (r.code !== 0) throw new Error(`FeatureCommand downgrade failed: ${lastLine(r.out)}`);
}
/** transaction.version as the broker finalizes it (FeatureCommand describe), checked before each check. */
async function finalizedTv(bootstrap) {
  const r = await kafkaTool('kafka-features-describe', 'FeatureCommand', ['--bootstrap-server', bootstrap, 'describe']);
  return /Feature: transaction\.version\s.*FinalizedVersionLevel: (\d+)/.exec(r.out)?.[1] ?? `? (${lastLine(r.out)})`;
}
async function createTopic(b, topic, partitions) {
  const r = await kafkaTool(`create-${topic}`, 'TopicCommand', ['--bootstrap-server', b.bootstrap, '--create', '--topic', topic, '--partitions', String(partitions), '--replication-factor', '1']);
  if (r.code !== 0) throw new Error(`create topic ${topic}: ${lastLine(r.out)}`);
}
async function checker(name, args, timeoutMs = 300_000) {
  const r = await java(`checker-${name}`, 'Checker', args, timeoutMs);
  const res = resultOf(r.out);
  if (r.code !== 0) throw new Error(`checker ${name}: ${res?.failures?.join('; ') || lastLine(r.out)}`);
  return res;
}
/** Kills the broker (kill -9) once `ready()` holds, then starts it again; returns the seconds it was down. */
async function killAndRestart(b, what) {
  await b.kill9();
  const s = Date.now();
  say(`  kill -9 of the broker ${what}; restarting it on its data directory`);
  await b.restart();
  return (Date.now() - s) / 1000;
}

/** The versions of the transaction APIs the check's clients sent odradek (versions-seen.mjs window since the last restart). */
const TXN_APIS = { 0: 'Produce', 22: 'InitProducerId', 24: 'AddPartitionsToTxn', 25: 'AddOffsetsToTxn', 26: 'EndTxn', 28: 'TxnOffsetCommit' };
async function versionsUsed(b) {
  const file = path.join(logDir, 'odradek-versions.jsonl');
  const count = () => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0);
  const before = count();
  try { process.kill(b.pid(), 'SIGUSR2'); } catch { return undefined; }
  for (let i = 0; i < 50 && count() === before; i++) await sleep(20);
  const w = JSON.parse(fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).pop() ?? '{}');
  return Object.entries(TXN_APIS).map(([k, name]) => `${name} ${(w[k] ?? []).map((v) => `v${v}`).join('/') || '–'}`).join(', ');
}

// ---- checks ----
async function txnMix(b) {
  const topic = 'mix';
  await createTopic(b, topic, 3);
  const files = Object.fromEntries(['committed', 'aborted', 'all'].map((k) => [k, path.join(logDir, `mix-${step}-${k}.txt`)]));
  const r = await java('txnmix', 'TxnMix', ['--bootstrap', b.bootstrap, '--topic', topic, '--partitions', '3', '--txns', '15', '--per-partition', '10',
    '--committed', files.committed, '--aborted', files.aborted, '--all', files.all]);
  if (r.code !== 0) throw new Error(`TxnMix: ${lastLine(r.out)}`);
  const rc = await checker('read-committed', ['--bootstrap', b.bootstrap, '--topic', topic, '--expect-file', files.committed, '--forbid-file', files.aborted, '--wait', '30']);
  const ru = await checker('read-uncommitted', ['--bootstrap', b.bootstrap, '--topic', topic, '--isolation', 'read_uncommitted', '--expect-file', files.all]);
  return { detail: `${lastLine(r.out).replace(/^txnmix: /, '')}; read_committed ${rc.seen} of ${ru.seen} records (${rc.uncommittedOnly} aborted hidden)`, checker: rc };
}

async function copyKill9(b) {
  const n = opts.records;
  await createTopic(b, 'input', 4);
  await createTopic(b, 'output', 4);
  const vp = await kafkaTool('verifiable-producer', 'VerifiableProducer', ['--bootstrap-server', b.bootstrap, '--topic', 'input', '--max-messages', String(n), '--acks', '-1'], 600_000);
  if (vp.code !== 0 || !vp.out.includes(`"acked":${n}`)) throw new Error(`VerifiableProducer: ${lastLine(vp.out)}`);
  const copierArgs = ['--broker-list', b.bootstrap, '--input-topic', 'input', '--input-partition', '0', '--output-topic', 'output',
    '--transactional-id', 'eos-copier', '--consumer-group', 'eos-copier', '--group-mode', '--use-group-metadata', '--transaction-size', '500', '--enable-random-aborts'];
  const progress = (out) => Math.max(0, ...[...out.matchAll(/"totalProcessed":(\d+)/g)].map((m) => Number(m[1])));
  let copier = start('copier', tool, ['org.apache.kafka.tools.TransactionalMessageCopier', ...copierArgs]);
  const s = Date.now();
  await until('the copier to reach 30 %', () => progress(copier.out()) >= n * 0.3 || copier.child.exitCode !== null, 600_000);
  const at = progress(copier.out());
  const down = await killAndRestart(b, `at ${at} records copied`);
  let restarts = 0;
  for (;;) {
    const timer = setTimeout(copier.kill, 600_000);
    const r = await copier.done;
    clearTimeout(timer);
    if (r.code === 0 && /"stage":"ShutdownComplete".*"remaining":0/.test(r.out)) break;
    if (++restarts > 3) throw new Error(`the copier did not finish after 3 restarts: ${lastLine(r.out)}`);
    say(`  the copier exited (${r.code}: ${lastLine(r.out).slice(0, 160)}); restarting it`);
    copier = start('copier', tool, ['org.apache.kafka.tools.TransactionalMessageCopier', ...copierArgs]);
  }
  const copyS = (Date.now() - s) / 1000;
  const rc = await checker('output', ['--bootstrap', b.bootstrap, '--topic', 'output', '--expect-topic', 'input', '--expect-count', String(n), '--wait', '60']);
  return { detail: `killed at ${at}/${n}, broker down ${down.toFixed(1)} s, copier restarts ${restarts}, copy ${copyS.toFixed(0)} s; output ${rc.seen} records, ${rc.uncommittedOnly} aborted hidden`, checker: rc };
}

async function streamsKill9(b) {
  const lines = 10_000;
  await createTopic(b, 'lines', 4);
  await createTopic(b, 'counts', 4);
  const counts = path.join(logDir, `wordcount-${step}.txt`);
  const wi = await java('word-input', 'WordInput', ['--bootstrap', b.bootstrap, '--topic', 'lines', '--lines', String(lines), '--words', '100', '--counts', counts]);
  if (wi.code !== 0) throw new Error(`WordInput: ${lastLine(wi.out)}`);
  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'eos-streams-'));
  const appArgs = ['--bootstrap', b.bootstrap, '--input', 'lines', '--output', 'counts', '--app-id', 'eos-wordcount', '--state-dir', stateDir];
  const processed = (out) => Math.max(0, ...[...out.matchAll(/^processed (\d+)$/gm)].map((m) => Number(m[1])));
  const startApp = () => start('wordcount', 'java', [...JVM, '-cp', javaCp(), 'odradek.eos.WordCount', ...appArgs]);
  let app = startApp();
  let restarts = 0;
  try {
    await until('the word count to process 3,000 lines', () => processed(app.out()) >= 3000 || app.child.exitCode !== null, 300_000);
    const at = processed(app.out());
    const down = await killAndRestart(b, `after ${at} lines`);
    const check = checker('final-counts', ['--bootstrap', b.bootstrap, '--topic', 'counts', '--final-counts', counts, '--wait', '240'], 400_000);
    // an application that stops (ERROR) is started again while the checker waits
    let finished = false;
    check.finally(() => { finished = true; }).catch(() => {});
    (async () => {
      while (!finished) {
        if (app.child.exitCode !== null && restarts < 3) { restarts++; say('  the word count exited; restarting it'); app = startApp(); }
        await sleep(500);
      }
    })();
    const rc = await check;
    return { detail: `${lines} lines, ${rc.words} words, killed after ${at} lines, broker down ${down.toFixed(1)} s, app restarts ${restarts}; ${rc.records} count records read, final counts exact`, checker: rc };
  } finally {
    app.kill();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

const CHECK_FNS = { 'txn-mix': txnMix, 'copy-kill9': copyKill9, 'streams-kill9': streamsKill9 };

// ---- main ----
const results = [];
let exitCode = 0;
try {
  const built = await javaBuild(cache, 'eos', here);
  if (!built.ok) throw new Error(`building test-compat/eos: ${built.reason}`);
  const kt = await sh(path.join(root, 'scripts', 'kafka', 'fetch.sh'), []);
  if (kt.code !== 0) throw new Error(`scripts/kafka/fetch.sh: ${lastLine(kt.out)}`);
  say(`checks: ${checks.join(', ')}; transaction versions ${opts.versions.join(', ')}; brokers ${brokerNames.join(', ')}; logs in ${logDir}`);
  for (const check of checks) {
    for (const version of opts.versions) {
      for (const broker of brokerNames) {
        const row = { check, version: Number(version), broker };
        const s = Date.now();
        let b;
        try {
          b = await freshBroker(broker, version);
          const tv = await finalizedTv(b.bootstrap);
          if (tv !== version) throw new Error(`the broker finalizes transaction.version ${tv}, not ${version}`);
          const r = await CHECK_FNS[check](b);
          Object.assign(row, { status: 'PASS', reason: '', detail: r.detail, checker: r.checker });
          if (broker === 'odradek') row.apiVersions = await versionsUsed(b);
        } catch (err) {
          Object.assign(row, { status: 'FAIL', reason: String(err?.message ?? err).slice(0, 600) });
        } finally {
          if (b) await b.stop().catch(() => {});
        }
        row.seconds = Math.round((Date.now() - s) / 1000);
        results.push(row);
        say(`${row.status.padEnd(4)} ${broker.padEnd(7)} ${check.padEnd(14)} tv${version} ${String(row.seconds).padStart(4)}s  ${row.reason || row.detail}`);
      }
    }
  }
  const versionsFile = path.join(logDir, 'odradek-versions.jsonl');
  if (fs.existsSync(versionsFile)) say(`odradek: API versions per broker window in ${versionsFile}`);
} catch (err) {
  console.error(`eos: ${err?.stack ?? err}`);
  exitCode = 2;
}

// ---- report ----
const report = {
  runId, startedAt: new Date(t0).toISOString(), durationSeconds: Math.round((Date.now() - t0) / 1000),
  command: `node test-compat/eos/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  host: { node: process.version, cpus: os.cpus().length }, records: opts.records, results,
};
const md = (rep) => [
  '# Exactly-once checks (issue #16): odradek and Apache Kafka 4.4', '',
  `Generated by \`${rep.command}\` on ${rep.startedAt} in ${rep.durationSeconds} s (Node ${rep.host.node}, ${rep.host.cpus} CPUs). What each check does: the header of \`test-compat/eos/run.mjs\`.`, '',
  '| check | transaction.version | broker | status | time | what happened |', '|---|--:|---|---|--:|---|',
  ...rep.results.map((r) => `| ${r.check} | ${r.version} | ${r.broker} | ${r.status} | ${r.seconds} s | ${String(r.reason || r.detail).replace(/\|/g, '\\|')} |`), '',
  '## Transaction API versions the clients sent odradek', '',
  'Recorded by `test-compat/versions-seen.mjs` in the broker, per check (after its last restart).', '',
  '| check | transaction.version | versions |', '|---|--:|---|',
  ...rep.results.filter((r) => r.apiVersions).map((r) => `| ${r.check} | ${r.version} | ${r.apiVersions} |`), '',
].join('\n');
if (!partial) {
  fs.mkdirSync(opts.out, { recursive: true });
  fs.writeFileSync(path.join(opts.out, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(path.join(opts.out, 'latest.md'), md(report));
  say(`wrote ${path.relative(process.cwd(), path.join(opts.out, 'latest.md'))} and latest.json`);
} else {
  fs.writeFileSync(path.join(logDir, 'results.json'), JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(path.join(logDir, 'results.md'), md(report));
  say(`partial run: results.{json,md} in ${logDir} (the committed results are written by full runs only)`);
}
const failed = results.filter((r) => r.status !== 'PASS');
console.log(`eos: ${results.length - failed.length} passed, ${failed.length} failed`);
if (exitCode === 0 && failed.some((r) => r.broker === 'odradek')) exitCode = 1;
process.exit(exitCode);
