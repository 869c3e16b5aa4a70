// @platformatic/kafka scenario program for test-compat/run.mjs.
//   node scenarios.mjs --deps DIR --bootstrap HOST:PORT --scenario NAME --topic T
// DIR holds the npm install. Exit 0 = pass; otherwise the last stderr line is the reason; exit 3 =
// scenario not implemented here.
//
// Its Consumer.consume() always joins a group, so partition reads use Consumer.fetch(): the
// client's own Fetch (v12–17, topic IDs) sent to the partition leader, without a group.
import path from 'node:path';
import { createRequire } from 'node:module';

const opt = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) opt[argv[i].replace(/^--/, '')] = argv[i + 1];
// @platformatic/kafka 2.x declares Node >= 22 and calls Promise.withResolvers (Node 22); the matrix
// runs on Node 20, so provide it (the only Node 22 API the client needs for these scenarios).
Promise.withResolvers ??= function withResolvers() {
  let resolve, reject;
  const promise = new this((res, rej) => { resolve = res; reject = rej; });
  return { promise, resolve, reject };
};
const require = createRequire(path.join(path.resolve(opt.deps), 'package.json'));
const { Admin, Producer, Consumer, ConfigResourceTypes, IncrementalAlterConfigOperationTypes, MessagesStreamModes, MessagesStreamFallbackModes } = require('@platformatic/kafka');

const T = opt.topic;
const [bootHost, bootPort] = opt.bootstrap.split(':');
const base = { clientId: 'compat-platformatic', bootstrapBrokers: [opt.bootstrap], retries: 3, timeout: 15000 };
const cleanups = [];

class Unsupported extends Error {}
function check(cond, msg) { if (!cond) throw new Error(msg); }
const js = (x) => JSON.stringify(x, (_, v) => (typeof v === 'bigint' ? v.toString() : v));
function eq(actual, expected, what) {
  const a = js(actual), e = js(expected);
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
const B = (s) => (s === null ? null : Buffer.from(s));
const str = (b) => (b === null || b === undefined ? null : b.toString());

function admin() { const a = new Admin(base); cleanups.push(() => a.close()); return a; }
function producer(o = {}) { const p = new Producer({ ...base, ...o }); cleanups.push(() => p.close()); return p; }
async function createTopic(a, topic, partitions = 1, configs = []) {
  const [created] = await a.createTopics({ topics: [topic], partitions, replicas: 1, configs });
  eq([created.name, created.partitions], [topic, partitions], 'createTopics result');
  await until(`${topic} has leaders`, async () => {
    const md = await a.metadata({ topics: [topic], forceUpdate: true });
    const t = md.topics.get(topic);
    return t && t.partitionsCount === partitions && t.partitions.every((p) => p && p.leader >= 0);
  });
}
async function send(p, messages, o = {}) {
  const r = await p.send({ messages: messages.map((m) => ({ topic: T, partition: 0, ...m })), ...o });
  return (r.offsets ?? []).map((x) => Number(x.offset));
}
const kv = (n, from = 0) => Array.from({ length: n }, (_, i) => ({ key: B(`k-${from + i}`), value: B(`v-${from + i}`) }));
const exp = (from, to) => Array.from({ length: to - from }, (_, i) => [from + i, `k-${from + i}`, `v-${from + i}`]);

/** Reads `count` records of topic/partition from `offset` with Consumer.fetch (no group). */
async function read(topic, partition, offset, count, { ms = 15000, isolationLevel = 0 } = {}) {
  const c = new Consumer({ ...base, groupId: `${T}-unused` });
  cleanups.push(() => c.close(true));
  const md = await c.metadata({ topics: [topic], forceUpdate: true });
  const t = md.topics.get(topic);
  const leader = t.partitions[partition].leader;
  const out = [];
  let next = BigInt(offset);
  const end = Date.now() + ms;
  while (out.length < count && Date.now() < end) {
    const res = await c.fetch({ node: leader, maxWaitTime: 300, minBytes: 1, maxBytes: 8 << 20, isolationLevel,
      topics: [{ topicId: t.id, partitions: [{ partition, fetchOffset: next, partitionMaxBytes: 4 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1 }] }] });
    const pr = res.responses[0].partitions[0];
    check(pr.errorCode === 0, `fetch ${topic}/${partition}@${next}: error ${pr.errorCode}`);
    for (const batch of pr.records ?? []) {
      const control = (batch.attributes & 0x20) !== 0;
      for (const r of batch.records) {
        const o = batch.firstOffset + BigInt(r.offsetDelta);
        if (o < next) continue;
        if (!control) out.push({ offset: Number(o), key: r.key, value: r.value, headers: r.headers, timestamp: batch.firstTimestamp + r.timestampDelta });
      }
      const last = batch.firstOffset + BigInt(batch.lastOffsetDelta) + 1n;
      if (last > next) next = last;
    }
  }
  return out;
}
const triples = (rs) => rs.map((r) => [r.offset, str(r.key), str(r.value)]);
async function listOffset(a, topic, partition, timestamp) {
  const [t] = await a.listOffsets({ topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp }] }] });
  const p = t.partitions.find((x) => x.partitionIndex === partition);
  return { offset: Number(p.offset), timestamp: Number(p.timestamp) };
}
const EARLIEST = -2n, LATEST = -1n;

