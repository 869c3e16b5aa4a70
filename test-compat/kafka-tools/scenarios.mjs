// Kafka's own command-line tools (kafka-tools 4.4.0: TopicCommand, ConfigCommand, ConsoleProducer,
// ConsoleConsumer, GetOffsetShell, DeleteRecordsCommand, ConsumerGroupCommand,
// BrokerApiVersionsCommand, MetadataQuorumCommand, FeatureCommand, LeaderElectionCommand, ReassignPartitionsCommand, LogDirsCommand) as a client, run through scripts/kafka/tool.sh (the Maven Central jars).
//   node scenarios.mjs --bootstrap HOST:PORT --scenario NAME --topic T
// Exit 0 = pass; otherwise the last stderr line is the reason; exit 3 = not supported.
// Each tool run is a JVM start (~1–3 s); this client is not part of --subset ci.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseBrokerApiVersions } from '../api-versions.mjs';
import { adminDirScenarios } from './admin-dirs.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const toolSh = path.resolve(here, '..', '..', 'scripts', 'kafka', 'tool.sh');
const opt = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) opt[argv[i].replace(/^--/, '')] = argv[i + 1];
const B = opt.bootstrap;
const T = opt.topic;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'compat-kafka-tools-'));

class Unsupported extends Error {}
function check(cond, msg) { if (!cond) throw new Error(msg); }
function eq(actual, expected, what) {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e.slice(0, 200)}, got ${a.slice(0, 200)}`);
}
// Kafka applies config changes through its metadata log, so a describe may lag an alter.
async function eventually(fn, expected, what, ms = 10000) {
  const end = Date.now() + ms;
  for (;;) {
    const got = await fn();
    if (JSON.stringify(got) === JSON.stringify(expected) || Date.now() > end) return eq(got, expected, what);
    await new Promise((r) => setTimeout(r, 200));
  }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function tool(main, args, { input, timeoutMs = 60000, ok = true } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(toolSh, [`org.apache.kafka.tools.${main}`, '--bootstrap-server', B, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${main} timed out; stderr: ${err.trim().slice(-300)}`)); }, timeoutMs);
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (ok && code !== 0) reject(new Error(`${main} ${args.slice(0, 4).join(' ')} exited ${code}: ${(err.trim() || out.trim()).split('\n').filter(Boolean).slice(-1)[0] ?? ''}`));
      else resolve({ code, out, err });
    });
    child.stdin.on('error', () => {}); // a tool that exits early closes its stdin; its exit code tells
    child.stdin.end(input ?? '');
  });
}
const topics = (args, o) => tool('TopicCommand', args, o);
async function create(topic, partitions, configs = []) {
  await topics(['--create', '--topic', topic, '--partitions', String(partitions), '--replication-factor', '1', ...configs.flatMap((c) => ['--config', c])]);
}
async function describe(topic) {
  const { out } = await topics(['--describe', '--topic', topic]);
  return [...out.matchAll(/Partition:\s*(\d+)\s+Leader:\s*(-?\d+)/g)].map((m) => ({ partition: Number(m[1]), leader: Number(m[2]) }));
}
async function produce(lines, extra = []) {
  await tool('ConsoleProducer', ['--topic', T, '--reader-property', 'parse.key=true', '--reader-property', 'key.separator=:', ...extra],
    { input: lines.map((l) => `${l}\n`).join('') });
}
async function consume(count, extra = ['--offset', 'earliest'], props = []) {
  const { out } = await tool('consumer.ConsoleConsumer', ['--topic', T, '--partition', '0', ...extra, '--max-messages', String(count), '--timeout-ms', '15000',
    '--formatter-property', 'print.offset=true', '--formatter-property', 'print.key=true', ...props], { ok: false });
  return out.split('\n').filter((l) => l.startsWith('Offset:')).map((l) => {
    const [o, ...rest] = l.split('\t');
    return [Number(o.slice('Offset:'.length)), ...rest];
  });
}
async function offsetAt(time) {
  const { out } = await tool('GetOffsetShell', ['--topic', T, '--partitions', '0', '--time', String(time)]);
  const m = new RegExp(`^${T.replace(/[.]/g, '\\.')}:0:(-?\\d*)`, 'm').exec(out);
  // no line at all when no offset matches (e.g. a future timestamp)
  return !m || m[1] === '' ? null : Number(m[1]);
}
const kv = (n, from = 0) => Array.from({ length: n }, (_, i) => `k-${from + i}:v-${from + i}`);
const exp = (from, to) => Array.from({ length: to - from }, (_, i) => [from + i, `k-${from + i}`, `v-${from + i}`]);
async function configs() {
  const { out } = await tool('ConfigCommand', ['--entity-type', 'topics', '--entity-name', T, '--describe', '--all']);
  const get = (k) => new RegExp(`^\\s*${k.replace('.', '\\.')}=(\\S*)`, 'm').exec(out)?.[1];
  return `${get('retention.ms')}/${get('cleanup.policy')}`;
}

