#!/usr/bin/env node
// Pick representative golden frames from a capture and write the codec fixtures.
//
//   node select.mjs --raw test-compat/.cache/capture-raw --out packages/codec/test/fixtures
//                   [--clients kafkajs,librdkafka,java,franz-go] [--spec DIR]
//
// For each client it keeps ONE request/response pair per (apiKey, apiVersion), and per
// compression codec for Produce, and only versions our codec implements (packages/codec/dist; the
// capturing proxy caps what Kafka advertises, so nothing else should appear) plus any too-new
// ApiVersions request the proxy answered with a v0 UNSUPPORTED_VERSION body, and writes
//   <out>/<client>/<seq>-<apiName>-v<version>.request.bin / .response.bin  (frames without size prefix)
// then merges their entries into <out>/manifest.json (entries of clients not re-selected are kept).
// `expect` holds facts known without any decoder: what the capture program was told to send
// (records.json, names, codecs), the broker's configuration, the topic id Kafka's own TopicCommand
// reported, and byte-substring checks (`...InRequest` flags). See fixtures/README.md.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { API_DEFINITIONS, decodeResponse } from '../../packages/codec/dist/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const opt = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) opt[argv[i].replace(/^--/, '')] = argv[i + 1];
const rawDir = path.resolve(opt.raw ?? path.join(root, 'test-compat/.cache/capture-raw'));
const outDir = path.resolve(opt.out ?? path.join(root, 'packages/codec/test/fixtures'));
const clients = (opt.clients ?? 'kafkajs,librdkafka,java,franz-go').split(',');
const CLIENT_ORDER = ['kafkajs', 'librdkafka', 'java', 'franz-go'];
const PHASES = ['produce-none', 'produce-gzip', 'produce-snappy', 'produce-lz4', 'produce-zstd', 'consume', 'consume-kip848', 'admin', 'txn'];
const spec = JSON.parse(fs.readFileSync(path.join(here, 'records.json'), 'utf8'));
const warnings = [];
// Whether each capture program's producer is idempotent (see the programs' producer settings).
const IDEMPOTENT = { kafkajs: false, librdkafka: false, java: true, 'franz-go': true };

// ---- API names from Kafka's message definitions (apiKey -> "Produce", ...) ----
function apiNames() {
  const names = {};
  const dirs = [opt.spec, path.join(root, '../shared/kafka-protocol-spec/message'), '/work/shared/kafka-protocol-spec/message'];
  const dir = dirs.find((d) => d && fs.existsSync(d));
  if (dir) {
    for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('Request.json'))) {
      const text = fs.readFileSync(path.join(dir, f), 'utf8').replace(/^\s*\/\/.*$/gm, '');
      const m = JSON.parse(text);
      if (m.type === 'request' && typeof m.apiKey === 'number') names[m.apiKey] = m.name.replace(/Request$/, '');
    }
  }
  return names;
}
const NAMES = apiNames();
const apiName = (k) => NAMES[k] ?? `ApiKey${k}`;

// ---- client versions, from the pins in this directory ----
function clientVersion(client, results) {
  switch (client) {
    case 'kafkajs':
      return JSON.parse(fs.readFileSync(path.join(here, 'kafkajs/deps.package.json'), 'utf8')).dependencies.kafkajs;
    case 'librdkafka': {
      const c = Object.values(results).find((r) => r?.client)?.client;
      return c ? `confluent-kafka-python ${c.confluent_kafka} / librdkafka ${c.librdkafka}` : 'unknown';
    }
    case 'java':
      return fs.readFileSync(path.join(here, 'java/pom.xml'), 'utf8').match(/kafka-clients<\/artifactId>\s*<version>([^<]+)/)[1];
    case 'franz-go':
      return fs.readFileSync(path.join(here, 'franz-go/go.mod'), 'utf8').match(/github\.com\/twmb\/franz-go (v\S+)/)[1];
    default:
      return 'unknown';
  }
}

