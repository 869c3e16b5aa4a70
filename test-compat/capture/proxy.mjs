#!/usr/bin/env node
// Capturing TCP proxy for the Kafka wire protocol, which also caps the versions Kafka advertises
// to what odradek's codec implements.
//
//   node proxy.mjs --listen PORT --target HOST:PORT --out DIR [--no-cap]
//
// Both directions are reassembled into Kafka frames (int32 big-endian size prefix, then the frame)
// and forwarded frame by frame. Each frame is written to DIR without its size prefix:
//   DIR/<seq>-c<conn>-k<apiKey>-v<apiVersion>.request.bin
//   DIR/<seq>-c<conn>-k<apiKey>-v<apiVersion>.response.bin   (exactly what the client received)
// plus one JSON line per frame in DIR/index.jsonl. <seq> is global and counts requests in arrival
// order; a response is matched to its request by correlation id within its connection.
//
// Version capping (the default; --no-cap forwards everything untouched). The clients must see the
// broker odradek will be, so that they send only versions our codec (packages/codec/dist, built by
// run.sh) can decode and take only the paths odradek's advertised features allow:
// - An ApiVersions request above our ApiVersions max is not forwarded. The proxy answers it as Kafka
//   answers a too-new ApiVersions: response header v0, a **v0 body** with error 35
//   UNSUPPORTED_VERSION and one entry, ApiVersions with our range. Clients then retry lower.
//   Index entry: `synthetic: true, bodyVersion: 0`.
// - Every ApiVersions response from Kafka is decoded with our codec and re-encoded at the same
//   version with: each API's range intersected with our codec's (an API our codec does not know,
//   or whose ranges do not overlap, is dropped; with the codec at Kafka 4.4's versions only
//   Produce's minimum changes, 0 -> 3); every finalized/supported feature odradek does not
//   advertise removed (see ADVERTISED_FEATURES). Kafka's original bytes are kept beside it as
//   `.kafka-response.bin`; the index entry gets `rewritten: true`.
// A synthetic response waits until every earlier request of its connection has been answered, so
// the client sees responses in request order. (A Produce with acks=0 gets no response and would
// hold it back forever; the capture programs use acks=all.)
//
// Request header (v1/v2): int16 apiKey, int16 apiVersion, int32 correlationId, nullable
// string clientId (int16 length, -1 = null); v2 adds tagged fields after it. Every response
// header starts with int32 correlationId.
//
// Broker address rewriting is not done: Metadata and FindCoordinator responses carry the
// broker's advertised host:port, so the broker must advertise the proxy's address
// (scripts/kafka/start.sh --proxied-listener PROXY_PORT) or clients will bypass the proxy.
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import { API_DEFINITIONS, decodeResponse, encodeResponse } from '../../packages/codec/dist/index.js';

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--no-cap') { out['no-cap'] = true; continue; }
    if (!k.startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument ${k}`);
    out[k.slice(2)] = argv[++i];
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
if (!args.listen || !args.target || !args.out) {
  console.error('usage: proxy.mjs --listen PORT --target HOST:PORT --out DIR [--no-cap]');
  process.exit(2);
}
const cap = !args['no-cap'];
const colon = args.target.lastIndexOf(':');
const targetHost = args.target.slice(0, colon);
const targetPort = Number(args.target.slice(colon + 1));
const outDir = args.out;
fs.mkdirSync(outDir, { recursive: true });
const indexPath = path.join(outDir, 'index.jsonl');

const SIZE_PREFIX = 4; // int32 frame length
const MAX_FRAME = 256 * 1024 * 1024; // anything bigger is not Kafka framing
const API_VERSIONS = 18;
const UNSUPPORTED_VERSION = 35; // Kafka error code
const ours = (apiKey) => API_DEFINITIONS[apiKey]?.request;
const OUR_API_VERSIONS = ours(API_VERSIONS);

// Finalized features: the clients see only those odradek advertises (handlers/018-api-versions.ts
// in packages/broker): metadata.version. Kafka 4.4 also finalizes features that switch clients onto
// paths odradek does not serve: transaction.version 2 (KIP-890 part 2: partitions added by Produce
// v12+, EndTxn v5; without the feature clients use the TV1 flow, AddPartitionsToTxn and
// AddOffsetsToTxn, which Kafka, itself running TV2, still accepts), group.version (KIP-848),
// share.version and streams.version. Version ranges are left as the codec allows: a client that
// picks its transaction flow from the feature (Java) or from the versions is seen doing exactly
// what it will do against odradek.
const ADVERTISED_FEATURES = new Set(['metadata.version']);

/** Rewrites a decoded ApiVersionsResponse body in place; returns a summary of what changed. */
function capApiVersions(body) {
  const changes = [];
  const kept = [];
  for (const a of body.apiKeys) {
    const c = ours(a.apiKey);
    const minVersion = c ? Math.max(a.minVersion, c.minVersion) : a.minVersion;
    const maxVersion = c ? Math.min(a.maxVersion, c.maxVersion) : -1;
    if (!c || minVersion > maxVersion) { changes.push(`-${a.apiKey}`); continue; }
    if (minVersion !== a.minVersion || maxVersion !== a.maxVersion) changes.push(`${a.apiKey}:${a.minVersion}-${a.maxVersion}>${minVersion}-${maxVersion}`);
    kept.push({ ...a, minVersion, maxVersion });
  }
  body.apiKeys = kept;
  const before = (body.finalizedFeatures ?? []).map((f) => f.name);
  body.finalizedFeatures = (body.finalizedFeatures ?? []).filter((f) => ADVERTISED_FEATURES.has(f.name));
  body.supportedFeatures = (body.supportedFeatures ?? []).filter((f) => ADVERTISED_FEATURES.has(f.name));
  for (const n of before) if (!ADVERTISED_FEATURES.has(n)) changes.push(`-feature ${n}`);
  return changes;
}

/** Accumulates chunks and yields whole frames (without the size prefix). */
class FrameReader {
  constructor() { this.chunks = []; this.length = 0; }
  push(chunk) {
    this.chunks.push(chunk);
    this.length += chunk.length;
    const frames = [];
    for (;;) {
      if (this.length < SIZE_PREFIX) break;
      const head = this.peek(SIZE_PREFIX);
      const size = head.readInt32BE(0);
      if (size < 0 || size > MAX_FRAME) throw new Error(`bad frame size ${size}`);
      if (this.length < SIZE_PREFIX + size) break;
      const all = Buffer.concat(this.chunks, this.length);
      frames.push(all.subarray(SIZE_PREFIX, SIZE_PREFIX + size));
      const rest = all.subarray(SIZE_PREFIX + size);
      this.chunks = rest.length ? [rest] : [];
      this.length = rest.length;
    }
    return frames;
  }
  peek(n) {
    return this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks, this.length).subarray(0, n);
  }
}

function sized(frame) {
  const prefix = Buffer.alloc(SIZE_PREFIX);
  prefix.writeInt32BE(frame.length, 0);
  return [prefix, frame];
}

function readRequestHeader(frame) {
  const apiKey = frame.readInt16BE(0);
  const apiVersion = frame.readInt16BE(2);
  const correlationId = frame.readInt32BE(4);
  let clientId = null;
  if (frame.length >= 10) {
    const len = frame.readInt16BE(8);
    if (len >= 0 && 10 + len <= frame.length) clientId = frame.toString('utf8', 10, 10 + len);
  }
  return { apiKey, apiVersion, correlationId, clientId };
}

let seq = 0;
let connCount = 0;
const sockets = new Set();

function record(entry) {
  fs.appendFileSync(indexPath, JSON.stringify(entry) + '\n');
}

const server = net.createServer((client) => {
  const conn = ++connCount;
  const upstream = net.connect({ host: targetHost, port: targetPort });
  sockets.add(client);
  sockets.add(upstream);
  const pending = new Map(); // correlationId -> request entry, for requests forwarded to Kafka
  const held = []; // synthetic responses waiting for the earlier requests' responses
  const fromClient = new FrameReader();
  const fromBroker = new FrameReader();

  const toClient = (frame) => { for (const b of sized(frame)) client.write(b); };
  const flushHeld = () => {
    while (held.length && [...pending.values()].every((p) => p.seq > held[0].seq)) toClient(held.shift().frame);
  };
  const writeResponse = (req, frame, extra) => {
    const file = `${req.base}.response.bin`;
    fs.writeFileSync(path.join(outDir, file), frame);
    record({
      direction: 'response', file, size: frame.length, seq: req.seq, conn,
      apiKey: req.apiKey, apiVersion: req.apiVersion, correlationId: req.correlationId, clientId: req.clientId,
      ...extra, time: new Date().toISOString(),
    });
  };

  client.on('data', (chunk) => {
    let frames;
    try {
      frames = fromClient.push(chunk);
    } catch (err) {
      console.error(`proxy: conn ${conn}: client framing: ${err.message}; closing`);
      closeBoth();
      return;
    }
    for (const frame of frames) {
      const h = readRequestHeader(frame);
      const n = ++seq;
      const base = `${String(n).padStart(6, '0')}-c${conn}-k${h.apiKey}-v${h.apiVersion}`;
      const file = `${base}.request.bin`;
      fs.writeFileSync(path.join(outDir, file), frame);
      const entry = { seq: n, conn, ...h, base, time: new Date().toISOString() };
      record({ direction: 'request', file, size: frame.length, ...entry });
      if (cap && h.apiKey === API_VERSIONS && h.apiVersion > OUR_API_VERSIONS.maxVersion) {
        const body = {
          errorCode: UNSUPPORTED_VERSION,
          apiKeys: [{ apiKey: API_VERSIONS, minVersion: OUR_API_VERSIONS.minVersion, maxVersion: OUR_API_VERSIONS.maxVersion }],
        };
        const res = encodeResponse(API_VERSIONS, 0, h.correlationId, body);
        writeResponse(entry, res, { synthetic: true, bodyVersion: 0 });
        console.error(`proxy: conn ${conn}: ApiVersions v${h.apiVersion} answered with UNSUPPORTED_VERSION (ours ${OUR_API_VERSIONS.minVersion}-${OUR_API_VERSIONS.maxVersion})`);
        held.push({ seq: n, frame: res });
        flushHeld();
        continue;
      }
      pending.set(h.correlationId, entry);
      for (const b of sized(frame)) upstream.write(b);
    }
  });

  upstream.on('data', (chunk) => {
    let frames;
    try {
      frames = fromBroker.push(chunk);
    } catch (err) {
      console.error(`proxy: conn ${conn}: broker framing: ${err.message}; closing`);
      closeBoth();
      return;
    }
    for (let frame of frames) {
      const correlationId = frame.readInt32BE(0);
      const req = pending.get(correlationId);
      if (!req) {
        console.error(`proxy: conn ${conn}: response with unknown correlation id ${correlationId}`);
        toClient(frame);
        continue;
      }
      pending.delete(correlationId);
      let extra = {};
      if (cap && req.apiKey === API_VERSIONS) {
        fs.writeFileSync(path.join(outDir, `${req.base}.kafka-response.bin`), frame);
        const { body } = decodeResponse(API_VERSIONS, req.apiVersion, frame);
        const changes = body.errorCode === 0 ? capApiVersions(body) : [];
        frame = encodeResponse(API_VERSIONS, req.apiVersion, correlationId, body);
        extra = { rewritten: true, changes };
      }
      writeResponse(req, frame, extra);
      toClient(frame);
      flushHeld();
    }
  });

  function closeBoth() {
    client.destroy();
    upstream.destroy();
    sockets.delete(client);
    sockets.delete(upstream);
  }
  client.on('close', closeBoth);
  upstream.on('close', closeBoth);
  client.on('error', closeBoth);
  upstream.on('error', (err) => {
    console.error(`proxy: conn ${conn}: upstream ${args.target}: ${err.message}`);
    closeBoth();
  });
});

server.on('error', (err) => {
  console.error(`proxy: ${err.message}`);
  process.exit(1);
});
server.listen(Number(args.listen), '127.0.0.1', () => {
  console.log(`listening 127.0.0.1:${server.address().port} -> ${args.target}, writing ${outDir}${cap ? ', capping versions to odradek\'s codec' : ''}`);
});

function shutdown() {
  server.close();
  for (const s of sockets) s.destroy();
  setTimeout(() => process.exit(0), 50);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