const scenarios = {
  async bootstrap() {
    const md = await admin().metadata({ topics: [] });
    check(md.brokers.size >= 1, 'no brokers');
    check([...md.brokers.values()].some((b) => b.host === bootHost && b.port === Number(bootPort)), `bootstrap not among brokers ${js([...md.brokers.values()])}`);
    check(md.id, 'no cluster id');
  },
  async metadata() {
    const a = admin();
    await createTopic(a, T, 3);
    const md = await a.metadata({ topics: [T], forceUpdate: true });
    const t = md.topics.get(T);
    eq(t.partitionsCount, 3, 'partition count');
    for (const p of t.partitions) check(md.brokers.has(p.leader), `leader ${p.leader} is not a broker`);
    check(t.id && t.id !== '00000000-0000-0000-0000-000000000000', `no topic id (${t.id})`);
    check((await a.listTopics()).includes(T), 'listTopics misses the topic');
  },
  async 'produce-acks0'() { await produceAcks(0); },
  async 'produce-acks1'() { await produceAcks(1); },
  async 'produce-acksall'() { await produceAcks(-1); },
  async codecs() {
    await createTopic(admin(), T);
    const p = producer();
    const expected = [];
    // The client compresses zstd with node:zlib, which has zstd only from Node 22.15.
    const zstd = typeof (await import('node:zlib')).zstdCompressSync === 'function';
    const codecs = ['none', 'gzip', 'snappy', 'lz4', ...(zstd ? ['zstd'] : [])];
    for (const [c, codec] of codecs.entries()) {
      const msgs = Array.from({ length: 5 }, (_, i) => ({ key: B(`${codec}-k${i}`), value: B(`${codec}-${i}-${'x'.repeat(100)}`) }));
      const offs = await send(p, msgs, { compression: codec, acks: -1 });
      eq(offs[0], c * 5, `${codec} base offset`);
      msgs.forEach((m, i) => expected.push([c * 5 + i, str(m.key), str(m.value)]));
    }
    eq(triples(await read(T, 0, 0, expected.length)), expected, 'records read back');
    if (!zstd) throw new Unsupported(`none/gzip/snappy/lz4 passed; zstd not tested: the client needs Node >= 22.15 (node:zlib zstd), this is ${process.version}`);
  },
  async records() {
    await createTopic(admin(), T, 1, [{ name: 'max.message.bytes', value: String(2 << 20) }]);
    const p = producer();
    const payload = Buffer.from(Array.from({ length: 1 << 20 }, (_, i) => i % 251));
    const msgs = [
      { key: B('k0'), value: B('v0'), headers: new Map([[B('h1'), B('a')], [B('h2'), B('b')]]) },
      { key: null, value: B('v1') },
      { key: B('k2'), value: null },
      { key: B('k3'), value: Buffer.alloc(0) },
      { key: B('k4'), value: payload },
      { key: B('k5'), value: B('v5') },
    ];
    for (let i = 0; i < msgs.length; i++) eq(await send(p, [msgs[i]], { acks: -1 }), [i], `offset of record ${i}`);
    const got = await read(T, 0, 0, 6);
    eq(got.map((r) => r.offset), [0, 1, 2, 3, 4, 5], 'offsets');
    eq(got.map((r) => str(r.key)), ['k0', null, 'k2', 'k3', 'k4', 'k5'], 'keys');
    eq([0, 1, 2, 3, 5].map((i) => str(got[i].value)), ['v0', 'v1', null, '', 'v5'], 'values');
    check(Buffer.compare(got[4].value, payload) === 0, `1 MiB value differs (length ${got[4].value?.length})`);
    eq(got[0].headers.map(([k, v]) => [str(k), str(v)]), [['h1', 'a'], ['h2', 'b']], 'headers');
  },
  async 'consume-beginning'() {
    const a = admin();
    await createTopic(a, T);
    await send(producer(), kv(10), { acks: -1 });
    eq([(await listOffset(a, T, 0, EARLIEST)).offset, (await listOffset(a, T, 0, LATEST)).offset], [0, 10], 'earliest/latest');
    eq(triples(await read(T, 0, 0, 10)), exp(0, 10), 'records');
  },
  async 'consume-end'() {
    const a = admin();
    await createTopic(a, T);
    const p = producer();
    await send(p, kv(5), { acks: -1 });
    const { offset } = await listOffset(a, T, 0, LATEST);
    eq(offset, 5, 'latest offset');
    await send(p, kv(5, 5), { acks: -1 });
    eq(triples(await read(T, 0, offset, 5)), exp(5, 10), 'records after the end');
  },
  async 'consume-timestamp'() {
    const a = admin();
    await createTopic(a, T);
    const t0 = Math.floor(Date.now() / 1000) * 1000 - 60_000;
    await send(producer(), kv(10).map((m, i) => ({ ...m, timestamp: BigInt(t0 + i * 1000) })), { acks: -1 });
    eq(await listOffset(a, T, 0, BigInt(t0 + 4500)), { offset: 5, timestamp: t0 + 5000 }, 'offset for t0+4500');
    eq((await listOffset(a, T, 0, BigInt(Date.now() + 3_600_000))).offset, -1, 'offset for a future time');
    const got = await read(T, 0, 5, 5);
    eq(triples(got), exp(5, 10), 'records from t0+4500');
    eq(got.map((r) => Number(r.timestamp)), [5, 6, 7, 8, 9].map((i) => t0 + i * 1000), 'timestamps');
  },
  async 'admin-topics'() {
    const a = admin();
    const T2 = `${T}-b`;
    await a.createTopics({ topics: [{ topic: T, partitions: 2 }, { topic: T2, partitions: 1 }], replicas: 1 });
    let dupError = null;
    try { await a.createTopics({ topics: [T2], partitions: 1, replicas: 1 }); } catch (e) { dupError = e; }
    check(dupError && /already exists|TOPIC_ALREADY_EXISTS/i.test(js(dupError.errors ?? dupError.message) + dupError.message), `creating an existing topic: ${dupError?.message ?? 'no error'}`);
    await until('both listed', async () => { const l = await a.listTopics(); return l.includes(T) && l.includes(T2); });
    const md = await a.metadata({ topics: [T, T2], forceUpdate: true });
    eq([md.topics.get(T).partitionsCount, md.topics.get(T2).partitionsCount], [2, 1], 'partition counts');
    await a.deleteTopics({ topics: [T] });
    await until('topic gone', async () => { const l = await a.listTopics(); return !l.includes(T) && l.includes(T2); });
  },
  async 'admin-configs'() {
    const a = admin();
    await createTopic(a, T);
    const res = { resourceType: ConfigResourceTypes.TOPIC, resourceName: T };
    const describe = async () => {
      const [d] = await a.describeConfigs({ resources: [{ ...res, configurationKeys: ['retention.ms', 'cleanup.policy'] }] });
      return Object.fromEntries(d.configs.map((c) => [c.name, c.value]).sort());
    };
    await eventually(describe, { 'cleanup.policy': 'delete', 'retention.ms': '604800000' }, 'defaults');
    await a.alterConfigs({ resources: [{ ...res, configs: [{ name: 'retention.ms', value: '3600000' }] }] });
    await eventually(describe, { 'cleanup.policy': 'delete', 'retention.ms': '3600000' }, 'after AlterConfigs');
    await a.incrementalAlterConfigs({ resources: [{ ...res, configs: [
      { name: 'cleanup.policy', configOperation: IncrementalAlterConfigOperationTypes.SET, value: 'compact' },
      { name: 'retention.ms', configOperation: IncrementalAlterConfigOperationTypes.DELETE }] }] });
    await eventually(describe, { 'cleanup.policy': 'compact', 'retention.ms': '604800000' }, 'after IncrementalAlterConfigs');
  },
  async 'admin-partitions'() {
    const a = admin();
    await createTopic(a, T);
    await a.createPartitions({ topics: [{ name: T, count: 3 }] });
    await until('3 partitions', async () => (await a.metadata({ topics: [T], forceUpdate: true })).topics.get(T).partitionsCount === 3);
    eq(await send(producer(), [{ key: B('k'), value: B('on-2'), partition: 2 }], { acks: -1 }), [0], 'offset on partition 2');
    eq(triples(await read(T, 2, 0, 1)), [[0, 'k', 'on-2']], 'record on partition 2');
  },
  async 'admin-delete-records'() {
    const a = admin();
    await createTopic(a, T);
    await send(producer(), kv(10), { acks: -1 });
    const [d] = await a.deleteRecords({ topics: [{ name: T, partitions: [{ partition: 0, offset: 4n }] }] });
    eq(Number(d.partitions[0].lowWatermark), 4, 'low watermark');
    eq((await listOffset(a, T, 0, EARLIEST)).offset, 4, 'earliest');
    eq(triples(await read(T, 0, 4, 6)), exp(4, 10), 'records after the low watermark');
  },
  async idempotent() {
    await createTopic(admin(), T);
    const p = producer({ idempotent: true, acks: -1 });
    const offs = [];
    for (let b = 0; b < 4; b++) offs.push(...await send(p, kv(5, b * 5)));
    eq(offs, [0, 5, 10, 15], 'returned base offsets');
    eq(triples(await read(T, 0, 0, 20)), exp(0, 20), 'records');
  },
  async kip848() {
    await groupScenario({ groupProtocol: 'consumer' }, { kip848: true });
  },
  async transactions() {
    await createTopic(admin(), T);
    const p = producer({ idempotent: true, transactionalId: `${T}-tx`, acks: -1 });
    for (const [prefix, commit] of [['t1', true], ['t2', false], ['t3', true]]) {
      const tx = await p.beginTransaction();
      await tx.send({ messages: Array.from({ length: 5 }, (_, i) => ({ topic: T, partition: 0, key: B(`${prefix}-${i}`), value: B(`${prefix}-${i}`) })) });
      await (commit ? tx.commit() : tx.abort());
    }
    const at = (prefix, base) => Array.from({ length: 5 }, (_, i) => [base + i, `${prefix}-${i}`, `${prefix}-${i}`]);
    // Consumer.fetch drops aborted batches itself at READ_COMMITTED (its abortedTransactions filter)
    eq(triples(await read(T, 0, 0, 10, { isolationLevel: 1 })), [...at('t1', 0), ...at('t3', 12)], 'read_committed');
    eq(triples(await read(T, 0, 0, 15, { isolationLevel: 0 })), [...at('t1', 0), ...at('t2', 6), ...at('t3', 12)], 'read_uncommitted');
  },
  async 'admin-groups'() {
    const a = admin();
    await createTopic(a, T);
    await send(producer(), kv(10));
    const G = `${T}-g`;
    const c = new Consumer({ ...base, groupId: G, autocommit: false });
    cleanups.push(() => c.close(true));
    const stream = await c.consume({ topics: [T], mode: MessagesStreamModes.COMMITTED, fallbackMode: MessagesStreamFallbackModes.EARLIEST, autocommit: false });
    const timer = setTimeout(() => stream.destroy(new Error('timed out consuming')), 30000);
    for await (const m of stream) {
      if (m.offset === 6n) { await m.commit(); break; } // commits offset 7
    }
    clearTimeout(timer);
    await stream.close();
    await c.close();
    const listed = async () => (await a.listGroups()).has(G);
    check(await listed(), `listGroups misses ${G}`);
    const g = (await a.describeGroups({ groups: [G] })).get(G);
    eq([g?.id, g?.state, g?.members.size], [G, 'Empty', 0], 'describeGroups');
    const [offs] = await a.listConsumerGroupOffsets({ groups: [G] });
    eq(offs.topics.flatMap((t) => t.partitions.map((p) => [t.name, p.partitionIndex, Number(p.committedOffset)])), [[T, 0, 7]], 'committed offsets');
    await a.deleteGroups({ groups: [G] });
    check(!(await listed()), 'group still listed after delete');
  },
};

