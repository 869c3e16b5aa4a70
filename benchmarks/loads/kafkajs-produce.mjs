#!/usr/bin/env node
// kafkajs 2.2.4 producer load: `records` records of `size` bytes (random uppercase letters, null key)
// sent as send() calls of `batch` records each, at most `inFlight` calls outstanding, round-robin over
// the topic's partitions (kafkajs's default partitioner with null keys). Prints one JSON line.
//   node kafkajs-produce.mjs BOOTSTRAP TOPIC RECORDS ACKS SIZE BATCH IN_FLIGHT
// kafkajs comes from benchmarks/.cache/npm (lib/loads.mjs installs it); lz4 needs a codec plugin
// kafkajs does not ship, so this load runs without compression only.
import { createRequire } from "node:module";

const [bootstrap, topic, recordsArg, acksArg, sizeArg = "1024", batchArg = "100", inFlightArg = "8"] = process.argv.slice(2);
const require = createRequire(new URL("../.cache/npm/package.json", import.meta.url));
const { Kafka, logLevel } = require("kafkajs");

const records = Number(recordsArg);
const acks = acksArg === "all" ? -1 : Number(acksArg);
const size = Number(sizeArg);
const batch = Number(batchArg);
const inFlight = Number(inFlightArg);

const value = Buffer.alloc(size);
for (let i = 0; i < size; i++) value[i] = 65 + ((i * 7919) % 26);
const messages = Array.from({ length: batch }, () => ({ value }));

const kafka = new Kafka({ clientId: "odradek-bench-kafkajs", brokers: [bootstrap], logLevel: logLevel.ERROR });
const producer = kafka.producer({ allowAutoTopicCreation: false });
await producer.connect();
// one send first, so the figure excludes connecting and the first Metadata
await producer.send({ topic, acks, messages: messages.slice(0, 1) });

const t0 = performance.now();
let sent = 0;
let outstanding = 0;
await new Promise((resolve, reject) => {
  const pump = () => {
    while (outstanding < inFlight && sent < records) {
      const n = Math.min(batch, records - sent);
      sent += n;
      outstanding++;
      producer
        .send({ topic, acks, messages: n === batch ? messages : messages.slice(0, n) })
        .then(() => {
          outstanding--;
          if (sent >= records && outstanding === 0) resolve();
          else pump();
        }, reject);
    }
  };
  pump();
});
const seconds = (performance.now() - t0) / 1000;
await producer.disconnect();
process.stdout.write(`${JSON.stringify({ records, bytes: records * size, seconds })}\n`);
