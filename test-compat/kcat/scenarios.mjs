// kcat scenario program for test-compat/run.mjs: drives the kcat binary (librdkafka underneath).
//   node scenarios.mjs --bootstrap HOST:PORT --scenario NAME --topic T
// Exit 0 = pass; otherwise the last stderr line is the reason; exit 3 = not supported.
//
// kcat has no admin commands: topics are auto-created by the first produce (broker default
// partition count) and the 'records' scenario stays under the broker's default 1 MiB
// message.max.bytes (a 1,000,000-byte value). kcat cannot set a record timestamp, so
// consume-timestamp takes the time between two produce runs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const opt = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) opt[argv[i].replace(/^--/, '')] = argv[i + 1];
const B = opt.bootstrap;
const T = opt.topic;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'compat-kcat-'));

class Unsupported extends Error {}
function check(cond, msg) { if (!cond) throw new Error(msg); }
function eq(actual, expected, what) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e.slice(0, 200)}, got ${a.slice(0, 200)}`);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Runs kcat; resolves {code, out, err}; `onErr` sees stderr as it arrives. */
function kcat(args, { input, timeoutMs = 30000, onErr } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-b', B, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`kcat ${args.join(' ')} timed out; stderr: ${err.trim().slice(-300)}`)); }, timeoutMs);
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; onErr?.(err, child); });
    child.on('error', reject);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, out, err }); });
    if (input !== undefined) child.stdin.end(input); else child.stdin.end();
  });
}
async function produce(lines, extra = [], files = []) {
  const r = await kcat(['-P', '-t', T, '-p', '0', '-K', ':', '-X', 'topic.metadata.refresh.interval.ms=500', ...extra, ...files],
    { input: files.length ? undefined : lines.map((l) => `${l}\n`).join('') });
  check(r.code === 0 && !/ERROR/.test(r.err), `kcat -P ${extra.join(' ')} failed (exit ${r.code}): ${r.err.trim().split('\n').pop()}`);
}
async function consume(from, count, extra = []) {
  const r = await kcat(['-C', '-t', T, '-p', '0', '-o', String(from), '-c', String(count), '-e', '-J', '-X', 'fetch.wait.max.ms=200', ...extra]);
  check(r.code === 0, `kcat -C failed (exit ${r.code}): ${r.err.trim().split('\n').pop()}`);
  return r.out.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}
const triples = (msgs) => msgs.map((m) => [m.offset, m.key, m.payload]);
const kv = (n, from = 0) => Array.from({ length: n }, (_, i) => `k-${from + i}:v-${from + i}`);
const exp = (from, to) => Array.from({ length: to - from }, (_, i) => [from + i, `k-${from + i}`, `v-${from + i}`]);

async function metadata() {
  const r = await kcat(['-L', '-J', '-t', T]);
  check(r.code === 0, `kcat -L failed: ${r.err.trim()}`);
  return JSON.parse(r.out);
}

const scenarios = {
  async bootstrap() {
    const r = await kcat(['-L', '-J']);
    check(r.code === 0, `kcat -L failed: ${r.err.trim().split('\n').pop()}`);
    const md = JSON.parse(r.out);
    check(md.brokers.length >= 1, 'no brokers');
    check(md.brokers.some((b) => b.name === B), `${B} not among ${JSON.stringify(md.brokers)}`);
  },
  async metadata() {
    await produce(['k:first']); // auto-creates the topic
    const md = await metadata();
    const t = md.topics.find((x) => x.topic === T);
    check(t && !t.error, `topic missing from metadata: ${JSON.stringify(t)}`);
    eq(t.partitions.map((p) => p.partition), Array.from({ length: t.partitions.length }, (_, i) => i), 'partition ids');
    for (const p of t.partitions) check(md.brokers.some((b) => b.id === p.leader), `leader ${p.leader} is not a broker`);
  },
  async 'produce-acks0'() { await produceAcks('0'); },
  async 'produce-acks1'() { await produceAcks('1'); },
  async 'produce-acksall'() { await produceAcks('all'); },
  async codecs() {
    const expected = [];
    const codecs = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
    for (let c = 0; c < codecs.length; c++) {
      const lines = Array.from({ length: 5 }, (_, i) => `${codecs[c]}-k${i}:${codecs[c]}-${i}-${'x'.repeat(100)}`);
      await produce(lines, ['-X', `compression.codec=${codecs[c]}`, '-X', 'linger.ms=50']);
      lines.forEach((l, i) => expected.push([c * 5 + i, ...l.split(':')]));
    }
    eq(triples(await consume('beginning', 25)), expected, 'records read back');
  },
  async records() {
    const payload = Array.from({ length: 1_000_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const big = path.join(tmp, 'big');
    fs.writeFileSync(big, payload);
    await produce(['k0:v0'], ['-H', 'h1=a', '-H', 'h2=b']);
    await produce(['v1']); // no key delimiter: null key
    await produce(['k2:'], ['-Z']); // empty value sent as NULL
    await produce(['k3:']); // empty value
    await produce([], ['-k', 'k4', '-X', 'message.max.bytes=1048576'], [big]); // a file is one message
    await produce(['k5:v5'], ['-H', 'dup=1', '-H', 'dup=2']);
    const got = await consume('beginning', 6);
    eq(got.map((m) => m.offset), [0, 1, 2, 3, 4, 5], 'offsets');
    eq(got.map((m) => m.key), ['k0', null, 'k2', 'k3', 'k4', 'k5'], 'keys');
    eq([got[0].payload, got[1].payload, got[2].payload, got[3].payload, got[5].payload], ['v0', 'v1', null, '', 'v5'], 'values');
    check(got[4].payload === payload, `1,000,000-byte value differs (length ${got[4].payload?.length})`);
    eq(got[0].headers, ['h1', 'a', 'h2', 'b'], 'headers');
    eq(got[5].headers, ['dup', '1', 'dup', '2'], 'repeated headers');
  },
  async 'consume-beginning'() {
    await produce(kv(10));
    eq(triples(await consume('beginning', 10)), exp(0, 10), 'records');
    eq(triples(await consume('3', 7)), exp(3, 10), 'records from offset 3');
  },
  async 'consume-end'() {
    await produce(kv(5));
    // kcat reports "Reached end of topic T [0] at offset N" once it fetches at the end.
    let ready;
    const atEnd = new Promise((r) => { ready = r; });
    const c = kcat(['-C', '-t', T, '-p', '0', '-o', 'end', '-c', '5', '-J', '-X', 'fetch.wait.max.ms=200'], {
      onErr: (err) => { if (/Reached end of topic .* at offset 5/.test(err)) ready(); },
    });
    await Promise.race([atEnd, sleep(15000).then(() => { throw new Error('consumer never reached the end at offset 5'); })]);
    await produce(kv(5, 5));
    const r = await c;
    check(r.code === 0, `kcat -C failed: ${r.err.trim().split('\n').pop()}`);
    eq(triples(r.out.split('\n').filter(Boolean).map((l) => JSON.parse(l))), exp(5, 10), 'records after the end');
  },
  async 'consume-timestamp'() {
    await produce(kv(5));
    await sleep(1100);
    const tMid = Date.now();
    await sleep(1100);
    await produce(kv(5, 5));
    const q = await kcat(['-Q', '-t', `${T}:0:${tMid}`]);
    check(q.code === 0, `kcat -Q failed: ${q.err.trim()}`);
    check(/\[0\]\s+offset\s+5\b/.test(q.out), `offset for tMid: expected 5, got ${q.out.trim()}`);
    const fut = await kcat(['-Q', '-t', `${T}:0:${Date.now() + 3_600_000}`]);
    check(/\[0\]\s+offset\s+-1\b/.test(fut.out), `offset for a future time: expected -1, got ${fut.out.trim()}`);
    const got = await consume(`s@${tMid}`, 5);
    eq(triples(got), exp(5, 10), 'records from tMid');
    const all = await consume('beginning', 10);
    for (const m of all) check(m.tstype === 'create' && (m.offset < 5 ? m.ts < tMid : m.ts >= tMid), `timestamp of offset ${m.offset}: ${m.tstype} ${m.ts} vs ${tMid}`);
    eq(got.map((m) => m.ts), all.slice(5).map((m) => m.ts), 'timestamps');
  },
  async idempotent() {
    await produce(kv(20), ['-X', 'enable.idempotence=true', '-X', 'batch.num.messages=5', '-X', 'linger.ms=0']);
    eq(triples(await consume('beginning', 20)), exp(0, 20), 'records');
  },
};

async function produceAcks(acks) {
  await produce(['k-0:v-0']); // auto-create first, so the acks=0 records find a leader
  await produce(kv(9, 1), ['-X', `acks=${acks}`]);
  eq(triples(await consume('beginning', 10)), exp(0, 10), 'records');
}

let code = 0;
try {
  const fn = scenarios[opt.scenario];
  if (!fn) throw new Unsupported(`kcat: scenario ${opt.scenario} is not implemented`);
  await fn();
} catch (err) {
  code = err instanceof Unsupported ? 3 : 1;
  process.stderr.write(`${err?.stack ?? err}\n${opt.scenario}: ${String(err?.message ?? err).split('\n')[0]}\n`);
}
fs.rmSync(tmp, { recursive: true, force: true });
process.exit(code);
