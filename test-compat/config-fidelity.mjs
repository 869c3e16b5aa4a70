// DescribeConfigs fidelity: the same DescribeConfigs (synonyms and documentation flags on) to Apache
// Kafka 4.4 and to odradek, compared config by config: names, values, read-only, source, sensitive,
// type and synonyms (name, value, source, in order). Runs against live brokers, so it is part of
// test-compat, not of vitest.
//
//   node test-compat/config-fidelity.mjs                          starts both (Kafka via scripts/kafka/start.sh)
//   node test-compat/config-fidelity.mjs --kafka H:P --odradek H:P   uses running ones
//
// Topics (a fresh one, and one with overrides): every config must match, except the ALLOWED ones.
// The broker: for every config odradek lists, name, type and sensitivity must match, and value and
// synonyms too where Kafka answers its built-in default (source DEFAULT_CONFIG: start.sh sets some
// configs statically); a config dynamic in odradek must be dynamic in Kafka (the ones only Kafka lets
// change are listed, SKIPPED.md says why) and the
// broker configs only Kafka lists are counted, not failed (packages/broker/SKIPPED.md). Groups (a
// fresh one, and one with configs of its own): every config must match, in Kafka's order.
// Exit 0 = no unexpected difference; each difference is printed.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FrameDecoder, decodeResponse, encodeRequest } from '../packages/codec/dist/index.js';
import { startKafka, startOdradek } from './brokers.mjs';

const opt = {};
for (let i = 2; i < process.argv.length; i += 2) opt[process.argv[i].replace(/^--/, '')] = process.argv[i + 1];

/** Known differences: topic config name → why. */
const ALLOWED = {
  'min.insync.replicas': 'Kafka 4.4 writes a cluster-level dynamic default (source 3) at format for ELR, and start.sh sets it statically; odradek answers its default',
};
const DEFAULT_CONFIG = 5;

