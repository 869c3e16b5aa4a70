/**
 * Test helpers: a minimal Kafka client built on the codec (pipelined requests matched by
 * correlation id), record batches built and read with the codec's builder and reader, and raw-socket
 * helpers.
 */
import { connect } from "node:net";
import type { Socket } from "node:net";
import { API_DEFINITIONS, FrameDecoder, MAGIC_OFFSET, buildRecordBatch, compressionOf, decodeResponse, encodeRequest, isControl, isTransactional, readRecords, timestampType } from "@odradek/codec";
import type { ApiTypes } from "@odradek/codec";

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

/**
 * A RecordBatch v2 (base offset 0) from the codec's builder: `attributes` gives its compression,
 * timestamp type and flags; a `magic` other than 2 is written over the built batch (a batch to refuse).
 */
export function buildBatch(records: TestRecord[], o: BatchOptions = {}): Buffer {
  const baseTimestamp = Number(o.baseTimestamp ?? BigInt(Date.now()));
  const attributes = o.attributes ?? 0;
  const batch = buildRecordBatch({
    records: records.map((r, i) => ({ key: r.key ?? null, value: r.value, timestamp: baseTimestamp + (r.timestampDelta ?? 0), offsetDelta: r.offsetDelta ?? i })),
    baseTimestamp,
    compression: compressionOf(attributes),
    timestampType: timestampType(attributes),
    transactional: isTransactional(attributes),
    control: isControl(attributes),
    producerId: Number(o.producerId ?? -1n),
    producerEpoch: o.producerEpoch,
    baseSequence: o.baseSequence,
  });
  if (o.magic !== undefined) batch.writeInt8(o.magic, MAGIC_OFFSET);
  return batch;
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
    // The records of uncompressed and gzip batches (readRecords does not check the CRC).
    const codec = compressionOf(attributes);
    const values = codec === 0 || codec === 1 ? readRecords(records, pos).map((r) => (r.value === null ? "<null>" : r.value.toString())) : [];
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
