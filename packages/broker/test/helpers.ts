/**
 * Test helpers: a minimal Kafka client built on the codec (pipelined requests matched by
 * correlation id), a RecordBatch v2 builder for uncompressed batches, and raw-socket helpers.
 */
import { connect } from "node:net";
import type { Socket } from "node:net";
import { API_DEFINITIONS, FrameDecoder, decodeResponse, encodeRequest } from "@odradek/codec";
import type { ApiTypes } from "@odradek/codec";
import { gunzipSync } from "node:zlib";
import { crc32c } from "@odradek/codec";

export class TestClient {
  private decoder = new FrameDecoder(1 << 30);
  private nextCorrelation = 1;
  private pending = new Map<number, { apiKey: number; version: number; resolve: (b: unknown) => void; reject: (e: Error) => void }>();
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        const correlationId = frame.readInt32BE(0);
        const p = this.pending.get(correlationId);
        if (!p) throw new Error(`unexpected correlation id ${correlationId}`);
        this.pending.delete(correlationId);
        try {
          p.resolve(decodeResponse(p.apiKey, p.version, frame).body);
        } catch (err) {
          p.reject(err as Error);
        }
      }
    });
    this.closed = new Promise((resolve) => socket.on("close", () => {
      for (const p of this.pending.values()) p.reject(new Error("connection closed"));
      this.pending.clear();
      resolve();
    }));
    socket.on("error", () => {});
  }

  static connect(port: number, host = "127.0.0.1"): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const s = connect({ port, host }, () => resolve(new TestClient(s)));
      s.once("error", reject);
    });
  }

  /** Sends a request; resolves with the decoded response body. */
  request<K extends keyof ApiTypes>(apiKey: K, version: number, body: ApiTypes[K]["requestInput"]): Promise<ApiTypes[K]["response"]> {
    const correlationId = this.nextCorrelation++;
    const frame = encodeRequest({ requestApiKey: apiKey, requestApiVersion: version, correlationId, clientId: "odradek-test" }, body);
    return new Promise((resolve, reject) => {
      this.pending.set(correlationId, { apiKey, version, resolve: resolve as (b: unknown) => void, reject });
      const size = Buffer.alloc(4);
      size.writeInt32BE(frame.length);
      this.socket.write(Buffer.concat([size, frame]));
    });
  }

  /** Sends a request that gets no response (Produce acks=0). */
  send<K extends keyof ApiTypes>(apiKey: K, version: number, body: ApiTypes[K]["requestInput"]): void {
    const frame = encodeRequest({ requestApiKey: apiKey, requestApiVersion: version, correlationId: this.nextCorrelation++, clientId: "odradek-test" }, body);
    const size = Buffer.alloc(4);
    size.writeInt32BE(frame.length);
    this.socket.write(Buffer.concat([size, frame]));
  }

  close(): Promise<void> {
    this.socket.end();
    return this.closed;
  }
}

export function apiName(key: number): string {
  return API_DEFINITIONS[key]?.name ?? String(key);
}

function varint(n: number): number[] {
  let z = (n << 1) ^ (n >> 31);
  const out: number[] = [];
  z >>>= 0;
  while (z > 0x7f) {
    out.push((z & 0x7f) | 0x80);
    z >>>= 7;
  }
  out.push(z);
  return out;
}

export interface TestRecord {
  key?: Buffer | null;
  value: Buffer | null;
  timestampDelta?: number;
  /** Default: the record's index in the batch. */
  offsetDelta?: number;
}

export interface BatchOptions {
  baseTimestamp?: bigint;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  attributes?: number;
  magic?: number;
}

