// Golden-frame capture program for kafkajs (driven by test-compat/capture/run.sh).
//   node capture.mjs --deps DIR --bootstrap HOST:PORT --client-id ID --topic T --group G
//                    --records records.json (--phase produce --codec C | --phase consume --expect N
//                    | --phase admin --admin-topic T2
//                    | --phase txn --transactional-id X --txn-group G2 --txn-offset N)
// DIR is where kafkajs and the codec packages are installed (test-compat/.cache/kafkajs).
// Prints one line `RESULT {json}` on success.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const opt = {};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) opt[argv[i].replace(/^--/, '')] = argv[i + 1];
const require = createRequire(path.join(path.resolve(opt.deps), 'package.json'));
const { Kafka, logLevel, CompressionTypes, CompressionCodecs, ConfigResourceTypes } = require('kafkajs');
const spec = JSON.parse(fs.readFileSync(opt.records, 'utf8'));

// kafkajs ships gzip only; the other codecs are plug-ins keyed by CompressionTypes.
const SnappyCodec = require('kafkajs-snappy');
CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec;
// LZ4 frame format, as Kafka expects. lz4js leaves the frame descriptor's block-independence
// flag (FLG bit 5) clear, which Kafka rejects ("Dependent block stream is unsupported"); a
// single-block frame is independent by construction, so set the flag and redo the header
// checksum (second byte of xxh32 over FLG and BD).
const lz4js = require('lz4js');
const xxh32 = require('lz4js/xxh32.js');
const LZ4_MAX_BLOCK = 4 * 1024 * 1024; // lz4js's default block size (BD = 7)
function lz4Compress(input) {
  if (input.length > LZ4_MAX_BLOCK) throw new Error('lz4 adapter: input larger than one block');
  const frame = Buffer.from(lz4js.compress(input));
  frame[4] |= 0x20; // FLG: block independence
  frame[6] = (xxh32.hash(0, frame, 4, 2) >>> 8) & 0xff;
  return frame;
}
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  async compress(encoder) { return lz4Compress(encoder.buffer); },
  async decompress(buffer) { return Buffer.from(lz4js.decompress(buffer)); },
});
const zstd = require('@bokuweb/zstd-wasm');
CompressionCodecs[CompressionTypes.ZSTD] = () => ({
  async compress(encoder) { await zstd.init(); return Buffer.from(zstd.compress(encoder.buffer, 3)); },
  async decompress(buffer) { await zstd.init(); return Buffer.from(zstd.decompress(buffer)); },
});
const codecs = {
  none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD,
};

const kafka = new Kafka({
  clientId: opt['client-id'],
  brokers: [opt.bootstrap],
  logLevel: logLevel.WARN,
  retry: { retries: 5 },
});

async function produce(txn = false) {
  const producer = kafka.producer(txn
    ? { allowAutoTopicCreation: false, transactionalId: opt['transactional-id'], idempotent: true, maxInFlightRequests: 1 }
    : { allowAutoTopicCreation: false });
  await producer.connect();
  const messages = spec.records.map((r) => ({
    key: r.key,
    value: r.value,
    partition: spec.partition,
    headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value])),
  }));
  const record = { topic: opt.topic, acks: -1, compression: codecs[opt.codec ?? 'none'], messages };
  let res;
  if (txn) {
    const t = await producer.transaction();
    res = await t.send(record);
    await t.sendOffsets({
      consumerGroupId: opt['txn-group'],
      topics: [{ topic: opt.topic, partitions: [{ partition: spec.partition, offset: String(opt['txn-offset']) }] }],
    });
    await t.commit();
  } else {
    res = await producer.send(record);
  }
  await producer.disconnect();
  return { produced: messages.length, codec: opt.codec, result: res, transactional: txn };
}

async function admin() {
  const a = kafka.admin();
  await a.connect();
  const t = opt['admin-topic'];
  await a.createTopics({ topics: [{ topic: t, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
  const configs = await a.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: t }], includeSynonyms: false });
  const groups = await a.listGroups();
  const described = await a.describeGroups([opt.group]);
  await a.deleteTopics({ topics: [t] });
  await a.disconnect();
  return {
    created: t, configs: configs.resources[0]?.configEntries.length, groups: groups.groups.length,
    groupState: described.groups[0]?.state,
  };
}

async function consume() {
  const expect = Number(opt.expect);
  const consumer = kafka.consumer({
    groupId: opt.group, sessionTimeout: 10000, heartbeatInterval: 500, maxWaitTimeInMs: 500,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [opt.topic], fromBeginning: true });
  const got = [];
  let lastOffset = -1;
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timeout: ${got.length}/${expect} records`)), 60000);
    consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        got.push({
          partition, offset: message.offset, key: message.key?.toString() ?? null,
          value: message.value === null ? null : message.value.toString(),
          headers: Object.entries(message.headers ?? {}).map(([k, v]) => ({ key: k, value: v?.toString() ?? null })),
        });
        lastOffset = Number(message.offset);
        if (got.length >= expect) { clearTimeout(timer); resolve(); }
      },
    }).catch(reject);
  });
  await consumer.commitOffsets([{ topic: opt.topic, partition: spec.partition, offset: String(lastOffset + 1) }]);
  // Stay in the group a little so at least one Heartbeat goes out.
  await new Promise((r) => setTimeout(r, 2500));
  const admin = kafka.admin();
  await admin.connect();
  const committed = await admin.fetchOffsets({ groupId: opt.group, topics: [opt.topic] });
  await admin.disconnect();
  await consumer.disconnect();
  return { consumed: got.length, records: got, committed };
}

const phases = { produce: () => produce(), txn: () => produce(true), admin, consume };
const result = await phases[opt.phase]();
console.log('RESULT ' + JSON.stringify(result));
process.exit(0);
