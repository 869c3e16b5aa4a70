/**
 * Kafka frames and headers.
 *
 * Wire format: every request and response is `int32 size` followed by `size` bytes. A request's
 * bytes start with the request header (v0: apiKey int16, apiVersion int16, correlationId int32;
 * v1 adds clientId as a classic nullable string — classic even in flexible versions; v2 adds a
 * tagged-field section); a response's with the response header (v0: correlationId; v1 adds a
 * tagged-field section). Flexible API versions use request header v2 / response header v1, except
 * ControlledShutdown v0 (request header v0) and ApiVersions, whose response header is always v0 so
 * that a client can read it before it knows which versions the broker speaks.
 */
import { DecodeError, FrameTooLargeError } from "./errors.js";
import { Reader } from "./primitives/reader.js";
import { Writer } from "./primitives/writer.js";
import { API_DEFINITIONS } from "./generated/registry.js";
import type { ApiDefinition, MessageCodec } from "./generated/registry.js";
import { readRequestHeader, writeRequestHeader } from "./generated/request-header.js";
import type { RequestHeader, RequestHeaderInput } from "./generated/request-header.js";
import { readResponseHeader, writeResponseHeader } from "./generated/response-header.js";

const API_VERSIONS_KEY = 18;
const CONTROLLED_SHUTDOWN_KEY = 7;

/** Size of the length prefix in front of every frame. */
export const SIZE_PREFIX = 4;

export function apiDefinition(apiKey: number): ApiDefinition | undefined {
  return API_DEFINITIONS[apiKey];
}

function isFlexible(codec: MessageCodec, version: number): boolean {
  return codec.flexibleMin >= 0 && version >= codec.flexibleMin;
}

/** Request header version for an API version (0, 1 or 2). Unknown APIs get v1 (classic). */
export function requestHeaderVersion(apiKey: number, apiVersion: number): number {
  const def = API_DEFINITIONS[apiKey];
  if (!def) return 1;
  if (apiKey === CONTROLLED_SHUTDOWN_KEY && apiVersion === 0) return 0;
  return isFlexible(def.request, apiVersion) ? 2 : 1;
}

/** Response header version for an API version (0 or 1). ApiVersions always answers with v0. */
export function responseHeaderVersion(apiKey: number, apiVersion: number): number {
  const def = API_DEFINITIONS[apiKey];
  if (!def || apiKey === API_VERSIONS_KEY) return 0;
  return isFlexible(def.response, apiVersion) ? 1 : 0;
}

/** Reads apiKey, apiVersion and correlationId without decoding the rest (they lead every header version). */
export function peekRequestHeader(frame: Buffer): { apiKey: number; apiVersion: number; correlationId: number } {
  if (frame.length < 8) throw new DecodeError(`request frame of ${frame.length} bytes is shorter than a header`);
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
}

export interface DecodedRequest<T = unknown> {
  header: RequestHeader;
  body: T;
  /** Offset of the body within the frame. */
  bodyOffset: number;
}

/**
 * Decodes a request frame (without its size prefix). Throws DecodeError for an unknown API key,
 * a version outside the definition's range, or bytes that do not decode as that version.
 */
export function decodeRequest<T = unknown>(frame: Buffer): DecodedRequest<T> {
  const { apiKey, apiVersion } = peekRequestHeader(frame);
  const def = API_DEFINITIONS[apiKey];
  if (!def) throw new DecodeError(`unknown API key ${apiKey}`);
  if (apiVersion < def.request.minVersion || apiVersion > def.request.maxVersion) {
    throw new DecodeError(`${def.name} version ${apiVersion} is outside ${def.request.minVersion}-${def.request.maxVersion}`);
  }
  const r = new Reader(frame);
  const header = readRequestHeader(r, requestHeaderVersion(apiKey, apiVersion));
  const bodyOffset = r.pos;
  const body = def.request.read(r, apiVersion) as T;
  return { header, body, bodyOffset };
}

/** Decodes only the request header (for requests whose body is handled elsewhere). */
export function decodeRequestHeader(frame: Buffer): { header: RequestHeader; bodyOffset: number } {
  const { apiKey, apiVersion } = peekRequestHeader(frame);
  const r = new Reader(frame);
  const header = readRequestHeader(r, requestHeaderVersion(apiKey, apiVersion));
  return { header, bodyOffset: r.pos };
}

