#!/usr/bin/env node
// Capturing TCP proxy for the Kafka wire protocol (plain Node, no dependencies).
//
//   node proxy.mjs --listen PORT --target HOST:PORT --out DIR
//
// Every client connection is forwarded byte for byte to the target broker. On the side, both
// directions are reassembled into Kafka frames (int32 big-endian size prefix, then the frame) and
// each frame is written to DIR without its size prefix:
//   DIR/<seq>-c<conn>-k<apiKey>-v<apiVersion>.request.bin
//   DIR/<seq>-c<conn>-k<apiKey>-v<apiVersion>.response.bin
// plus one JSON line per frame in DIR/index.jsonl. <seq> is global and counts requests in arrival
// order; a response is matched to its request by correlation id within its connection.
//
// Request header (v1/v2): int16 apiKey, int16 apiVersion, int32 correlationId, nullable
// string clientId (int16 length, -1 = null); v2 adds tagged fields after it. Every response
// header starts with int32 correlationId.
//
// Broker address rewriting is not done: Metadata and FindCoordinator responses carry the
// broker's advertised host:port, so the broker must advertise the proxy's address
// (scripts/kafka/start.sh --advertised 127.0.0.1:PROXY_PORT) or clients will bypass the proxy.
import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i];
    if (!k.startsWith('--') || argv[i + 1] === undefined) throw new Error(`bad argument ${k}`);
    out[k.slice(2)] = argv[i + 1];
  }
  return out;
}

const args = parseArgs(process.argv.slice(2));
if (!args.listen || !args.target || !args.out) {
  console.error('usage: proxy.mjs --listen PORT --target HOST:PORT --out DIR');
  process.exit(2);
}
const colon = args.target.lastIndexOf(':');
const targetHost = args.target.slice(0, colon);
const targetPort = Number(args.target.slice(colon + 1));
const outDir = args.out;
fs.mkdirSync(outDir, { recursive: true });
const indexPath = path.join(outDir, 'index.jsonl');

const SIZE_PREFIX = 4; // int32 frame length
const MAX_FRAME = 256 * 1024 * 1024; // anything bigger is not Kafka framing

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
  const pending = new Map(); // correlationId -> request entry
  const fromClient = new FrameReader();
  const fromBroker = new FrameReader();
  let broken = false;

  client.on('data', (chunk) => {
    upstream.write(chunk);
    if (broken) return;
    try {
      for (const frame of fromClient.push(chunk)) {
        const h = readRequestHeader(frame);
        const n = ++seq;
        const base = `${String(n).padStart(6, '0')}-c${conn}-k${h.apiKey}-v${h.apiVersion}`;
        const file = `${base}.request.bin`;
        fs.writeFileSync(path.join(outDir, file), frame);
        const entry = { seq: n, conn, ...h, base, time: new Date().toISOString() };
        pending.set(h.correlationId, entry);
        record({ direction: 'request', file, size: frame.length, ...entry });
      }
    } catch (err) {
      broken = true;
      console.error(`proxy: conn ${conn}: stop capturing client frames: ${err.message}`);
    }
  });

  upstream.on('data', (chunk) => {
    client.write(chunk);
    if (broken) return;
    try {
      for (const frame of fromBroker.push(chunk)) {
        const correlationId = frame.readInt32BE(0);
        const req = pending.get(correlationId);
        if (!req) {
          console.error(`proxy: conn ${conn}: response with unknown correlation id ${correlationId}`);
          continue;
        }
        pending.delete(correlationId);
        const file = `${req.base}.response.bin`;
        fs.writeFileSync(path.join(outDir, file), frame);
        record({
          direction: 'response', file, size: frame.length, seq: req.seq, conn,
          apiKey: req.apiKey, apiVersion: req.apiVersion, correlationId, clientId: req.clientId,
          time: new Date().toISOString(),
        });
      }
    } catch (err) {
      broken = true;
      console.error(`proxy: conn ${conn}: stop capturing broker frames: ${err.message}`);
    }
  });

  const closeBoth = () => {
    client.destroy();
    upstream.destroy();
    sockets.delete(client);
    sockets.delete(upstream);
  };
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
  console.log(`listening 127.0.0.1:${server.address().port} -> ${args.target}, writing ${outDir}`);
});

function shutdown() {
  server.close();
  for (const s of sockets) s.destroy();
  setTimeout(() => process.exit(0), 50);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