// What ApiVersions v3+ carries as ClientSoftwareName/Version, as each client documents it.
function softwareOf(client, version) {
  switch (client) {
    case 'librdkafka': {
      const m = version.match(/confluent-kafka-python (\S+) \/ librdkafka (\S+)/);
      return m ? { name: 'confluent-kafka-python', version: `${m[1]}-rdkafka-${m[2]}` } : null;
    }
    case 'java': return { name: 'apache-kafka-java', version };
    case 'franz-go': return { name: 'kgo', version };
    default: return null; // kafkajs sends ApiVersions v0-2 only: no software fields
  }
}

// A frame our codec can decode, or the too-new ApiVersions request the proxy answers itself (the
// broker must read its header and answer with a v0 body; see proxy.mjs).
function inCodecRange(f) {
  const def = API_DEFINITIONS[f.apiKey]?.request;
  if (f.apiKey === 18 && f.bodyVersion === 0) return true;
  return def !== undefined && f.apiVersion >= def.minVersion && f.apiVersion <= def.maxVersion;
}

// Whether a response decodes and carries no top-level (or first coordinator's) error code.
function responseOk(f) {
  if (!f.response) return false;
  try {
    const { body } = decodeResponse(f.apiKey, f.bodyVersion ?? f.apiVersion, f.response);
    return (body.errorCode ?? 0) === 0 && (body.coordinators?.[0]?.errorCode ?? 0) === 0;
  } catch {
    return false;
  }
}

function loadPhase(client, phase) {
  const dir = path.join(rawDir, client, phase);
  const index = path.join(dir, 'index.jsonl');
  if (!fs.existsSync(index)) return null;
  const bySeq = new Map();
  for (const line of fs.readFileSync(index, 'utf8').split('\n').filter(Boolean)) {
    const e = JSON.parse(line);
    const f = bySeq.get(e.seq) ?? { phase, seq: e.seq, apiKey: e.apiKey, apiVersion: e.apiVersion, correlationId: e.correlationId, clientId: e.clientId };
    f[e.direction] = fs.readFileSync(path.join(dir, e.file));
    if (e.direction === 'response' && e.bodyVersion !== undefined) f.bodyVersion = e.bodyVersion;
    bySeq.set(e.seq, f);
  }
  const resultFile = path.join(dir, 'result.json');
  const result = fs.existsSync(resultFile) ? JSON.parse(fs.readFileSync(resultFile, 'utf8')) : null;
  return { frames: [...bySeq.values()].sort((a, b) => a.seq - b.seq), result };
}

// Byte-substring checks. The client id equals the topic name (both golden-<client>), and the
// group, the admin topic, the transactional id and member ids that clients derive from their
// client id (golden-<client>-<uuid>) start with it followed by '-'. So request checks skip the
// header up to the client id, and a topic match followed by '-' is one of those other names.
function body(frame, direction) {
  if (direction !== 'request' || frame.length < 10) return frame;
  const len = frame.readInt16BE(8);
  return frame.subarray(10 + Math.max(len, 0));
}
function hasIn(frame, direction, s, unlessFollowedBy) {
  if (!frame) return false;
  const b = body(frame, direction);
  const needle = Buffer.from(s, 'utf8');
  for (let i = b.indexOf(needle); i >= 0; i = b.indexOf(needle, i + 1)) {
    if (!unlessFollowedBy || !b.subarray(i, i + unlessFollowedBy.length).equals(Buffer.from(unlessFollowedBy))) return true;
  }
  return false;
}