const scenarios = {
  ...adminDirScenarios({ tool, create, produce, consume, offsetAt, check, eq, eventually, tmp, T }),
  'share-verifiable': shareVerifiable,
  'share-admin': shareAdmin,
  async bootstrap() {
    const { out } = await tool('BrokerApiVersionsCommand', []);
    check(out.startsWith(`${B} (id:`), `BrokerApiVersionsCommand: ${out.split('\n')[0]}`);
    for (const api of ['Produce', 'Fetch', 'Metadata', 'ApiVersions']) check(new RegExp(`\\b${api}\\(\\d+\\): \\d+ to \\d+ \\[usable: \\d+\\]`).test(out), `${api} not usable: ${out.slice(0, 300)}`);
    await topics(['--list']);
  },
  // Observes only: prints the advertised ranges as a RESULT line; run.mjs compares odradek's with
  // Kafka's (api-versions.mjs) and writes results/api-versions.md.
  async 'api-versions'() {
    const { out } = await tool('BrokerApiVersionsCommand', []);
    check(out.startsWith(`${B} (id:`), `BrokerApiVersionsCommand: ${out.split('\n')[0]}`);
    const apis = parseBrokerApiVersions(out);
    check(apis.some((a) => a.name === 'ApiVersions' && a.maxVersion !== null), `ApiVersions not listed as served: ${out.slice(0, 300)}`);
    process.stdout.write(`${out.trim()}\nRESULT ${JSON.stringify({ apis })}\n`); // the tool's output stays in the run's log
  },
  async metadata() {
    await create(T, 3);
    const d = await describe(T);
    eq(d.map((p) => p.partition), [0, 1, 2], 'partitions');
    for (const p of d) check(p.leader >= 0, `partition ${p.partition} has no leader`);
  },
  async 'produce-acks0'() { await produceAcks('0'); },
  async 'produce-acks1'() { await produceAcks('1'); },
  async 'produce-acksall'() { await produceAcks('all'); },
  async codecs() {
    await create(T, 1);
    const expected = [];
    for (const [c, codec] of ['none', 'gzip', 'snappy', 'lz4', 'zstd'].entries()) {
      const lines = Array.from({ length: 5 }, (_, i) => `${codec}-k${i}:${codec}-${i}-${'x'.repeat(100)}`);
      await produce(lines, ['--compression-codec', codec]);
      lines.forEach((l, i) => expected.push([c * 5 + i, ...l.split(':')]));
    }
    eq(await consume(25), expected, 'records read back');
  },
  async records() {
    await create(T, 1, [`max.message.bytes=${2 << 20}`]);
    const big = Array.from({ length: 1 << 20 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const hdr = ['--reader-property', 'parse.headers=true', '--reader-property', 'null.marker=NULL'];
    // with parse.headers every line needs a header; nh:NULL is a header with a null value
    await produce(['h1:a,h2:b\tk0:v0', 'nh:NULL\tNULL:v1', 'nh:NULL\tk2:NULL', 'nh:NULL\tk3:', `nh:NULL\tk4:${big}`, 'dup:1,dup:2\tk5:v5'],
      [...hdr, '--command-property', `max.request.size=${4 << 20}`, '--sync']);
    const got = await consume(6, ['--offset', 'earliest'], ['--formatter-property', 'print.headers=true', '--consumer-property', `max.partition.fetch.bytes=${4 << 20}`]);
    eq(got.map((r) => r[0]), [0, 1, 2, 3, 4, 5], 'offsets');
    // print.headers puts the headers before the key
    eq(got.map((r) => r[1]), ['h1:a,h2:b', 'nh:null', 'nh:null', 'nh:null', 'nh:null', 'dup:1,dup:2'], 'headers');
    eq(got.map((r) => r[2]), ['k0', 'null', 'k2', 'k3', 'k4', 'k5'], 'keys');
    eq([0, 1, 2, 3, 5].map((i) => got[i][3]), ['v0', 'v1', 'null', '', 'v5'], 'values');
    check(got[4][3] === big, `1 MiB value differs (length ${got[4][3]?.length})`);
  },
  async 'consume-beginning'() {
    await create(T, 1);
    await produce(kv(10));
    eq([await offsetAt('earliest'), await offsetAt('latest')], [0, 10], 'earliest/latest');
    eq(await consume(10), exp(0, 10), 'records');
  },
  async 'consume-end'() {
    await create(T, 1);
    await produce(kv(5));
    // a JVM start is too slow to race a producer: list the end offset, then consume from it
    const end = await offsetAt('latest');
    eq(end, 5, 'latest');
    await produce(kv(5, 5));
    eq(await consume(5, ['--offset', String(end)]), exp(5, 10), 'records after the end');
  },
  async 'consume-timestamp'() {
    await create(T, 1);
    await produce(kv(5));
    await sleep(1100);
    const tMid = Date.now();
    await sleep(1100);
    await produce(kv(5, 5));
    eq(await offsetAt(tMid), 5, 'offset for tMid');
    const fut = await offsetAt(Date.now() + 3_600_000);
    check(fut === null || fut === -1, `offset for a future time: ${fut}`);
    eq(await consume(5, ['--offset', '5']), exp(5, 10), 'records from tMid');
  },
  async 'admin-topics'() {
    const T2 = `${T}-b`;
    await create(T, 2);
    await create(T2, 1);
    const dup = await topics(['--create', '--topic', T2, '--partitions', '1', '--replication-factor', '1'], { ok: false });
    check(dup.code !== 0 && /already exists/i.test(dup.out + dup.err), `creating an existing topic: exit ${dup.code}`);
    const list = (await topics(['--list'])).out.split('\n');
    check(list.includes(T) && list.includes(T2), 'list misses a topic');
    eq([(await describe(T)).length, (await describe(T2)).length], [2, 1], 'partitions');
    await topics(['--delete', '--topic', T]);
    for (let i = 0; ; i++) {
      const l = (await topics(['--list'])).out.split('\n');
      if (!l.includes(T) && l.includes(T2)) break;
      check(i < 10, 'topic still listed after delete');
      await sleep(300);
    }
  },
  async 'admin-configs'() {
    await create(T, 1);
    await eventually(configs, '604800000/delete', 'defaults');
    await tool('ConfigCommand', ['--entity-type', 'topics', '--entity-name', T, '--alter', '--add-config', 'retention.ms=3600000']);
    await eventually(configs, '3600000/delete', 'after --add-config retention.ms');
    await tool('ConfigCommand', ['--entity-type', 'topics', '--entity-name', T, '--alter', '--add-config', 'cleanup.policy=compact', '--delete-config', 'retention.ms']);
    await eventually(configs, '604800000/compact', 'after --add-config cleanup.policy --delete-config retention.ms');
  },
  // Group configs (KIP-848/932): kafka-configs --entity-type groups, on a group that need not exist.
  async 'group-configs'() {
    const g = `${T}-g`;
    const cfg = (args, o) => tool('ConfigCommand', ['--entity-type', 'groups', ...args], o);
    const lines = (out) => out.split('\n').map((l) => l.trim()).filter((l) => /^[a-z.]+=/.test(l));
    const all = lines((await cfg(['--entity-name', g, '--describe', '--all'])).out);
    eq(all.length, 21, 'number of group configs in --describe --all');
    check(all.includes('consumer.session.timeout.ms=45000 sensitive=false synonyms={DEFAULT_CONFIG:group.consumer.session.timeout.ms=45000}'), `consumer.session.timeout.ms default: ${all[2]}`);
    check(all.includes('share.auto.offset.reset=latest sensitive=false synonyms={DEFAULT_CONFIG:share.auto.offset.reset=latest}'), 'share.auto.offset.reset default');
    await cfg(['--entity-name', g, '--alter', '--add-config', 'consumer.session.timeout.ms=50000,share.delivery.count.limit=3']);
    const own = () => cfg(['--entity-name', g, '--describe']).then((r) => lines(r.out));
    await eventually(own, [
      'consumer.session.timeout.ms=50000 sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:consumer.session.timeout.ms=50000, DEFAULT_CONFIG:group.consumer.session.timeout.ms=45000}',
      'share.delivery.count.limit=3 sensitive=false synonyms={DYNAMIC_GROUP_CONFIG:share.delivery.count.limit=3, DEFAULT_CONFIG:group.share.delivery.count.limit=5}',
    ], 'the group\'s own configs after --add-config');
    const bad = await cfg(['--entity-name', g, '--alter', '--add-config', 'consumer.session.timeout.ms=1'], { ok: false });
    check(bad.code !== 0 && /InvalidConfigurationException: consumer\.session\.timeout\.ms must be in the range 45000 to 60000 inclusive\./.test(bad.out + bad.err), `out-of-range value: ${(bad.out + bad.err).trim().slice(-200)}`);
    const unknown = await cfg(['--entity-name', g, '--alter', '--add-config', 'foo.bar=1'], { ok: false });
    check(unknown.code !== 0 && /Unknown group config name: foo\.bar/.test(unknown.out + unknown.err), `unknown name: ${(unknown.out + unknown.err).trim().slice(-200)}`);
    check((await cfg(['--describe'])).out.includes(`Dynamic configs for group ${g} are:`), 'the group in --describe of every group');
    await cfg(['--entity-name', g, '--alter', '--delete-config', 'consumer.session.timeout.ms,share.delivery.count.limit']);
    await eventually(async () => (await cfg(['--entity-name', g, '--describe'])).out.trim(), `The group '${g}' doesn't exist and doesn't have dynamic config.`, 'after --delete-config');
  },
  async 'admin-partitions'() {
    await create(T, 1);
    await topics(['--alter', '--topic', T, '--partitions', '3']);
    eq((await describe(T)).map((p) => p.partition), [0, 1, 2], 'partitions after --alter');
    const { out } = await tool('GetOffsetShell', ['--topic', T, '--time', 'latest']);
    eq(out.trim().split('\n').filter(Boolean).sort(), [`${T}:0:0`, `${T}:1:0`, `${T}:2:0`], 'offsets of the three partitions');
  },
  async 'admin-delete-records'() {
    await create(T, 1);
    await produce(kv(10));
    const f = path.join(tmp, 'delete.json');
    fs.writeFileSync(f, JSON.stringify({ version: 1, partitions: [{ topic: T, partition: 0, offset: 4 }] }));
    const { out } = await tool('DeleteRecordsCommand', ['--offset-json-file', f]);
    check(/low_watermark:\s*4/.test(out), `DeleteRecordsCommand: ${out.trim()}`);
    eq(await offsetAt('earliest'), 4, 'earliest');
    eq(await consume(6), exp(4, 10), 'records after the low watermark');
  },
  async idempotent() {
    await create(T, 1);
    await produce(kv(20), ['--command-property', 'enable.idempotence=true', '--command-property', 'acks=all', '--command-property', 'batch.size=200']);
    eq(await consume(20), exp(0, 20), 'records');
  },
  async 'admin-groups'() {
    await create(T, 1);
    await produce(kv(10));
    const G = `${T}-g`;
    // a group member reads 7 records and commits on close (auto-commit)
    await tool('consumer.ConsoleConsumer', ['--topic', T, '--group', G, '--from-beginning', '--max-messages', '7', '--timeout-ms', '20000']);
    const groups = (await tool('consumer.group.ConsumerGroupCommand', ['--list'])).out.split('\n');
    check(groups.includes(G), `--list misses ${G}`);
    const { out } = await tool('consumer.group.ConsumerGroupCommand', ['--describe', '--group', G]);
    const row = out.split('\n').find((l) => l.startsWith(`${G} `) && l.includes(` ${T} `));
    check(row, `--describe has no row for ${T}: ${out.trim()}`);
    const cols = row.trim().split(/\s+/);
    eq(cols.slice(1, 6), [T, '0', '7', '10', '3'], 'GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG');
    // --reset-offsets on the (now empty) group: each lands where Kafka puts it, --describe shows it.
    const current = async () => {
      const d = (await tool('consumer.group.ConsumerGroupCommand', ['--describe', '--group', G])).out;
      return d.split('\n').find((l) => l.startsWith(`${G} `) && l.includes(` ${T} `))?.trim().split(/\s+/)[3];
    };
    const reset = (args) => tool('consumer.group.ConsumerGroupCommand', ['--reset-offsets', '--group', G, '--topic', T, ...args, '--execute']);
    await reset(['--to-earliest']);
    eq(await current(), '0', 'offset after --to-earliest');
    await reset(['--shift-by', '4']);
    eq(await current(), '4', 'offset after --shift-by 4');
    await reset(['--to-datetime', '2000-01-01T00:00:00.000']);
    eq(await current(), '0', 'offset after --to-datetime 2000-01-01');
    await reset(['--to-latest']);
    eq(await current(), '10', 'offset after --to-latest');
    const st = await tool('consumer.group.ConsumerGroupCommand', ['--describe', '--group', G, '--state']);
    check(/\bEmpty\b/.test(st.out), `group state: ${st.out.trim()}`);
    await tool('consumer.group.ConsumerGroupCommand', ['--delete', '--group', G]);
    check(!(await tool('consumer.group.ConsumerGroupCommand', ['--list'])).out.split('\n').includes(G), 'group still listed');
  },
  // kafka-transactions (TransactionsCommand) on a transaction left open by a killed transactional
  // ProducerPerformance: list, describe, describe-producers, find-hanging (none: the coordinator
  // knows it), then abort by start offset (WriteTxnMarkers): the partition's open transaction closes.
  async transactions() {
    await create(T, 1);
    const txn = (args, o) => tool('TransactionsCommand', args, o);
    const table = (out) => {
      const [head, ...rows] = out.trim().split('\n').map((l) => l.trim().split(/\t/).map((c) => c.trim()));
      return rows.filter((r) => r.length > 1).map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
    };
    const id = `${T}-tx`;
    const pp = spawn(toolSh, ['org.apache.kafka.tools.ProducerPerformance', '--topic', T, '--num-records', '1000000', '--record-size', '10',
      '--throughput', '50', '--transactional-id', id, '--transaction-duration-ms', '600000', '--command-property', `bootstrap.servers=${B}`], { stdio: 'ignore' });
    try {
      await eventually(async () => table((await txn(['list'])).out).find((r) => r.TransactionalId === id)?.TransactionState, 'Ongoing', 'list: the open transaction', 30000);
      await sleep(1000);
    } finally {
      pp.kill('SIGKILL');
    }
    const d = table((await txn(['describe', '--transactional-id', id])).out)[0];
    eq([d?.TransactionState, d?.TopicPartitions], ['Ongoing', `${T}-0`], 'describe: state and partitions');
    const prod = table((await txn(['describe-producers', '--topic', T, '--partition', '0'])).out);
    eq(prod.map((p) => [p.ProducerId, p.CurrentTransactionStartOffset]), [[d.ProducerId, '0']], 'describe-producers: the producer and its open transaction at offset 0');
    eq(table((await txn(['find-hanging', '--topic', T])).out), [], 'find-hanging: none (the coordinator knows the transaction)');
    await txn(['abort', '--topic', T, '--partition', '0', '--start-offset', '0']);
    const after = table((await txn(['describe-producers', '--topic', T, '--partition', '0'])).out);
    eq(after.map((p) => p.CurrentTransactionStartOffset), ['None'], 'describe-producers after abort: no open transaction');
  },
  // kafka-metadata-quorum, kafka-features and kafka-configs' client quotas: what one node answers.
  // Features are only dry-run or refused here (a real downgrade would disturb other scenarios).
  // kafka-leader-election and kafka-reassign-partitions on a single node: every partition already has
  // its preferred (only) replica as leader, and a reassignment to the same replica completes at once.
  async 'admin-elect-reassign'() {
    await create(T, 2);
    const elect = (args) => tool('LeaderElectionCommand', args, { ok: false });
    for (const args of [['--election-type', 'PREFERRED', '--topic', T, '--partition', '0'], ['--election-type', 'UNCLEAN', '--topic', T, '--partition', '1']]) {
      const r = await elect(args);
      eq([r.code, r.out.trim()], [0, `Valid replica already elected for partitions ${T}-${args[5]}`], `kafka-leader-election ${args.join(' ')}`);
    }
    // with --all-topic-partitions the request names no partition, and Kafka's tool prints nothing for
    // partitions whose election was not needed
    const all = await elect(['--election-type', 'PREFERRED', '--all-topic-partitions']);
    eq([all.code, all.out.trim()], [0, ''], 'kafka-leader-election --all-topic-partitions');
    const reassign = (args, o) => tool('reassign.ReassignPartitionsCommand', args, o);
    eq((await reassign(['--list'])).out.trim(), 'No partition reassignments found.', 'kafka-reassign-partitions --list');
    const move = path.join(tmp, 'move.json');
    fs.writeFileSync(move, JSON.stringify({ version: 1, topics: [{ topic: T }] }));
    const gen = (await reassign(['--generate', '--topics-to-move-json-file', move, '--broker-list', '1'])).out;
    const current = /Current partition replica assignment\s*\n(\{.*\})/.exec(gen);
    check(current, `--generate: ${gen.trim()}`);
    const plan = JSON.parse(current[1]);
    eq(plan.partitions.map((p) => [p.topic, p.partition, p.replicas]).sort(), [[T, 0, [1]], [T, 1, [1]]], '--generate: current assignment');
    const file = path.join(tmp, 'plan.json');
    fs.writeFileSync(file, current[1]);
    const ex = (await reassign(['--execute', '--reassignment-json-file', file])).out;
    check(ex.includes('Successfully started partition reassignments for') && ex.includes(`${T}-0`), `--execute: ${ex.trim()}`);
    await eventually(async () => (await reassign(['--verify', '--reassignment-json-file', file])).out.includes(`Reassignment of partition ${T}-1 is completed.`), true, '--verify');
    eq((await reassign(['--list'])).out.trim(), 'No partition reassignments found.', '--list after the reassignment');
  },
  async 'admin-kraft'() {
    const quorum = (arg) => tool('MetadataQuorumCommand', ['describe', arg]);
    const st = (await quorum('--status')).out;
    for (const k of ['ClusterId', 'LeaderId', 'LeaderEpoch', 'HighWatermark', 'MaxFollowerLag', 'MaxFollowerLagTimeMs', 'CurrentVoters', 'CurrentObservers']) check(new RegExp(`^${k}:\\s+\\S`, 'm').test(st), `--status has no ${k}: ${st.trim()}`);
    const leader = /^LeaderId:\s+(\d+)/m.exec(st)[1];
    check(/^MaxFollowerLag:\s+0$/m.test(st) && /^CurrentObservers:\s+\[\]$/m.test(st), `--status: ${st.trim()}`);
    check(new RegExp(`^CurrentVoters:\\s+\\[\\{"id": ${leader}, .*"endpoints": \\["\\w+://`, 'm').test(st), `--status voters: ${st.trim()}`);
    const rep = (await quorum('--replication')).out.trim().split('\n');
    eq(rep[0].split('\t').map((c) => c.trim()).filter(Boolean), ['NodeId', 'DirectoryId', 'LogEndOffset', 'Lag', 'LastFetchTimestamp', 'LastCaughtUpTimestamp', 'Status'], '--replication header');
    const row = rep[1].split('\t').map((c) => c.trim());
    eq([row.length >= 7, row[0], row[3], row[6]], [true, leader, '0', 'Leader'], '--replication leader row');
    const features = (args, o) => tool('FeatureCommand', args, o);
    const desc = (await features(['describe'])).out;
    check(/^Feature: metadata\.version\s+SupportedMinVersion: 3\.3-IV3\s+SupportedMaxVersion: 4\.4-IV2\s+FinalizedVersionLevel: 4\.4-IV2\s+Epoch: \d+/m.test(desc), `describe: ${desc.trim()}`);
    check(/^Feature: group\.version\s+SupportedMinVersion: 0\s+SupportedMaxVersion: 1\s+FinalizedVersionLevel: 1\s/m.test(desc), `describe: ${desc.trim()}`);
    eq((await features(['downgrade', '--feature', 'group.version=0', '--dry-run'])).out.trim(), 'group.version can be downgraded to 0.', 'downgrade --dry-run');
    eq((await features(['upgrade', '--feature', 'group.version=1', '--dry-run'])).out.trim(), 'group.version can be upgraded to 1.', 'upgrade --dry-run');
    const foo = await features(['upgrade', '--feature', 'foo=1'], { ok: false });
    check(foo.code === 1 && foo.out.includes('Could not upgrade foo to 1. The update failed for all features since the following feature had an error: Invalid update version 1 for feature foo. Local controller') && foo.out.includes('does not support this feature.'), `upgrade foo=1: ${foo.out.trim()}`);
    const two = await features(['upgrade', '--feature', 'group.version=2'], { ok: false });
    check(two.code === 1 && two.out.includes('only supports versions 0-1'), `upgrade group.version=2: ${two.out.trim()}`);
    // client quotas on a client id of this run's own
    const configs = (args, o) => tool('ConfigCommand', args, o);
    const C = `${T}-client`;
    eq((await configs(['--alter', '--entity-type', 'clients', '--entity-name', C, '--add-config', 'producer_byte_rate=500,consumer_byte_rate=600'])).out.trim(), `Completed updating config for client ${C}.`, 'alter clients');
    const quota = async () => (await configs(['--describe', '--entity-type', 'clients', '--entity-name', C])).out.trim();
    await eventually(quota, `Quota configs for client-id '${C}' are consumer_byte_rate=600.0, producer_byte_rate=500.0`, 'describe clients');
    await configs(['--alter', '--entity-type', 'clients', '--entity-name', C, '--delete-config', 'producer_byte_rate']);
    await eventually(quota, `Quota configs for client-id '${C}' are consumer_byte_rate=600.0`, 'describe after --delete-config');
    const ip = `10.${Math.floor(Math.random() * 250)}.0.${Math.floor(Math.random() * 250)}`;
    await configs(['--alter', '--entity-type', 'ips', '--entity-name', ip, '--add-config', 'connection_creation_rate=10']);
    await eventually(async () => (await configs(['--describe', '--entity-type', 'ips', '--entity-name', ip])).out.trim(), `Quota configs for ip '${ip}' are connection_creation_rate=10.0`, 'describe ips');
    await configs(['--alter', '--entity-type', 'clients', '--entity-name', C, '--delete-config', 'consumer_byte_rate']);
    await configs(['--alter', '--entity-type', 'ips', '--entity-name', ip, '--delete-config', 'connection_creation_rate']);
    await eventually(quota, '', 'describe after deleting the last quota');
  },
};

// ---- share groups (KIP-932): VerifiableShareConsumer and ShareGroupCommand (kafka-share-groups) ----
function spawnTool(main, args) {
  return spawn(toolSh, [`org.apache.kafka.tools.${main}`, '--bootstrap-server', B, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}
/** VerifiableShareConsumer until it has consumed `max` records; its JSON events. */
async function verifiableShare(group, mode, max, extra = []) {
  const { out } = await tool('VerifiableShareConsumer', ['--topic', T, '--group-id', group, '--max-messages', String(max), '--acknowledgement-mode', mode,
    '--offset-reset-strategy', 'earliest', ...extra], { timeoutMs: 90000 });
  return out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
}
/** VerifiableProducer, n records spread round-robin over the partitions. */
async function produceRoundRobin(n) {
  const cfg = path.join(tmp, 'round-robin.properties');
  fs.writeFileSync(cfg, 'partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner\n');
  await tool('VerifiableProducer', ['--topic', T, '--max-messages', String(n), '--producer.config', cfg], { timeoutMs: 90000 });
}
const shareGroups = (args, o) => tool('consumer.group.ShareGroupCommand', args, o);
/** kafka-share-groups --describe --group G (offsets): [{partition, start, lag}] sorted by partition. */
async function shareOffsets(group) {
  const { out } = await shareGroups(['--describe', '--group', group]);
  return out.split('\n').map((l) => l.trim().split(/\s+/)).filter((f) => f[0] === group && f[1] === T)
    .map((f) => ({ partition: Number(f[2]), start: f[3] === '-' ? null : Number(f[3]), lag: f[4] === '-' ? null : Number(f[4]) })).sort((a, b) => a.partition - b.partition);
}

async function shareVerifiable() {
  const n = 5000;
  await create(T, 2);
  await produceRoundRobin(n);
  // Each acknowledgement mode on its own group; 'sync' with accept,reject: every record delivered once, half archived.
  for (const [mode, extra] of [['auto', []], ['sync', []], ['async', []], ['sync', ['--ack-pattern', 'accept,reject']]]) {
    const group = `${T}-${mode}${extra.length ? '-pattern' : ''}`;
    const events = await verifiableShare(group, mode, n, extra);
    const consumed = events.filter((e) => e.name === 'records_consumed');
    const seen = new Map();
    for (const e of consumed) for (const p of e.partitions) for (const o of p.offsets) seen.set(`${p.partition}:${o}`, (seen.get(`${p.partition}:${o}`) ?? 0) + 1);
    const twice = [...seen.values()].filter((c) => c > 1).length;
    check(seen.size === n, `${group}: ${seen.size} distinct records consumed of ${n}`);
    check(twice === 0, `${group}: ${twice} records consumed twice`);
    const acked = events.filter((e) => e.name === 'offsets_acknowledged');
    check(acked.every((e) => e.success), `${group}: an acknowledgement failed: ${JSON.stringify(acked.find((e) => !e.success))?.slice(0, 300)}`);
    if (mode !== 'auto') {
      const count = acked.reduce((a, e) => a + e.partitions.reduce((b, p) => b + p.offsets.length, 0), 0);
      check(count === n, `${group}: ${count} offsets acknowledged of ${n}`);
    }
    await eventually(async () => (await shareOffsets(group)).every((p) => p.lag === 0), true, `${group}: lag 0 after consuming all`);
  }
}

async function shareAdmin() {
  const n = 100;
  const group = `${T}-share`;
  await create(T, 2);
  await produceRoundRobin(n);
  // A member that consumed everything and stays.
  const member = spawnTool('VerifiableShareConsumer', ['--topic', T, '--group-id', group, '--acknowledgement-mode', 'sync', '--offset-reset-strategy', 'earliest']);
  let consumed = 0;
  let buf = '';
  member.stdout.on('data', (d) => {
    buf += d;
    for (;;) {
      const i = buf.indexOf('\n');
      if (i < 0) break;
      const l = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (l.startsWith('{"') && l.includes('"offsets_acknowledged"')) consumed += JSON.parse(l).partitions.reduce((a, p) => a + p.offsets.length, 0);
    }
  });
  try {
    const end = Date.now() + 60000;
    while (consumed < n && Date.now() < end) await sleep(200);
    check(consumed === n, `the member acknowledged ${consumed} of ${n}`);
    const list = (await shareGroups(['--list'])).out.split('\n').map((l) => l.trim());
    check(list.includes(group), `--list lacks ${group}: ${list.join(',').slice(0, 200)}`);
    const state = (await shareGroups(['--describe', '--group', group, '--state'])).out;
    check(new RegExp(`^${group}\\s+\\S+\\s+\\(\\d+\\)\\s+Stable\\s+1\\s*$`, 'm').test(state), `--state: expected Stable with 1 member: ${state.trim().slice(-200)}`);
    const members = (await shareGroups(['--describe', '--group', group, '--members'])).out;
    check(members.includes(`${T}:0,1`) || (members.includes(`${T}:0`) && members.includes(`${T}:1`)) , `--members: the member should hold ${T}:0,1: ${members.trim().slice(-300)}`);
    await eventually(async () => (await shareOffsets(group)).map((p) => p.lag), [0, 0], 'lag with everything acknowledged');
    // A group with a member cannot be reset or deleted.
    const busy = await shareGroups(['--reset-offsets', '--group', group, '--topic', T, '--to-earliest', '--execute'], { ok: false });
    check(/not empty|Stable|active members|must be inactive/i.test(busy.out + busy.err), `reset of a group with a member was not refused: ${(busy.out + busy.err).trim().slice(-200)}`);
  } finally {
    member.kill('SIGTERM');
    await new Promise((r) => member.once('close', r));
  }
  await eventually(async () => /\bEmpty\s+0\s*$/m.test((await shareGroups(['--describe', '--group', group, '--state'])).out), true, 'Empty after the member left', 30000);
  await shareGroups(['--reset-offsets', '--group', group, '--topic', T, '--to-earliest', '--execute']);
  const early = await shareOffsets(group);
  eq(early.map((p) => p.start), [0, 0], 'start offsets after --to-earliest');
  eq(early.reduce((a, p) => a + p.lag, 0), n, 'total lag after --to-earliest');
  await shareGroups(['--reset-offsets', '--group', group, '--topic', T, '--to-latest', '--execute']);
  const late = await shareOffsets(group);
  eq(late.reduce((a, p) => a + p.start, 0), n, 'start offsets after --to-latest add up to the record count');
  eq(late.map((p) => p.lag), [0, 0], 'lag after --to-latest');
  const del = await shareGroups(['--delete', '--group', group]);
  check(/was successful/.test(del.out), `--delete: ${(del.out + del.err).trim().slice(-200)}`);
  const after = (await shareGroups(['--list'])).out.split('\n').map((l) => l.trim());
  check(!after.includes(group), `--list still has ${group} after --delete`);
  const gone = await shareGroups(['--describe', '--group', group], { ok: false });
  check(/does not exist|not found/i.test(gone.out + gone.err), `--describe after --delete: ${(gone.out + gone.err).trim().slice(-200)}`);
}

async function produceAcks(acks) {
  await create(T, 1);
  await produce(kv(10), ['--request-required-acks', acks]);
  eq(await consume(10), exp(0, 10), 'records');
}

let code = 0;
try {
  const fn = scenarios[opt.scenario];
  if (!fn) throw new Unsupported(`kafka-tools: scenario ${opt.scenario} is not implemented`);
  await fn();
} catch (err) {
  code = err instanceof Unsupported ? 3 : 1;
  process.stderr.write(`${err?.stack ?? err}\n${opt.scenario}: ${String(err?.message ?? err).split('\n')[0]}\n`);
}
fs.rmSync(tmp, { recursive: true, force: true });
process.exit(code);
