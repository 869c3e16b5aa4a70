#!/usr/bin/env node
// Captures the golden transaction files of packages/storage/test/golden/txn/ from a real Kafka 4.4
// (scripts/kafka/start.sh). kafkajs 2.2.4 from test-compat's cache (`node test-compat/run.mjs
// --clients kafkajs` installs it) writes, on one partition of topic `golden`:
//   producer A (transactional): commit 3 records
//   producer B (idempotent):    3 records
//   producer C (transactional): 1 record, left open
//   producer A:                 2 records, abort   -> an aborted txn whose LSO is C's first offset
//   producer C:                 abort             -> an aborted txn whose LSO is its marker + 1
//   producer A:                 2 records, commit
// then stops Kafka cleanly (SIGTERM: the log is closed and the producer state snapshotted) and copies
// the partition's `.log`, `.txnindex` and `.snapshot` files.
//
//   node scripts/kafka/capture-txn-golden.mjs [--out DIR]
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..', '..');
const outArg = process.argv.indexOf('--out');
const out = outArg > 0 ? path.resolve(process.argv[outArg + 1]) : path.join(root, 'packages', 'storage', 'test', 'golden', 'txn');
const require = createRequire(path.join(root, 'test-compat', '.cache', 'compat', 'kafkajs', 'package.json'));
const { Kafka, logLevel } = require('kafkajs');

const data = fs.mkdtempSync(path.join(os.tmpdir(), 'golden-kafka-'));
const started = execFileSync(path.join(here, 'start.sh'), ['--data-dir', data], { encoding: 'utf8' });
const bootstrap = /^ready (\S+)$/m.exec(started)[1];
console.log(`kafka ready at ${bootstrap}`);
try {
  const kafka = new Kafka({ brokers: [bootstrap], clientId: 'golden', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'golden', numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  const txProducer = async (id) => {
    const p = kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
    await p.connect();
    return p;
  };
  const msgs = (prefix, n) => Array.from({ length: n }, (_, i) => ({ key: `${prefix}-${i}`, value: `${prefix}-${i}`, partition: 0, timestamp: String(1_780_000_000_000 + i) }));
  const a = await txProducer('golden-a');
  const c = await txProducer('golden-c');
  const b = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await b.connect();
  let tx = await a.transaction();
  await tx.send({ topic: 'golden', messages: msgs('a1', 3) });
  await tx.commit();
  await b.send({ topic: 'golden', acks: -1, messages: msgs('b1', 3) });
  const txC = await c.transaction();
  await txC.send({ topic: 'golden', messages: msgs('c1', 1) });
  tx = await a.transaction();
  await tx.send({ topic: 'golden', messages: msgs('a2', 2) });
  await tx.abort();
  await txC.abort();
  tx = await a.transaction();
  await tx.send({ topic: 'golden', messages: msgs('a3', 2) });
  await tx.commit();
  for (const p of [a, b, c]) await p.disconnect();
} finally {
  execFileSync(path.join(here, 'stop.sh'), ['--data-dir', data], { stdio: 'inherit' });
}
const part = path.join(data, 'kafka-logs', 'golden-0');
fs.mkdirSync(out, { recursive: true });
for (const f of fs.readdirSync(part).filter((f) => /\.(log|txnindex|snapshot)$/.test(f))) {
  fs.copyFileSync(path.join(part, f), path.join(out, f));
  console.log(`${f}  ${fs.statSync(path.join(part, f)).size} bytes`);
}
fs.rmSync(data, { recursive: true, force: true });