function selectClient(client) {
  const metaFile = path.join(rawDir, client, 'meta.json');
  if (!fs.existsSync(metaFile)) { warnings.push(`${client}: no capture in ${rawDir}`); return null; }
  const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8'));
  const phases = {};
  const results = {};
  for (const p of PHASES) {
    const d = loadPhase(client, p);
    if (d) { phases[p] = d; results[p] = d.result; }
  }
  const version = clientVersion(client, results);
  const { topic, topicId, group } = meta;
  const broker = { nodeId: 1, host: '127.0.0.1', port: meta.proxyPort };
  const adminTopic = `${topic}-admin`;
  const reqHasTopic = (f) => hasIn(f.request, 'request', topic, `${topic}-`);
  const reqHasGroup = (f) => hasIn(f.request, 'request', group);
  const resHasTopic = (f) => hasIn(f.response, 'response', topic, `${topic}-`);

  // The partition log as produced: one batch per successful produce phase, in phase order.
  const logRecords = [];
  const batches = [];
  for (const p of PHASES.filter((x) => x.startsWith('produce-'))) {
    if (!results[p]) continue;
    batches.push({ compression: p.slice('produce-'.length), baseOffset: logRecords.length, records: spec.records.length });
    for (const r of spec.records) logRecords.push({ offset: logRecords.length, ...r });
  }
  const total = logRecords.length;

  // ---- pick frames ----
  const picked = [];
  const seen = new Set();
  for (const p of PHASES.filter((x) => x.startsWith('produce-'))) {
    if (!phases[p] || !results[p]) continue;
    const produces = phases[p].frames.filter((f) => f.apiKey === 0 && f.request && inCodecRange(f));
    if (produces.length !== 1) warnings.push(`${client} ${p}: ${produces.length} Produce requests (expected 1 batch in 1 request)`);
    const f = produces[0];
    if (!f) continue;
    const codec = p.slice('produce-'.length);
    const batch = batches.find((b) => b.compression === codec);
    seen.add(`0:${f.apiVersion}:${codec}`);
    picked.push({ f, codec, batch });
  }
  // Transactional variants of APIs also seen outside transactions are kept as separate fixtures.
  const txnId = `golden-${client}-txn`;
  const txnGroup = `golden-${client}-txn-group`;
  const variant = (f) => {
    if (f.phase !== 'txn') return '';
    if (f.apiKey === 0 || f.apiKey === 22) return ':txn';
    if (f.apiKey === 10) return hasIn(f.request, 'request', txnId) ? ':txn' : hasIn(f.request, 'request', txnGroup) ? ':txn-group' : '';
    return '';
  };
  const groups = new Map();
  const outOfRange = new Map();
  for (const p of PHASES) {
    for (const f of phases[p]?.frames ?? []) {
      if (f.apiKey === 0 && p.startsWith('produce-')) continue;
      if (!inCodecRange(f)) {
        const k = `${apiName(f.apiKey)} v${f.apiVersion}`;
        outOfRange.set(k, (outOfRange.get(k) ?? 0) + 1);
        continue;
      }
      const k = `${f.apiKey}:${f.apiVersion}${variant(f)}`;
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(f);
    }
  }
  for (const [k, n] of outOfRange) warnings.push(`${client}: ${n} × ${k} outside our codec's range, not selected (did the proxy cap versions?)`);
  const commitSeq = (phase) => phases[phase]?.frames.find((f) => f.apiKey === 8)?.seq ?? Infinity;
  const score = (f) => {
    let s = f.response ? 1000 : 0;
    if (responseOk(f)) s += 800; // e.g. FindCoordinator answered, not COORDINATOR_NOT_AVAILABLE
    if (f.apiKey === 1 || f.apiKey === 11) s += Math.min(f.response?.length ?? 0, 999); // Fetch with records; JoinGroup with members
    if (f.apiKey === 9 && f.seq > commitSeq(f.phase)) s += 500; // OffsetFetch after the commit
    if (reqHasTopic(f) || reqHasGroup(f) || (f.phase === 'txn' && hasIn(f.request, 'request', txnId))) s += 2000;
    return s;
  };
  for (const [k, fs_] of groups) {
    if (seen.has(k)) continue;
    const best = fs_.reduce((a, b) => (score(b) > score(a) ? b : a));
    picked.push({ f: best });
  }
  const phaseIdx = (p) => PHASES.indexOf(p);
  picked.sort((a, b) => phaseIdx(a.f.phase) - phaseIdx(b.f.phase) || a.f.seq - b.f.seq);

  // ---- expectations ----
  function expectFor({ f, codec, batch }) {
    const req = {};
    const res = {};
    const topicFacts = () => {
      req.topic = topic; req.topicId = topicId; req.topicNameInRequest = reqHasTopic(f);
    };
    switch (f.apiKey) {
      case 0: // Produce
        topicFacts();
        if (f.phase === 'txn') {
          Object.assign(req, {
            partition: spec.partition, compression: 'none', acks: -1, transactionalId: txnId,
            idempotent: true, records: spec.records,
          });
          Object.assign(res, { topic, topicId, partition: spec.partition, errorCode: 0, baseOffset: total });
          break;
        }
        // idempotent: the client's default (Java, franz-go) or its explicit setting (librdkafka
        // off; kafkajs off unless asked) — an idempotent batch carries a producer id >= 0.
        Object.assign(req, {
          partition: spec.partition, compression: codec, acks: -1, transactionalId: null,
          idempotent: IDEMPOTENT[client] ?? null, records: spec.records,
        });
        Object.assign(res, { topic, topicId, partition: spec.partition, errorCode: 0, baseOffset: batch.baseOffset });
        break;
      case 1: // Fetch
        topicFacts(); req.partition = spec.partition;
        Object.assign(res, {
          topic, topicId, partition: spec.partition, highWatermarkAtMost: total, batches, logRecords,
          note: 'records in the response are a contiguous run of logRecords starting at the fetch offset (possibly empty)',
        });
        break;
      case 2: // ListOffsets
        topicFacts(); req.partition = spec.partition;
        break;
      case 3: // Metadata
        req.topicNameInRequest = reqHasTopic(f);
        if (req.topicNameInRequest) req.topics = [topic];
        Object.assign(res, { brokers: [broker], controllerOrLeaderNodeId: 1 });
        if (resHasTopic(f)) Object.assign(res, { topic, topicId, partitions: 1, leader: 1 });
        break;
      case 8: // OffsetCommit
        topicFacts();
        Object.assign(req, { group, partition: spec.partition, committedOffset: total });
        Object.assign(res, { partition: spec.partition, errorCode: 0 });
        break;
      case 9: { // OffsetFetch
        topicFacts(); req.group = group;
        const after = f.seq > commitSeq(f.phase) && f.phase === 'consume';
        if (f.phase === 'consume') Object.assign(res, { partition: spec.partition, committedOffset: after ? total : -1 });
        break;
      }
      case 10: // FindCoordinator
        if (variant(f) === ':txn') Object.assign(req, { key: txnId, keyType: 1 });
        else if (variant(f) === ':txn-group') Object.assign(req, { key: txnGroup, keyType: 0 });
        else Object.assign(req, { key: group, keyType: 0 });
        Object.assign(res, { coordinator: broker });
        break;
      case 11: // JoinGroup
        Object.assign(req, { group, protocolType: 'consumer', topic, topicInSubscription: reqHasTopic(f) });
        break;
      case 12: case 13: // Heartbeat, LeaveGroup
        req.group = group;
        break;
      case 14: // SyncGroup
        Object.assign(req, { group, topic, assignmentMentionsTopic: reqHasTopic(f) });
        break;
      case 18: { // ApiVersions
        const sw = f.apiVersion >= 3 ? softwareOf(client, version) : null;
        if (sw) {
          req.clientSoftwareName = sw.name; req.clientSoftwareVersion = sw.version;
          if (!hasIn(f.request, 'request', sw.name) || !hasIn(f.request, 'request', sw.version)) warnings.push(`${client} ApiVersions v${f.apiVersion}: software name/version not found in request bytes`);
        }
        break;
      }
      case 22: // InitProducerId: idempotent producer, or transactional in the txn phase
        req.transactionalId = f.phase === 'txn' ? txnId : null;
        break;
      case 15: // DescribeGroups (after every member left: Empty)
        req.groups = [group];
        Object.assign(res, { group, groupState: 'Empty', protocolType: 'consumer' });
        break;
      case 16: // ListGroups
        Object.assign(res, { groupsInclude: [group], groupInResponse: hasIn(f.response, 'response', group) });
        break;
      case 19: // CreateTopics
        Object.assign(req, { topic: adminTopic, numPartitions: 3, replicationFactor: 1 });
        Object.assign(res, { topic: adminTopic, errorCode: 0 });
        break;
      case 20: // DeleteTopics
        Object.assign(req, { topic: adminTopic, topicNameInRequest: hasIn(f.request, 'request', adminTopic) });
        Object.assign(res, { topic: adminTopic, errorCode: 0 });
        break;
      case 32: // DescribeConfigs
        Object.assign(req, { resourceType: 2, resourceName: adminTopic });
        Object.assign(res, { resourceType: 2, resourceName: adminTopic, errorCode: 0 });
        break;
      case 60: // DescribeCluster
        Object.assign(res, { brokers: [broker], controllerId: 1 });
        break;
      case 69: // ConsumerGroupDescribe (the group is a classic group)
        req.groups = [group];
        break;
      case 24: // AddPartitionsToTxn
        Object.assign(req, { transactionalId: txnId, topic, partitions: [spec.partition] });
        break;
      case 25: // AddOffsetsToTxn
        Object.assign(req, { transactionalId: txnId, group: txnGroup });
        break;
      case 26: // EndTxn
        Object.assign(req, { transactionalId: txnId, committed: true });
        break;
      case 28: // TxnOffsetCommit
        topicFacts();
        Object.assign(req, { transactionalId: txnId, group: txnGroup, partition: spec.partition, committedOffset: total });
        break;
      case 68: // ConsumerGroupHeartbeat (KIP-848)
        Object.assign(req, { group: `${group}-kip848`, topicInRequest: reqHasTopic(f) });
        if (f.phase === 'consume-kip848' && req.group) req.topic = topic;
        break;
      default:
        break;
    }
    if (f.phase === 'consume-kip848' && [8, 9].includes(f.apiKey)) {
      req.group = `${group}-kip848`;
      if (f.apiKey === 9) res.committedOffset = f.seq > commitSeq(f.phase) ? total : -1;
    }
    return { req, res };
  }

  const clientOut = path.join(outDir, client);
  fs.rmSync(clientOut, { recursive: true, force: true });
  fs.mkdirSync(clientOut, { recursive: true });
  const entries = [];
  picked.forEach((p, i) => {
    const { f } = p;
    const base = `${String(i + 1).padStart(3, '0')}-${apiName(f.apiKey)}-v${f.apiVersion}`;
    const { req, res } = expectFor(p);
    const common = {
      client, clientVersion: version, apiKey: f.apiKey, apiName: apiName(f.apiKey), apiVersion: f.apiVersion,
      correlationId: f.correlationId, clientId: f.clientId, phase: f.phase,
    };
    fs.writeFileSync(path.join(clientOut, `${base}.request.bin`), f.request);
    entries.push({ ...common, file: `${client}/${base}.request.bin`, direction: 'request', size: f.request.length, expect: req });
    if (f.response) {
      fs.writeFileSync(path.join(clientOut, `${base}.response.bin`), f.response);
      const body = f.bodyVersion === undefined ? {} : { bodyVersion: f.bodyVersion };
      entries.push({ ...common, ...body, file: `${client}/${base}.response.bin`, direction: 'response', size: f.response.length, expect: res });
    } else {
      warnings.push(`${client} ${base}: request without response`);
    }
  });
  return {
    info: { version, topic, topicId, group, proxyPort: meta.proxyPort, capturedAt: meta.capturedAt, kafkaVersion: meta.kafkaVersion, recordsProduced: total },
    entries,
  };
}

