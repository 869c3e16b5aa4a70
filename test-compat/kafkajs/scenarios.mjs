// kafkajs 2.2.4 scenario program for test-compat/run.mjs.
//   node scenarios.mjs --deps DIR --bootstrap HOST:PORT --scenario NAME --topic T
// DIR holds the npm install (kafkajs + codec plug-ins). Exit 0 = pass; otherwise the last stderr
// line is the reason; exit 3 = scenario not supported by kafkajs.
//
// kafkajs has no group-less consumer (no assign()), so scenarios that read a partition at an offset
// use kafkajs' own Cluster/Broker layer (the code its consumer runs: Metadata, ListOffsets, Fetch v11)
// through the Kafka object's private cluster factory. Group scenarios use the real consumer.
import path from 'node:path';
import { createRequire } from 'node:module';

const opt = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) opt[argv[i].replace(/^--/, '')] = argv[i + 1];
const require = createRequire(path.join(path.resolve(opt.deps), 'package.json'));
const { Kafka, logLevel, CompressionTypes, CompressionCodecs, ConfigResourceTypes } = require('kafkajs');

// ---- codecs: kafkajs implements gzip; the others are plug-ins keyed by CompressionTypes ----
CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy');
const lz4js = require('lz4js');
const xxh32 = require('lz4js/xxh32.js');
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  async compress(encoder) {
    // Kafka reads the LZ4 *frame* format and refuses dependent blocks; lz4js writes one
    // independent block per 4 MiB but leaves the FLG "block independence" bit (0x20) clear, so set
    // it and recompute the header checksum HC = (xxh32(FLG..BD) >> 8) & 0xff.
    const frame = Buffer.from(lz4js.compress(encoder.buffer));
    frame[4] |= 0x20;
    frame[6] = (xxh32.hash(0, frame, 4, 2) >>> 8) & 0xff;
    return frame;
  },
  async decompress(buffer) { return Buffer.from(lz4js.decompress(buffer)); },
});
const zstd = require('@bokuweb/zstd-wasm');
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  async compress(encoder) { await zstd.init(); return Buffer.from(zstd.compress(encoder.buffer, 3)); },
  async decompress(buffer) { await zstd.init(); return Buffer.from(zstd.decompress(buffer)); },
});