function request(bootstrap, apiKey, version, body) {
  const [host, port] = [bootstrap.slice(0, bootstrap.lastIndexOf(':')), Number(bootstrap.slice(bootstrap.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    const dec = new FrameDecoder(1 << 30);
    const frame = encodeRequest({ requestApiKey: apiKey, requestApiVersion: version, correlationId: 1, clientId: 'config-fidelity' }, body);
    const size = Buffer.alloc(4);
    size.writeInt32BE(frame.length);
    s.write(Buffer.concat([size, frame]));
    s.on('data', (c) => { for (const f of dec.push(c)) { resolve(decodeResponse(apiKey, version, f).body); s.end(); } });
    s.on('error', reject);
  });
}
const describeConfigs = async (b, resourceType, resourceName) => {
  const r = await request(b, 32, 4, { resources: [{ resourceType, resourceName, configurationKeys: null }], includeSynonyms: true, includeDocumentation: true });
  const res = r.results[0];
  if (res.errorCode !== 0) throw new Error(`DescribeConfigs ${resourceName} on ${b}: error ${res.errorCode} ${res.errorMessage}`);
  return new Map(res.configs.map((c) => [c.name, c]));
};
const view = (c, fields) => JSON.stringify(Object.fromEntries(fields.map((f) => [f, f === 'synonyms' ? c.synonyms.map((s) => `${s.name}=${s.value}@${s.source}`) : c[f]])));

async function compare(kafka, odradek) {
  const problems = [];
  const notes = [];
  const topics = [
    { name: `fidelity-${process.pid}-fresh`, configs: [] },
    { name: `fidelity-${process.pid}-set`, configs: [{ name: 'retention.ms', value: '3600000' }, { name: 'max.message.bytes', value: '2000000' }, { name: 'cleanup.policy', value: 'compact' }] },
  ];
  for (const b of [kafka, odradek]) {
    const r = await request(b, 19, 7, { topics: topics.map((t) => ({ name: t.name, numPartitions: 1, replicationFactor: 1, assignments: [], configs: t.configs })), timeoutMs: 10000, validateOnly: false });
    for (const t of r.topics) if (t.errorCode !== 0) throw new Error(`CreateTopics ${t.name} on ${b}: ${t.errorCode} ${t.errorMessage}`);
  }
  await new Promise((r) => setTimeout(r, 1500)); // Kafka applies topic creation through its metadata log
  const fields = ['value', 'readOnly', 'configSource', 'isSensitive', 'configType', 'synonyms'];
  for (const t of topics) {
    const k = await describeConfigs(kafka, 2, t.name);
    const o = await describeConfigs(odradek, 2, t.name);
    for (const name of [...new Set([...k.keys(), ...o.keys()])].sort()) {
      const kc = k.get(name), oc = o.get(name);
      const line = !kc ? `topic ${t.name}: ${name} only in odradek` : !oc ? `topic ${t.name}: ${name} only in Kafka` : view(kc, fields) !== view(oc, fields) ? `topic ${t.name}: ${name}\n    kafka   ${view(kc, fields)}\n    odradek ${view(oc, fields)}` : null;
      if (line === null) continue;
      (ALLOWED[name] ? notes : problems).push(ALLOWED[name] ? `${line}\n    allowed: ${ALLOWED[name]}` : line);
    }
  }
  // Groups (resource type 32): a group without configs and one with three of its own, config by config and in order.
  const group = `fidelity-${process.pid}-g`;
  const own = [['consumer.session.timeout.ms', '50000'], ['share.auto.offset.reset', 'earliest'], ['streams.rack.aware.assignment.tags', ' a , b ']];
  for (const b of [kafka, odradek]) {
    const r = await request(b, 44, 1, { resources: [{ resourceType: 32, resourceName: group, configs: own.map(([name, value]) => ({ name, configOperation: 0, value })) }], validateOnly: false });
    if (r.responses[0].errorCode !== 0) throw new Error(`IncrementalAlterConfigs group ${group} on ${b}: ${r.responses[0].errorCode} ${r.responses[0].errorMessage}`);
  }
  await new Promise((r) => setTimeout(r, 1500));
  for (const g of [`fidelity-${process.pid}-fresh`, group]) {
    const k = await describeConfigs(kafka, 32, g);
    const o = await describeConfigs(odradek, 32, g);
    if ([...k.keys()].join() !== [...o.keys()].join()) problems.push(`group ${g}: names or order\n    kafka   ${[...k.keys()].join()}\n    odradek ${[...o.keys()].join()}`);
    for (const [name, kc] of k) {
      const oc = o.get(name);
      if (oc && view(kc, fields) !== view(oc, fields)) problems.push(`group ${g}: ${name}\n    kafka   ${view(kc, fields)}\n    odradek ${view(oc, fields)}`);
    }
  }
  const kb = await describeConfigs(kafka, 4, '1');
  const ob = await describeConfigs(odradek, 4, '1');
  let kafkaOnly = 0;
  const readOnly = [];
  for (const [name, oc] of ob) {
    const kc = kb.get(name);
    if (!kc) { problems.push(`broker: ${name} only in odradek`); continue; }
    const f = kc.configSource === DEFAULT_CONFIG && oc.configSource === DEFAULT_CONFIG ? ['value', 'isSensitive', 'configType', 'synonyms'] : ['isSensitive', 'configType'];
    if (view(kc, f) !== view(oc, f)) problems.push(`broker: ${name}\n    kafka   ${view(kc, f)}\n    odradek ${view(oc, f)}`);
    // A config odradek lets change at runtime must be dynamic in Kafka too (dynamic-broker-config.ts).
    if (kc.readOnly && !oc.readOnly) problems.push(`broker: ${name} is dynamic in odradek, read-only in Kafka`);
    if (!kc.readOnly && oc.readOnly) readOnly.push(name);
  }
  for (const name of kb.keys()) if (!ob.has(name)) kafkaOnly++;
  notes.push(`broker: ${ob.size} configs compared, ${readOnly.length} read-only in odradek but dynamic in Kafka (${readOnly.join(', ')}), ${kafkaOnly} listed only by Kafka (of ${kb.size})`);
  return { problems, notes };
}

let kafkaBroker = null, odradekBroker = null;
let code = 0;
try {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), 'config-fidelity-'));
  if (!opt.kafka) kafkaBroker = await startKafka(logDir);
  if (!opt.odradek) odradekBroker = await startOdradek(logDir);
  const { problems, notes } = await compare(opt.kafka ?? kafkaBroker.bootstrap, opt.odradek ?? odradekBroker.bootstrap);
  for (const n of notes) console.log(`note: ${n}`);
  for (const p of problems) console.log(`DIFFERENT ${p}`);
  console.log(problems.length === 0 ? 'config-fidelity: PASS' : `config-fidelity: FAIL (${problems.length} differences)`);
  code = problems.length === 0 ? 0 : 1;
} catch (err) {
  console.error(`config-fidelity: ${err.stack ?? err}`);
  code = 2;
} finally {
  await Promise.all([kafkaBroker?.stop(), odradekBroker?.stop()]);
}
process.exit(code);
