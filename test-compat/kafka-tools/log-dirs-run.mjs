// Not part of the matrix: the kafka-tools `log-dirs` and `broker-configs` scenarios (admin-dirs.mjs)
// against odradek and Apache Kafka 4.4, each started here with TWO log dirs (odradek
// `--data-dir A,B`, Kafka `log.dirs=A,B` through scripts/kafka/start.sh), so the move goes from one
// dir to the other. Prints each scenario's outcome and RESULT lines side by side (log dir paths
// shown as dir#0/dir#1) and writes test-compat/results/log-dirs.md. franz-go's `admin-log-dirs`
// (kadm AlterReplicaLogDirs while a producer writes and a consumer reads) and `admin-broker-configs`
// run on the same two brokers.
//   node test-compat/kafka-tools/log-dirs-run.mjs [--no-kafka] [--no-odradek]
// Exit 1 when a scenario fails on odradek or their RESULT lines differ.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { clients, sh } from '../clients.mjs';
import { startKafka, startOdradek } from '../brokers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const argv = new Set(process.argv.slice(2));
const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'compat-log-dirs-'));
const cache = path.resolve(process.env.COMPAT_CACHE ?? path.join(here, '..', '.cache', 'compat'));
const franz = clients(path.join(here, '..'), cache)['franz-go'];
// kafka-tools scenarios by name, franz-go's as franz-go:<name>
const SCENARIOS = ['log-dirs', 'broker-configs', 'franz-go:admin-log-dirs', 'franz-go:admin-broker-configs'];
const built = await franz.install();
if (!built.ok) throw new Error(`franz-go: ${built.reason}`);

async function run(broker, dirs) {
  const out = {};
  for (const s of SCENARIOS) {
    const [cmd, pre] = s.startsWith('franz-go:') ? franz.command() : ['node', [path.join(here, 'scenarios.mjs')]];
    const name = s.replace(/^franz-go:/, '');
    const r = await sh(cmd, [...pre, '--bootstrap', broker.bootstrap, '--scenario', name, '--topic', `ld-${name}`], { timeoutMs: 300_000 });
    fs.appendFileSync(path.join(logDir, `${broker.name}-${s.replace(':', '-')}.log`), r.out);
    const norm = (v) => dirs.reduce((acc, d, i) => acc.split(d).join(`dir#${i}`), v);
    const results = r.out.split('\n').filter((l) => l.startsWith('RESULT ')).map((l) => norm(l.slice(7)));
    // figures that differ run to run (not compared): franz-go's record counts across the move
    const figures = r.out.split('\n').filter((l) => l.startsWith('records: '));
    out[s] = { pass: r.code === 0, reason: r.code === 0 ? '' : r.out.trim().split('\n').slice(-1)[0], results, figures };
  }
  return out;
}

const runs = {};
if (!argv.has('--no-odradek')) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'compat-odradek-dirs-'));
  const dirs = [path.join(root, 'a'), path.join(root, 'b')];
  const b = await startOdradek(logDir, { dataDir: dirs.join(',') });
  try {
    runs.odradek = await run(b, dirs);
  } finally {
    await b.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
if (!argv.has('--no-kafka')) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'compat-kafka-dirs-'));
  const dirs = [path.join(root, 'a'), path.join(root, 'b')];
  const b = await startKafka(logDir, { config: [`log.dirs=${dirs.join(',')}`] });
  try {
    runs.kafka = await run(b, dirs);
  } finally {
    await b.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

const lines = ['# kafka-tools with two log dirs: odradek and Apache Kafka 4.4', '', `Run: ${new Date().toISOString()} (node test-compat/kafka-tools/log-dirs-run.mjs)`, ''];
let bad = false;
for (const s of SCENARIOS) {
  lines.push(`## ${s}`, '', '| broker | outcome |', '|---|---|');
  for (const [name, r] of Object.entries(runs)) lines.push(`| ${name} | ${r[s].pass ? 'PASS' : `FAIL: ${r[s].reason.replace(/\|/g, '\\|')}`} |`);
  lines.push('');
  const o = runs.odradek?.[s];
  const k = runs.kafka?.[s];
  if (o && !o.pass) bad = true;
  const n = Math.max(o?.results.length ?? 0, k?.results.length ?? 0);
  for (let i = 0; i < n; i++) {
    const same = o && k && o.results[i] === k.results[i];
    if (o && k && !same) bad = true;
    lines.push(same ? `- same: \`${o.results[i]}\`` : `- odradek: \`${o?.results[i] ?? '–'}\`\n- kafka: \`${k?.results[i] ?? '–'}\``);
  }
  for (const [name, r] of Object.entries(runs)) for (const f of r[s].figures) lines.push(`- ${name} ${f}`);
  lines.push('');
}
const md = lines.join('\n');
process.stdout.write(`${md}\nlogs: ${logDir}\n`);
fs.writeFileSync(path.join(here, '..', 'results', 'log-dirs.md'), md);
process.exit(bad ? 1 : 0);