/** Builds an uncompressed RecordBatch v2 (base offset 0). */
export function buildBatch(records: TestRecord[], o: BatchOptions = {}): Buffer {
  const body: number[] = [];
  records.forEach((r, i) => {
    const rec: number[] = [0, ...varint(r.timestampDelta ?? 0), ...varint(r.offsetDelta ?? i)];
    const key = r.key ?? null;
    if (key === null) rec.push(...varint(-1));
    else rec.push(...varint(key.length), ...key);
    if (r.value === null) rec.push(...varint(-1));
    else rec.push(...varint(r.value.length), ...r.value);
    rec.push(...varint(0)); // headers
    body.push(...varint(rec.length), ...rec);
  });
  const ts = o.baseTimestamp ?? BigInt(Date.now());
  const maxDelta = Math.max(0, ...records.map((r) => r.timestampDelta ?? 0));
  const buf = Buffer.alloc(61 + body.length);
  buf.writeBigInt64BE(0n, 0);
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeInt32BE(-1, 12);
  buf.writeInt8(o.magic ?? 2, 16);
  buf.writeInt16BE(o.attributes ?? 0, 21);
  buf.writeInt32BE(records.length - 1, 23);
  buf.writeBigInt64BE(ts, 27);
  buf.writeBigInt64BE(ts + BigInt(maxDelta), 35);
  buf.writeBigInt64BE(o.producerId ?? -1n, 43);
  buf.writeInt16BE(o.producerEpoch ?? -1, 51);
  buf.writeInt32BE(o.baseSequence ?? -1, 53);
  buf.writeInt32BE(records.length, 57);
  Buffer.from(body).copy(buf, 61);
  buf.writeUInt32BE(crc32c(buf, 21), 17);
  return buf;
}

/** Splits a fetched records blob into batches and returns each batch's base offset, record count and values (uncompressed and gzip batches). */
export function parseBatches(records: Buffer | null): { baseOffset: bigint; count: number; values: string[]; attributes: number; maxTimestamp: bigint }[] {
  const out: { baseOffset: bigint; count: number; values: string[]; attributes: number; maxTimestamp: bigint }[] = [];
  if (!records) return out;
  let pos = 0;
  while (pos + 61 <= records.length) {
    const len = records.readInt32BE(pos + 8);
    if (pos + 12 + len > records.length) break;
    const attributes = records.readInt16BE(pos + 21);
    const count = records.readInt32BE(pos + 57);
    const values: string[] = [];
    const codec = attributes & 7;
    if (codec === 0 || codec === 1) {
      const data = codec === 0 ? records.subarray(0, pos + 12 + len) : Buffer.concat([Buffer.alloc(pos + 61), gunzipSync(records.subarray(pos + 61, pos + 12 + len))]);
      let p = pos + 61;
      const readVarint = () => {
        let shift = 0;
        let v = 0;
        for (;;) {
          const byte = data[p++]!;
          v |= (byte & 0x7f) << shift;
          if ((byte & 0x80) === 0) break;
          shift += 7;
        }
        return (v >>> 1) ^ -(v & 1);
      };
      for (let i = 0; i < count; i++) {
        const recLen = readVarint();
        const end = p + recLen;
        p += 1; // attributes
        readVarint();
        readVarint();
        const kl = readVarint();
        if (kl > 0) p += kl;
        const vl = readVarint();
        values.push(vl >= 0 ? data.subarray(p, p + vl).toString() : "<null>");
        p = end;
      }
    }
    out.push({ baseOffset: records.readBigInt64BE(pos), count, values, attributes, maxTimestamp: records.readBigInt64BE(pos + 35) });
    pos += 12 + len;
  }
  return out;
}

/** Resolves when the socket is closed by the peer, or rejects after `ms`. */
export function waitClosed(socket: Socket, ms = 5000): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) return resolve();
    const t = setTimeout(() => reject(new Error("socket still open")), ms);
    socket.once("close", () => {
      clearTimeout(t);
      resolve();
    });
  });
}

export function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: "127.0.0.1" }, () => resolve(s));
    s.once("error", reject);
    s.on("error", () => {});
    s.on("data", () => {});
  });
}