const T = opt.topic;
const [bootHost, bootPort] = opt.bootstrap.split(':');
const kafka = new Kafka({
  clientId: 'compat-kafkajs', brokers: [opt.bootstrap], logLevel: logLevel.NOTHING,
  retry: { retries: 4, initialRetryTime: 200 }, connectionTimeout: 5000, requestTimeout: 15000,
});
const cleanups = [];

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
async function until(what, fn, ms = 15000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? ` (${last.message})` : ''}`);
    await sleep(200);
  }
}
const vals = (n, p = 'v') => Array.from({ length: n }, (_, i) => `${p}-${i}`);
const big = () => Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => i % 251));

async function admin() {
  const a = kafka.admin();
  await a.connect();
  cleanups.push(() => a.disconnect());
  return a;
}
async function producer(o = {}) {
  const p = kafka.producer({ allowAutoTopicCreation: true, ...o });
  await p.connect();
  cleanups.push(() => p.disconnect());
  return p;
}
async function createTopic(a, topic, numPartitions = 1, configEntries = []) {
  const created = await a.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1, configEntries }], waitForLeaders: true });
  check(created === true, `createTopics(${topic}) returned ${created}`);
}

// Partition reads through kafkajs' Cluster/Broker (see header). Returns decoded records from
// `offset` on until `count` records were seen (or the deadline), control records dropped.
let clusterP;
function cluster() {
  if (!clusterP) {
    const factory = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
    const c = kafka[factory]({ allowAutoTopicCreation: false });
    clusterP = c.connect().then(() => { cleanups.push(() => c.disconnect()); return c; });
  }
  return clusterP;
}
async function read(topic, partition, offset, count, ms = 15000) {
  const c = await cluster();
  await c.addTargetTopic(topic);
  await c.refreshMetadata();
  const leaders = c.findLeaderForPartitions(topic, [partition]);
  const broker = await c.findBroker({ nodeId: Object.keys(leaders)[0] });
  const out = [];
  let next = BigInt(offset);
  const end = Date.now() + ms;
  while (out.length < count && Date.now() < end) {
    const res = await broker.fetch({
      replicaId: -1, isolationLevel: 0, maxWaitTime: 300, minBytes: 1, maxBytes: 8 << 20,
      topics: [{ topic, partitions: [{ partition, fetchOffset: String(next), maxBytes: 4 << 20 }] }],
    });
    const p = res.responses[0].partitions[0];
    check(p.errorCode === 0, `fetch ${topic}/${partition}@${next}: error ${p.errorCode}`);
    for (const m of p.messages) {
      if (BigInt(m.offset) < next) continue;
      next = BigInt(m.offset) + 1n;
      if (m.isControlRecord) continue;
      out.push(m);
    }
  }
  return out;
}
const str = (b) => (b === null || b === undefined ? null : b.toString());
function expectRecords(got, expected, what) {
  eq(got.map((m) => [Number(m.offset), str(m.key), str(m.value)]), expected, what);
}

async function produceN(topic, n, { acks = -1, compression, prefix = 'v', partition = 0, p } = {}) {
  p ??= await producer();
  const md = await p.send({
    topic, acks, compression,
    messages: vals(n, prefix).map((v, i) => ({ key: `k-${i}`, value: v, partition })),
  });
  return md;
}

const scenarios = {
  async bootstrap() {
    const a = await admin();
    const d = await a.describeCluster();
    check(d.brokers.length >= 1, 'no brokers in metadata');
    check(d.brokers.some((b) => b.host === bootHost && b.port === Number(bootPort)),
      `bootstrap ${opt.bootstrap} not among brokers ${JSON.stringify(d.brokers)}`);
    check(d.clusterId, 'no cluster id');
  },
  async metadata() {
    const a = await admin();
    await createTopic(a, T, 3);
    const { brokers } = await a.describeCluster();
    const md = await until('3 partitions with leaders', async () => {
      const m = (await a.fetchTopicMetadata({ topics: [T] })).topics[0];
      return m.partitions.length === 3 && m.partitions.every((p) => p.leader >= 0) && m;
    });
    eq(md.partitions.map((p) => p.partitionId).sort(), [0, 1, 2], 'partition ids');
    for (const p of md.partitions) check(brokers.some((b) => b.nodeId === p.leader), `leader ${p.leader} is not a broker`);
    check((await a.listTopics()).includes(T), 'listTopics misses the topic');
  },
  async 'produce-acks0'() { await produceAcks(0); },
  async 'produce-acks1'() { await produceAcks(1); },
  async 'produce-acksall'() { await produceAcks(-1); },
  async codecs() {
    const a = await admin();
    await createTopic(a, T);
    const p = await producer();
    const names = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];
    const types = [CompressionTypes.None, CompressionTypes.GZIP, CompressionTypes.Snappy, CompressionTypes.LZ4, CompressionTypes.ZSTD];
    const expected = [];
    for (let c = 0; c < names.length; c++) {
      const md = await p.send({ topic: T, acks: -1, compression: types[c],
        messages: Array.from({ length: 5 }, (_, i) => ({ key: `${names[c]}-k${i}`, value: `${names[c]}-${i}-${'x'.repeat(100)}`, partition: 0 })) });
      eq(Number(md[0].baseOffset), c * 5, `${names[c]} base offset`);
      for (let i = 0; i < 5; i++) expected.push([c * 5 + i, `${names[c]}-k${i}`, `${names[c]}-${i}-${'x'.repeat(100)}`]);
    }
    expectRecords(await read(T, 0, 0, 25), expected, 'records read back');
  },
  async records() {
    const a = await admin();
    await createTopic(a, T, 1, [{ name: 'max.message.bytes', value: String(2 << 20) }]);
    const p = await producer();
    const payload = big();
    const msgs = [
      { key: 'k0', value: 'v0', headers: { h1: 'a', h2: 'b' } },
      { key: null, value: 'v1' },
      { key: 'k2', value: null },
      { key: 'k3', value: '' },
      { key: 'k4', value: payload },
      { key: 'k5', value: 'v5', headers: { dup: ['1', '2'] } },
    ];
    for (let i = 0; i < msgs.length; i++) {
      const md = await p.send({ topic: T, acks: -1, messages: [{ ...msgs[i], partition: 0 }] });
      eq(Number(md[0].baseOffset), i, `offset of record ${i}`);
    }
    const got = await read(T, 0, 0, 6);
    eq(got.length, 6, 'record count');
    eq(got.map((m) => Number(m.offset)), [0, 1, 2, 3, 4, 5], 'offsets');
    eq(got.map((m) => str(m.key)), ['k0', null, 'k2', 'k3', 'k4', 'k5'], 'keys');
    eq([str(got[0].value), str(got[1].value), got[2].value, str(got[3].value), str(got[5].value)], ['v0', 'v1', null, '', 'v5'], 'values');
    check(Buffer.compare(got[4].value, payload) === 0, `1 MiB value differs (length ${got[4].value?.length})`);
    eq(Object.entries(got[0].headers).map(([k, v]) => [k, str(v)]), [['h1', 'a'], ['h2', 'b']], 'headers');
    eq((got[5].headers.dup ?? []).map(str), ['1', '2'], 'repeated header');
  },
  async 'consume-beginning'() {
    const a = await admin();
    await createTopic(a, T);
    await produceN(T, 10);
    const offs = await a.fetchTopicOffsets(T);
    eq([offs[0].low, offs[0].high], ['0', '10'], 'low/high watermarks');
    const c = await cluster();
    await c.addTargetTopic(T);
    const [{ partitions: [earliest] }] = await c.fetchTopicsOffset([{ topic: T, fromBeginning: true, partitions: [{ partition: 0 }] }]);
    eq(earliest.offset, '0', 'ListOffsets earliest');
    expectRecords(await read(T, 0, Number(earliest.offset), 10), vals(10).map((v, i) => [i, `k-${i}`, v]), 'records');
  },
  async 'consume-end'() {
    const a = await admin();
    await createTopic(a, T);
    const p = await producer();
    await produceN(T, 5, { p });
    const c = await cluster();
    await c.addTargetTopic(T);
    const [{ partitions: [latest] }] = await c.fetchTopicsOffset([{ topic: T, fromBeginning: false, partitions: [{ partition: 0 }] }]);
    eq(latest.offset, '5', 'ListOffsets latest');
    await p.send({ topic: T, acks: -1, messages: [5, 6, 7, 8, 9].map((i) => ({ key: `k-${i}`, value: `v-${i}`, partition: 0 })) });
    expectRecords(await read(T, 0, Number(latest.offset), 5), [5, 6, 7, 8, 9].map((i) => [i, `k-${i}`, `v-${i}`]), 'records after the end');
  },
  async 'consume-timestamp'() {
    const a = await admin();
    await createTopic(a, T);
    const p = await producer();
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    await p.send({ topic: T, acks: -1, messages: vals(10).map((v, i) => ({ key: `k-${i}`, value: v, partition: 0, timestamp: String(t0 + i * 1000) })) });
    const [at] = await a.fetchTopicOffsetsByTimestamp(T, t0 + 4500);
    eq(at.offset, '5', 'offset for t0+4500');
    const [future] = await a.fetchTopicOffsetsByTimestamp(T, Date.now() + 3_600_000);
    eq(future.offset, '10', 'offset for a future time (kafkajs maps -1 to the high watermark)');
    const got = await read(T, 0, 5, 5);
    expectRecords(got, [5, 6, 7, 8, 9].map((i) => [i, `k-${i}`, `v-${i}`]), 'records from t0+4500');
    eq(got.map((m) => Number(m.timestamp)), [5, 6, 7, 8, 9].map((i) => t0 + i * 1000), 'timestamps');
  },
  async 'admin-topics'() {
    const a = await admin();
    const T2 = `${T}-b`;
    const created = await a.createTopics({ topics: [{ topic: T, numPartitions: 2 }, { topic: T2, numPartitions: 1 }], waitForLeaders: true });
    check(created === true, `createTopics returned ${created}`);
    eq(await a.createTopics({ topics: [{ topic: T2 }] }), false, 'createTopics of an existing topic');
    const listed = await a.listTopics();
    check(listed.includes(T) && listed.includes(T2), 'listTopics misses a created topic');
    const md = await a.fetchTopicMetadata({ topics: [T, T2] });
    eq(md.topics.map((t) => [t.name, t.partitions.length]).sort(), [[T, 2], [T2, 1]].sort(), 'describe');
    await a.deleteTopics({ topics: [T], timeout: 10000 });
    await until('topic gone from listTopics', async () => { const l = await a.listTopics(); return !l.includes(T) && l.includes(T2); });
  },
  async 'admin-configs'() {
    const a = await admin();
    await createTopic(a, T);
    const describe = async () => {
      const r = await a.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: T, configNames: ['retention.ms', 'cleanup.policy'] }], includeSynonyms: false });
      return Object.fromEntries(r.resources[0].configEntries.map((e) => [e.configName, e.configValue]));
    };
    await eventually(describe, { 'cleanup.policy': 'delete', 'retention.ms': '604800000' }, 'default configs');
    const alter = (entries) => a.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: T, configEntries: entries }] });
    await alter([{ name: 'retention.ms', value: '3600000' }]);
    await eventually(describe, { 'cleanup.policy': 'delete', 'retention.ms': '3600000' }, 'after AlterConfigs retention.ms');
    // kafkajs has no IncrementalAlterConfigs. Legacy AlterConfigs replaces the whole set:
    // setting only cleanup.policy must drop the retention.ms override.
    await alter([{ name: 'cleanup.policy', value: 'compact' }]);
    await eventually(describe, { 'cleanup.policy': 'compact', 'retention.ms': '604800000' }, 'after AlterConfigs cleanup.policy only');
  },
  async 'admin-partitions'() {
    const a = await admin();
    await createTopic(a, T);
    await a.createPartitions({ topicPartitions: [{ topic: T, count: 3 }] });
    await until('3 partitions', async () => (await a.fetchTopicMetadata({ topics: [T] })).topics[0].partitions.length === 3);
    const p = await producer();
    await p.send({ topic: T, acks: -1, messages: [{ key: 'k', value: 'on-2', partition: 2 }] }).catch(async () => {
      // the producer's metadata may predate the new partitions
      await sleep(500);
      return p.send({ topic: T, acks: -1, messages: [{ key: 'k', value: 'on-2', partition: 2 }] });
    });
    expectRecords(await read(T, 2, 0, 1), [[0, 'k', 'on-2']], 'record on partition 2');
  },
  async 'admin-delete-records'() {
    const a = await admin();
    await createTopic(a, T);
    await produceN(T, 10);
    await a.fetchTopicMetadata({ topics: [T] }); // deleteTopicRecords looks leaders up in cached metadata only
    await a.deleteTopicRecords({ topic: T, partitions: [{ partition: 0, offset: '4' }] });
    const offs = await a.fetchTopicOffsets(T);
    eq([offs[0].low, offs[0].high], ['4', '10'], 'low/high watermarks after DeleteRecords');
    expectRecords(await read(T, 0, 4, 6), [4, 5, 6, 7, 8, 9].map((i) => [i, `k-${i}`, `v-${i}`]), 'records after the low watermark');
  },
  async idempotent() {
    const a = await admin();
    await createTopic(a, T);
    const p = await producer({ idempotent: true, maxInFlightRequests: 1 });
    const expected = [];
    for (let b = 0; b < 4; b++) {
      const md = await p.send({ topic: T, acks: -1, messages: [0, 1, 2, 3, 4].map((i) => ({ key: `k-${b * 5 + i}`, value: `v-${b * 5 + i}`, partition: 0 })) });
      eq(Number(md[0].baseOffset), b * 5, `batch ${b} base offset`);
      for (let i = 0; i < 5; i++) expected.push([b * 5 + i, `k-${b * 5 + i}`, `v-${b * 5 + i}`]);
    }
    expectRecords(await read(T, 0, 0, 20), expected, 'idempotent records');
  },

  async 'group-rebalance'() {
    const a = await admin();
    await createTopic(a, T, 3);
    const p = await producer();
    const produceSpread = (prefix, n) => p.send({ topic: T, acks: -1, messages: vals(n, prefix).map((v, i) => ({ key: v, value: v, partition: i % 3 })) });
    await produceSpread('a', 30);
    const G = `${T}-g`;
    const seen = new Map();
    const assign = new Map();
    const start = async (name) => {
      const c = kafka.consumer({ groupId: G, sessionTimeout: 10000, heartbeatInterval: 500, rebalanceTimeout: 10000 });
      await c.connect();
      cleanups.push(() => c.disconnect());
      c.on(c.events.GROUP_JOIN, (e) => assign.set(name, (e.payload.memberAssignment[T] ?? []).slice().sort()));
      await c.subscribe({ topic: T, fromBeginning: true });
      await c.run({ autoCommit: false, eachMessage: async ({ partition, message }) => {
        const v = message.value.toString();
        seen.set(v, (seen.get(v) ?? 0) + 1);
        await c.commitOffsets([{ topic: T, partition, offset: String(BigInt(message.offset) + 1n) }]);
      } });
      return c;
    };
    const stop = async (name, c) => { await c.disconnect(); assign.delete(name); };
    const have = (prefix, n) => vals(n, prefix).every((v) => seen.has(v));
    const c1 = await start('c1'), c2 = await start('c2'), c3 = await start('c3');
    await until('three members with one partition each', () => assign.size === 3 && [...assign.values()].every((x) => x.length === 1)
      && new Set([...assign.values()].flat()).size === 3, 40000);
    await until('30 records consumed by the group of three', () => have('a', 30), 30000);
    await stop('c3', c3);
    await until('two members covering 3 partitions', () => assign.size === 2 && [...assign.values()].flat().sort().join() === '0,1,2', 40000);
    await produceSpread('b', 30);
    await until('30 more records consumed by two members', () => have('b', 30), 30000);
    await stop('c1', c1); await stop('c2', c2);
    await produceSpread('c', 9);
    await start('c4');
    await until('a new member resumes from the committed offsets', () => have('c', 9), 40000);
    await sleep(1000);
    const dups = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
    check(dups.length === 0, `duplicates: ${dups.slice(0, 10).join(',')}`);
    eq(seen.size, 69, 'distinct records consumed');
  },
  async transactions() {
    const a = await admin();
    await createTopic(a, T);
    const p = await producer({ transactionalId: `${T}-tx`, idempotent: true, maxInFlightRequests: 1 });
    for (const [prefix, commit] of [['t1', true], ['t2', false], ['t3', true]]) {
      const tx = await p.transaction();
      await tx.send({ topic: T, acks: -1, messages: vals(5, prefix).map((v) => ({ key: v, value: v, partition: 0 })) });
      if (commit) await tx.commit(); else await tx.abort();
    }
    const consume = async (readUncommitted, n) => {
      const got = [];
      const c = kafka.consumer({ groupId: `${T}-${readUncommitted ? 'ru' : 'rc'}`, readUncommitted, sessionTimeout: 10000, heartbeatInterval: 500 });
      await c.connect();
      cleanups.push(() => c.disconnect());
      await c.subscribe({ topic: T, fromBeginning: true });
      await c.run({ eachMessage: async ({ message }) => { got.push([Number(message.offset), message.value.toString()]); } });
      await until(`${n} records`, () => got.length >= n, 30000);
      await sleep(1500);
      await c.disconnect();
      return got;
    };
    const at = (prefix, base) => vals(5, prefix).map((v, i) => [base + i, v]);
    eq(await consume(false, 10), [...at('t1', 0), ...at('t3', 12)], 'read_committed');
    eq(await consume(true, 15), [...at('t1', 0), ...at('t2', 6), ...at('t3', 12)], 'read_uncommitted');
  },
  async 'admin-groups'() {
    const a = await admin();
    await createTopic(a, T);
    await produceN(T, 10);
    const G = `${T}-g`;
    const c = kafka.consumer({ groupId: G, sessionTimeout: 10000, heartbeatInterval: 500 });
    await c.connect();
    cleanups.push(() => c.disconnect());
    await c.subscribe({ topic: T, fromBeginning: true });
    let done = false;
    await c.run({ autoCommit: false, eachMessage: async ({ message }) => {
      if (message.offset === '6') { await c.commitOffsets([{ topic: T, partition: 0, offset: '7' }]); done = true; }
    } });
    await until('offset 7 committed', () => done, 30000);
    await c.disconnect();
    const { groups } = await a.listGroups();
    check(groups.some((g) => g.groupId === G && g.protocolType === 'consumer'), `listGroups misses ${G}: ${JSON.stringify(groups)}`);
    const { groups: [desc] } = await a.describeGroups([G]);
    eq([desc.groupId, desc.state, desc.members.length], [G, 'Empty', 0], 'describeGroups');
    const [off] = await a.fetchOffsets({ groupId: G, topics: [T] });
    eq(off.partitions.map((x) => [x.partition, x.offset]), [[0, '7']], 'committed offsets');
    await a.deleteGroups([G]);
    check(!(await a.listGroups()).groups.some((g) => g.groupId === G), 'group still listed after deleteGroups');
  },
};

async function produceAcks(acks) {
  const a = await admin();
  await createTopic(a, T);
  const p = await producer();
  const md = await produceN(T, 10, { acks, p });
  if (acks !== 0) eq([md[0].partition, md[0].baseOffset], [0, '0'], 'produce response base offset');
  expectRecords(await read(T, 0, 0, 10), vals(10).map((v, i) => [i, `k-${i}`, v]), 'records');
}

const fn = scenarios[opt.scenario];
let code = 0;
try {
  if (!fn) throw new Unsupported(`kafkajs: scenario ${opt.scenario} is not implemented`);
  await fn();
} catch (err) {
  code = err instanceof Unsupported ? 3 : 1;
  process.stderr.write(`${err?.stack ?? err}\n${opt.scenario}: ${String(err?.message ?? err).split('\n')[0]}\n`);
}
for (const c of cleanups.reverse()) { try { await c(); } catch {} }
process.exit(code);