const manifestPath = path.join(outDir, 'manifest.json');
const old = fs.existsSync(manifestPath) ? JSON.parse(fs.readFileSync(manifestPath, 'utf8')) : { clients: {}, fixtures: [] };
const manifest = {
  description: 'Golden Kafka protocol frames captured from real clients against Apache Kafka; see README.md. Frames exclude the 4-byte size prefix.',
  kafkaVersion: '4.4.0',
  records: spec.records,
  clients: { ...old.clients },
  fixtures: old.fixtures.filter((e) => !clients.includes(e.client)),
};
for (const c of clients) {
  const r = selectClient(c);
  if (!r) continue;
  manifest.clients[c] = r.info;
  manifest.fixtures.push(...r.entries);
}
const order = (c) => CLIENT_ORDER.indexOf(c);
manifest.fixtures.sort((a, b) => order(a.client) - order(b.client) || a.file.localeCompare(b.file));
manifest.clients = Object.fromEntries(Object.entries(manifest.clients).sort(([a], [b]) => order(a) - order(b)));
fs.writeFileSync(manifestPath, JSON.stringify(manifest, null, 2) + '\n');
for (const w of warnings) console.error(`select: warning: ${w}`);
const count = {};
for (const e of manifest.fixtures) if (e.direction === 'request') count[e.client] = (count[e.client] ?? 0) + 1;
console.log(`select: wrote ${manifest.fixtures.length} fixture files to ${outDir}: ${JSON.stringify(count)} request/response pairs`);
