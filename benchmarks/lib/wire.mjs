// A minimal Kafka wire client for the timings that a full client would blur: cold start to the first
// acknowledged produce, restart time, Metadata latency with many partitions, topic creation.
// Hand-written on purpose (it does not use @odradek/codec), so the measuring side is the same code for
// both brokers and does not move when the codec does. Only non-flexible versions are spoken:
//   ApiVersions is never sent; Metadata v4, CreateTopics v2, Produce v3 (all allowed by Kafka 4.x,
//   KIP-896) with request header v1 (api key, version, correlation id, client id).
// Every response is read as one size-prefixed frame; requests on a connection are answered in order.
import { connect } from "node:net";

const CLIENT_ID = "odradek-bench";

// ---- CRC-32C (Castagnoli), table-driven: RecordBatch v2 checksums cover attributes..end.
const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();
export function crc32c(buf) {
  let c = 0xffffffff;
  for (let i = 0; i < buf.length; i++) c = CRC_TABLE[(c ^ buf[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// ---- encoding helpers
class Writer {
  constructor() { this.parts = []; }
  i8(v) { const b = Buffer.alloc(1); b.writeInt8(v); this.parts.push(b); return this; }
  i16(v) { const b = Buffer.alloc(2); b.writeInt16BE(v); this.parts.push(b); return this; }
  i32(v) { const b = Buffer.alloc(4); b.writeInt32BE(v); this.parts.push(b); return this; }
  i64(v) { const b = Buffer.alloc(8); b.writeBigInt64BE(BigInt(v)); this.parts.push(b); return this; }
  str(s) {
    if (s === null) return this.i16(-1);
    const b = Buffer.from(s, "utf8");
    return this.i16(b.length).raw(b);
  }
  bytes(b) { return this.i32(b.length).raw(b); }
  raw(b) { this.parts.push(b); return this; }
  array(items, each) { this.i32(items.length); for (const it of items) each(this, it); return this; }
  build() { return Buffer.concat(this.parts); }
}

function zigzagVarint(v) {
  let n = (v << 1) ^ (v >> 31);
  const out = [];
  n >>>= 0;
  while (n > 0x7f) { out.push((n & 0x7f) | 0x80); n >>>= 7; }
  out.push(n);
  return Buffer.from(out);
}

/** One uncompressed RecordBatch v2 of `count` records of `size` bytes (null keys). */
export function recordBatchOf(count, size, timestamp = Date.now()) {
  const value = Buffer.alloc(size, 0x63);
  const records = [];
  for (let i = 0; i < count; i++) {
    const body = Buffer.concat([Buffer.from([0]), zigzagVarint(0), zigzagVarint(i), zigzagVarint(-1), zigzagVarint(value.length), value, zigzagVarint(0)]);
    records.push(zigzagVarint(body.length), body);
  }
  const tail = new Writer().i16(0).i32(count - 1).i64(timestamp).i64(timestamp).i64(-1).i16(-1).i32(-1).i32(count).raw(Buffer.concat(records)).build();
  const head = Buffer.alloc(21);
  head.writeBigInt64BE(0n, 0);
  head.writeInt32BE(4 + 1 + 4 + tail.length, 8);
  head.writeInt32BE(-1, 12);
  head.writeInt8(2, 16);
  head.writeUInt32BE(crc32c(tail), 17);
  return Buffer.concat([head, tail]);
}

/** One uncompressed RecordBatch v2 holding one record with a null key. */
export function recordBatch(value, timestamp = Date.now()) {
  const body = Buffer.concat([
    Buffer.from([0]), // record attributes
    zigzagVarint(0), // timestamp delta
    zigzagVarint(0), // offset delta
    zigzagVarint(-1), // key length: null
    zigzagVarint(value.length),
    value,
    zigzagVarint(0), // headers
  ]);
  const record = Buffer.concat([zigzagVarint(body.length), body]);
  // attributes..end: attributes i16, lastOffsetDelta i32, base/max timestamp i64, producer id i64,
  // producer epoch i16, base sequence i32, record count i32, records
  const tail = new Writer().i16(0).i32(0).i64(timestamp).i64(timestamp).i64(-1).i16(-1).i32(-1).i32(1).raw(record).build();
  const head = Buffer.alloc(8 + 4 + 4 + 1 + 4);
  head.writeBigInt64BE(0n, 0); // base offset (the broker assigns)
  head.writeInt32BE(4 + 1 + 4 + tail.length, 8); // batch length: from partition leader epoch on
  head.writeInt32BE(-1, 12); // partition leader epoch
  head.writeInt8(2, 16); // magic
  head.writeUInt32BE(crc32c(tail), 17);
  return Buffer.concat([head, tail]);
}

// ---- decoding helpers
class Reader {
  constructor(buf) { this.b = buf; this.o = 0; }
  i8() { return this.b.readInt8(this.o++); }
  i16() { const v = this.b.readInt16BE(this.o); this.o += 2; return v; }
  i32() { const v = this.b.readInt32BE(this.o); this.o += 4; return v; }
  i64() { const v = this.b.readBigInt64BE(this.o); this.o += 8; return v; }
  str() { const n = this.i16(); if (n < 0) return null; const s = this.b.toString("utf8", this.o, this.o + n); this.o += n; return s; }
  array(each) { const n = this.i32(); const out = []; for (let i = 0; i < n; i++) out.push(each(this)); return out; }
}

export class Connection {
  /** Connects once; rejects with the socket error (ECONNREFUSED while a broker is still starting). */
  static open(host, port, timeoutMs = 5000) {
    return new Promise((resolve, reject) => {
      const sock = connect({ host, port, noDelay: true });
      const timer = setTimeout(() => { sock.destroy(); reject(new Error(`connect timeout ${host}:${port}`)); }, timeoutMs);
      sock.once("connect", () => { clearTimeout(timer); sock.removeAllListeners("error"); resolve(new Connection(sock)); });
      sock.once("error", (e) => { clearTimeout(timer); reject(e); });
    });
  }

  constructor(sock) {
    this.sock = sock;
    this.correlation = 0;
    this.pending = []; // FIFO of {resolve, reject}
    this.chunks = [];
    this.buffered = 0;
    this.closed = null;
    sock.on("data", (c) => this.onData(c));
    const fail = (e) => {
      this.closed = e ?? new Error("connection closed");
      for (const p of this.pending.splice(0)) p.reject(this.closed);
    };
    sock.on("error", fail);
    sock.on("close", () => fail(null));
  }

  onData(chunk) {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    while (this.buffered >= 4) {
      let all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
      this.chunks = [all];
      const size = all.readInt32BE(0);
      if (all.length < 4 + size) return;
      const frame = all.subarray(4, 4 + size);
      const rest = all.subarray(4 + size);
      this.chunks = rest.length ? [rest] : [];
      this.buffered = rest.length;
      const p = this.pending.shift();
      if (p) p.resolve(frame);
    }
  }

  /** Sends one request; resolves with the response body (after the correlation id). */
  request(apiKey, version, body) {
    if (this.closed) return Promise.reject(this.closed);
    const id = ++this.correlation;
    const header = new Writer().i16(apiKey).i16(version).i32(id).str(CLIENT_ID).build();
    const size = Buffer.alloc(4);
    size.writeInt32BE(header.length + body.length);
    return new Promise((resolve, reject) => {
      this.pending.push({
        resolve: (frame) => {
          const got = frame.readInt32BE(0);
          if (got !== id) reject(new Error(`correlation id ${got}, expected ${id}`));
          else resolve(frame.subarray(4));
        },
        reject,
      });
      this.sock.write(Buffer.concat([size, header, body]));
    });
  }

  /** Metadata v4. topics: null = all topics. Returns {brokers, topics:[{name,error,partitions:[{index,error,leader}]}]}. */
  async metadata(topics, autoCreate = false) {
    const w = new Writer();
    if (topics === null) w.i32(-1);
    else w.array(topics, (x, t) => x.str(t));
    w.i8(autoCreate ? 1 : 0);
    const r = new Reader(await this.request(3, 4, w.build()));
    r.i32(); // throttle
    const brokers = r.array((x) => ({ nodeId: x.i32(), host: x.str(), port: x.i32(), rack: x.str() }));
    r.str(); // cluster id
    r.i32(); // controller id
    const out = r.array((x) => ({
      error: x.i16(),
      name: x.str(),
      internal: x.i8() !== 0,
      partitions: x.array((y) => {
        const p = { error: y.i16(), index: y.i32(), leader: y.i32() };
        y.array((z) => z.i32());
        y.array((z) => z.i32());
        return p;
      }),
    }));
    return { brokers, topics: out };
  }

  /** Metadata v4 round trip without decoding the answer: the time to the last byte of the response. */
  async metadataRaw(topics) {
    const w = new Writer();
    if (topics === null) w.i32(-1);
    else w.array(topics, (x, t) => x.str(t));
    w.i8(0);
    const body = await this.request(3, 4, w.build());
    return body.length;
  }

  /** CreateTopics v2 for one topic. Resolves with the error code (0, or 36 TOPIC_ALREADY_EXISTS, ...). */
  async createTopic(name, partitions, configs = {}, timeoutMs = 120000) {
    const w = new Writer().array([name], (x, t) => {
      x.str(t).i32(partitions).i16(1).i32(0);
      x.array(Object.entries(configs), (y, [k, v]) => y.str(k).str(String(v)));
    });
    w.i32(timeoutMs).i8(0);
    const r = new Reader(await this.request(19, 2, w.build()));
    r.i32();
    const res = r.array((x) => ({ name: x.str(), error: x.i16(), message: x.str() }));
    return res[0];
  }

  /**
   * Produce v3 with one batch per listed partition. Returns the per-partition error codes.
   * batches: Map<partition, Buffer> (or an array of [partition, batch]).
   */
  async produce(topic, batches, acks = 1, timeoutMs = 30000) {
    const entries = [...batches];
    const w = new Writer().str(null).i16(acks).i32(timeoutMs);
    w.array([topic], (x, t) => {
      x.str(t);
      x.array(entries, (y, [p, b]) => y.i32(p).bytes(b));
    });
    const r = new Reader(await this.request(0, 3, w.build()));
    const errors = [];
    r.array((x) => {
      x.str();
      x.array((y) => { y.i32(); errors.push(y.i16()); y.i64(); y.i64(); });
    });
    return errors;
  }

  close() { this.sock.destroy(); }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Retries connect until it succeeds or deadline (ms since epoch) passes. */
export async function connectRetry(host, port, deadline, stepMs = 5) {
  for (;;) {
    try {
      return await Connection.open(host, port, 2000);
    } catch (e) {
      if (Date.now() > deadline) throw new Error(`broker at ${host}:${port} did not accept connections: ${e.message}`);
      await sleep(stepMs);
    }
  }
}

/**
 * The cold-start probe: connect (retrying), create `topic` (when partitions is given), then send a
 * one-record Produce (acks=1) to `partition` until it is acknowledged without error.
 * Returns the time (performance.now()) of the acknowledgement and the attempts it took.
 */
export async function firstAckedProduce({ host, port, topic, partition = 0, partitions = null, deadline, isAlive = () => true }) {
  let conn = await connectRetry(host, port, deadline);
  let attempts = 0;
  if (partitions !== null) {
    for (;;) {
      try {
        const res = await conn.createTopic(topic, partitions);
        if (res.error === 0 || res.error === 36) break;
      } catch {
        if (!isAlive()) throw new Error("broker exited");
        conn.close();
        conn = await connectRetry(host, port, deadline);
      }
      if (Date.now() > deadline) throw new Error(`could not create ${topic}`);
      await sleep(10);
    }
  }
  const value = Buffer.alloc(1024, 0x61);
  for (;;) {
    attempts++;
    try {
      const [err] = await conn.produce(topic, [[partition, recordBatch(value)]], 1);
      if (err === 0) {
        const t = performance.now();
        conn.close();
        return { t, attempts };
      }
    } catch {
      if (!isAlive()) throw new Error("broker exited");
      conn.close();
      conn = await connectRetry(host, port, deadline);
    }
    if (Date.now() > deadline) { conn.close(); throw new Error(`no acknowledged produce to ${topic}-${partition} before the deadline`); }
    await sleep(5);
  }
}