/** Encodes a request (header + body) as chunks, without the size prefix. */
export function encodeRequestChunks(header: RequestHeaderInput & { requestApiKey: number; requestApiVersion: number }, body: unknown): { chunks: Buffer[]; length: number } {
  const def = API_DEFINITIONS[header.requestApiKey];
  if (!def) throw new DecodeError(`unknown API key ${header.requestApiKey}`);
  const w = new Writer();
  writeRequestHeader(w, requestHeaderVersion(header.requestApiKey, header.requestApiVersion), header);
  def.request.write(w, header.requestApiVersion, body);
  const length = w.length;
  return { chunks: w.finish(), length };
}

/** Encodes a request (header + body) as one buffer, without the size prefix. */
export function encodeRequest(header: RequestHeaderInput & { requestApiKey: number; requestApiVersion: number }, body: unknown): Buffer {
  const { chunks, length } = encodeRequestChunks(header, body);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
}

/**
 * Encodes a response as a frame ready for the socket: the first chunk starts with the size prefix.
 * The body is written at `apiVersion`; the header version follows Kafka's rules.
 */
export function encodeResponseFrame(apiKey: number, apiVersion: number, correlationId: number, body: unknown): Buffer[] {
  const def = API_DEFINITIONS[apiKey];
  if (!def) throw new DecodeError(`unknown API key ${apiKey}`);
  const w = new Writer();
  w.int32(0); // size, patched below
  writeResponseHeader(w, responseHeaderVersion(apiKey, apiVersion), { correlationId });
  def.response.write(w, apiVersion, body);
  const size = w.length - SIZE_PREFIX;
  const chunks = w.finish();
  chunks[0]!.writeInt32BE(size, 0);
  return chunks;
}

/** Encodes a response as one buffer without the size prefix (for tests and tools). */
export function encodeResponse(apiKey: number, apiVersion: number, correlationId: number, body: unknown): Buffer {
  const chunks = encodeResponseFrame(apiKey, apiVersion, correlationId, body);
  return Buffer.concat(chunks).subarray(SIZE_PREFIX);
}

/** Decodes a response frame (without its size prefix) of a known API and version. */
export function decodeResponse<T = unknown>(apiKey: number, apiVersion: number, frame: Buffer): { correlationId: number; body: T } {
  const def = API_DEFINITIONS[apiKey];
  if (!def) throw new DecodeError(`unknown API key ${apiKey}`);
  const r = new Reader(frame);
  const header = readResponseHeader(r, responseHeaderVersion(apiKey, apiVersion));
  const body = def.response.read(r, apiVersion) as T;
  return { correlationId: header.correlationId, body };
}

/**
 * Accumulates TCP chunks and yields whole frames (without their size prefix). A size prefix that
 * is negative or above `maxFrameSize` throws FrameTooLargeError as soon as the 4 bytes are seen,
 * before anything is allocated for it. A frame that arrives in one chunk is yielded as a view.
 */
export class FrameDecoder {
  private pending: Buffer[] = [];
  private pendingLength = 0;
  /** Size of the frame being assembled, or -1 while its prefix is incomplete. */
  private need = -1;

  constructor(readonly maxFrameSize: number) {}

  /** Bytes buffered towards the next frame. */
  get buffered(): number {
    return this.pendingLength;
  }

  push(chunk: Buffer): Buffer[] {
    const frames: Buffer[] = [];
    // Still short of a frame whose size is known: keep the chunk, copy nothing yet.
    if (this.need >= 0 && this.pendingLength + chunk.length < SIZE_PREFIX + this.need) {
      this.pending.push(chunk);
      this.pendingLength += chunk.length;
      return frames;
    }
    let buf: Buffer;
    if (this.pendingLength === 0) buf = chunk;
    else {
      this.pending.push(chunk);
      buf = Buffer.concat(this.pending, this.pendingLength + chunk.length);
      this.pending = [];
      this.pendingLength = 0;
    }
    let pos = 0;
    for (;;) {
      const left = buf.length - pos;
      if (left < SIZE_PREFIX) break;
      const size = buf.readInt32BE(pos);
      if (size < 0 || size > this.maxFrameSize) throw new FrameTooLargeError(size, this.maxFrameSize);
      if (left < SIZE_PREFIX + size) {
        this.need = size;
        break;
      }
      frames.push(buf.subarray(pos + SIZE_PREFIX, pos + SIZE_PREFIX + size));
      pos += SIZE_PREFIX + size;
      this.need = -1;
    }
    if (pos < buf.length) {
      const rest = buf.subarray(pos);
      this.pending.push(rest);
      this.pendingLength = rest.length;
    }
    return frames;
  }
}