// A member consumes its stream one message at a time and commits each before taking the next
// (autocommit off). Its partitions are the client's own `assignments`. kip848 (groupProtocol
// 'consumer'): two members share, both leave, a new one resumes from the commits. The classic path
// (three members, one leaves) is kept for when the client commits before giving partitions up: today
// a commit requested mid-rebalance is queued until after the rejoin, so the next owner re-reads
// (duplicates against Kafka too), hence no group-rebalance for this client.
async function groupScenario(groupOpts, { kip848 = false } = {}) {
  const a = admin();
  await createTopic(a, T, 3);
  const p = producer();
  const spread = async (prefix, n) => {
    for (let i = 0; i < n; i++) await send(p, [{ key: B(`${prefix}-${i}`), value: B(`${prefix}-${i}`), partition: i % 3 }]);
  };
  await spread('a', 30);
  const G = `${T}-g`;
  const seen = new Map();
  const members = [];
  async function member(name) {
    const c = new Consumer({ ...base, groupId: G, autocommit: false, ...groupOpts });
    cleanups.push(() => c.close(true));
    const stream = await c.consume({ topics: [T], mode: MessagesStreamModes.COMMITTED, fallbackMode: MessagesStreamFallbackModes.EARLIEST, autocommit: false });
    const m = { name, c, stream, closed: false, error: null };
    m.done = (async () => {
      try {
        for await (const msg of stream) {
          const v = str(msg.value);
          seen.set(v, (seen.get(v) ?? 0) + 1);
          await msg.commit();
        }
      } catch (e) { if (!m.closed) m.error = e; }
    })();
    members.push(m);
    return m;
  }
  const owned = (m) => (m.closed ? [] : (m.c.assignments ?? []).filter((x) => x.topic === T).flatMap((x) => x.partitions).sort());
  const have = (prefix, n) => Array.from({ length: n }, (_, i) => `${prefix}-${i}`).every((v) => seen.has(v));
  async function wait(what, fn) {
    const end = Date.now() + 40000;
    for (;;) {
      const failed = members.find((m) => m.error);
      if (failed) throw new Error(`${failed.name}: ${failed.error?.message ?? failed.error}`);
      if (fn()) return;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${members.filter((m) => !m.closed).map((m) => `${m.name}=${js(owned(m))}`).join(', ')}`);
      await sleep(100);
    }
  }
  async function close(m) { m.closed = true; await m.stream.close(); await m.c.close(); await m.done; }
  const covers = (...ms) => { const all = ms.flatMap(owned); return js([...all].sort()) === js([0, 1, 2]) && new Set(all).size === all.length; };
  try {
    if (!kip848) {
      const [m1, m2, m3] = [await member('c1'), await member('c2'), await member('c3')];
      await wait('one partition each', () => [m1, m2, m3].every((m) => owned(m).length === 1) && covers(m1, m2, m3));
      await wait('30 records', () => have('a', 30));
      await close(m3);
      await wait('two members cover 3 partitions', () => covers(m1, m2));
      await spread('b', 30);
      await wait('30 more records', () => have('b', 30));
      await close(m1);
      await close(m2);
    } else {
      const [m1, m2] = [await member('m1'), await member('m2')];
      await wait('two members share 3 partitions', () => owned(m1).length > 0 && owned(m2).length > 0 && covers(m1, m2));
      await wait('30 records', () => have('a', 30));
      await close(m1);
      await close(m2);
    }
    await spread('c', 9);
    const m4 = await member('c4');
    await wait('resume from commits', () => have('c', 9));
    await sleep(1000);
    await close(m4);
  } finally {
    for (const m of members) if (!m.closed) { try { await close(m); } catch {} }
  }
  const dups = [...seen].filter(([, n]) => n > 1).map(([v]) => v);
  check(dups.length === 0, `duplicates: ${dups.slice(0, 10).join(' ')}`);
  eq(seen.size, kip848 ? 39 : 69, 'distinct records consumed');
}

async function produceAcks(acks) {
  await createTopic(admin(), T);
  const offs = await send(producer(), kv(10), { acks });
  if (acks !== 0) eq(offs, [0], 'returned base offset');
  eq(triples(await read(T, 0, 0, 10)), exp(0, 10), 'records');
}

let code = 0;
try {
  const fn = scenarios[opt.scenario];
  if (!fn) throw new Unsupported(`platformatic: scenario ${opt.scenario} is not implemented`);
  await fn();
} catch (err) {
  code = err instanceof Unsupported ? 3 : 1;
  const detail = err?.errors ? ` ${js(err.errors).slice(0, 300)}` : '';
  process.stderr.write(`${err?.stack ?? err}\n${opt.scenario}: ${String(err?.message ?? err).split('\n')[0]}${detail}\n`);
}
for (const c of cleanups.reverse()) { try { await c(); } catch {} }
process.exit(code);
