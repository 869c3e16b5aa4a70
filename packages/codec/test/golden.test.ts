/**
 * Golden bytes: request frames captured from real clients (kafkajs, librdkafka, the Java client,
 * franz-go) and Apache Kafka 4.4's responses to them, through a proxy that caps the versions Kafka
 * advertises to this codec's (fixtures/README.md says how). Every frame decodes, re-encodes byte for
 * byte, and decodes to the facts in its manifest entry's `expect`: each key of `expect` must be
 * checked by this file (an unchecked key fails the test), and a Produce request must carry its
 * records, which are compared with the records decoded from every batch, for every codec.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  API_DEFINITIONS,
  batchPositions,
  compressionOf,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  peekRequestHeader,
  readRecordsAsync,
  validateBatch,
} from "../src/index.js";
import type {
  AddOffsetsToTxnRequest,
  AddPartitionsToTxnRequest,
  ApiVersionsRequest,
  ApiVersionsResponse,
  ConsumerGroupDescribeRequest,
  ConsumerGroupHeartbeatRequest,
  CreateTopicsRequest,
  CreateTopicsResponse,
  DeleteTopicsRequest,
  DeleteTopicsResponse,
  DescribeClusterResponse,
  DescribeConfigsRequest,
  DescribeConfigsResponse,
  DescribeGroupsRequest,
  DescribeGroupsResponse,
  EndTxnRequest,
  FetchRequest,
  FetchResponse,
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  HeartbeatRequest,
  InitProducerIdRequest,
  JoinGroupRequest,
  LeaveGroupRequest,
  ListGroupsResponse,
  ListOffsetsRequest,
  MetadataRequest,
  MetadataResponse,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  ProduceRequest,
  ProduceResponse,
  RequestHeader,
  SyncGroupRequest,
  TxnOffsetCommitRequest,
} from "../src/index.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "fixtures");

export interface Fixture {
  client: string;
  clientVersion?: string;
  file: string;
  direction: "request" | "response";
  apiKey: number;
  apiName: string;
  apiVersion: number;
  /** Set when the response body is written at another version (the v0 answer to a too-new ApiVersions). */
  bodyVersion?: number;
  correlationId: number;
  clientId?: string | null;
  phase?: string;
  expect?: Record<string, unknown>;
}

interface Manifest {
  kafkaVersion?: string;
  records: SentRecord[];
  fixtures: Fixture[];
}

const manifestPath = join(FIXTURES, "manifest.json");
const loaded: Manifest = existsSync(manifestPath)
  ? (JSON.parse(readFileSync(manifestPath, "utf8")) as Manifest)
  : { records: [], fixtures: [] };
export const manifest: Fixture[] = loaded.fixtures;

export const frameOf = (f: Fixture): Buffer => readFileSync(join(FIXTURES, f.file));

interface SentRecord {
  key: string;
  value: string | null;
  headers: { key: string; value: string | null }[];
}
interface LogRecord extends SentRecord {
  offset: number;
}
interface Broker {
  nodeId: number;
  host: string;
  port: number;
}

const CODEC_NAMES = ["none", "gzip", "snappy", "lz4", "zstd"] as const;
const PRODUCE_REQUIRED = ["topic", "partition", "acks", "compression", "transactionalId", "records"] as const;
const UNSUPPORTED_VERSION = 35;
const API_VERSIONS_KEY = 18;

const str = (b: Buffer | null): string | null => (b === null ? null : b.toString("utf8"));

interface DecodedBatch {
  baseOffset: number;
  compression: string;
  producerId: number;
  transactional: boolean;
  control: boolean;
  records: (SentRecord & { offsetDelta: number })[];
}

/**
 * Every whole batch of a `records` field: its CRC checked (validateBatch), its records decoded and
 * decompressed. A Fetch response may end with a truncated batch (allowPartial), a Produce request not.
 */
async function decodeBatches(records: Buffer | null, allowPartial: boolean): Promise<DecodedBatch[]> {
  const out: DecodedBatch[] = [];
  if (records === null) return out;
  for (const b of batchPositions(records, { allowPartial })) {
    if (b.partial) continue;
    const h = validateBatch(records, b.pos); // throws on a CRC mismatch
    const recs = await readRecordsAsync(records, b.pos);
    out.push({
      baseOffset: h.baseOffset,
      compression: CODEC_NAMES[compressionOf(h.attributes)] ?? `codec${compressionOf(h.attributes)}`,
      producerId: h.producerId,
      transactional: (h.attributes & 0x10) !== 0,
      control: (h.attributes & 0x20) !== 0,
      records: recs.map((r) => ({
        offsetDelta: r.offsetDelta,
        key: str(r.key) as string,
        value: str(r.value),
        headers: r.headers.map((x) => ({ key: x.key, value: str(x.value) })),
      })),
    });
  }
  return out;
}

const sent = (r: SentRecord & { offsetDelta?: number }): SentRecord => ({ key: r.key, value: r.value, headers: r.headers });

/** Compares `expect` keys with facts; `skip` names keys whose fact is not in this version's bytes. */
class Checker {
  readonly checked = new Set<string>();
  constructor(readonly e: Record<string, unknown>) {}
  has(key: string): boolean {
    return key in this.e;
  }
  get<T>(key: string): T {
    return this.e[key] as T;
  }
  eq(key: string, actual: unknown): void {
    if (!this.has(key)) return;
    expect(actual, key).toEqual(this.e[key]);
    this.checked.add(key);
  }
  done(key: string): void {
    this.checked.add(key);
  }
  unchecked(): string[] {
    return Object.keys(this.e).filter((k) => !this.checked.has(k));
  }
}

/** The topic facts of a version that carries a name (topic) or only an id (topicId). */
function checkTopic(c: Checker, t: { name?: string | null; topic?: string; topicId?: string } | undefined): void {
  expect(t, "topic entry").toBeDefined();
  const name = t?.name ?? t?.topic ?? "";
  const id = t?.topicId ?? "AAAAAAAAAAAAAAAAAAAAAA";
  const hasName = name !== "";
  const hasId = id !== "AAAAAAAAAAAAAAAAAAAAAA";
  expect(hasName || hasId, "topic by name or id").toBe(true);
  if (hasName) c.eq("topic", name);
  else c.done("topic");
  if (hasId) c.eq("topicId", id);
  else c.done("topicId");
  // A byte-substring fact of the capture: the name is in the request exactly when the version uses names.
  if (c.has("topicNameInRequest")) {
    expect(c.get<boolean>("topicNameInRequest"), "topicNameInRequest").toBe(hasName);
    c.done("topicNameInRequest");
  }
}

const asBroker = (b: { nodeId?: number; brokerId?: number; host: string; port: number }): Broker => ({
  nodeId: b.nodeId ?? b.brokerId ?? -1,
  host: b.host,
  port: b.port,
});

/**
 * The topics of a ConsumerProtocolSubscription (JoinGroup metadata) or ConsumerProtocolAssignment
 * (SyncGroup assignment). Both start with int16 version, then an int32-counted array whose entries
 * start with an int16-length topic name; an assignment entry follows it with an int32-counted
 * array of int32 partitions. Never flexible.
 */
function consumerProtocolTopics(buf: Buffer, assignment: boolean): string[] {
  if (buf.length < 6) return [];
  let pos = 2;
  const n = buf.readInt32BE(pos);
  pos += 4;
  const topics: string[] = [];
  for (let i = 0; i < n; i++) {
    const len = buf.readInt16BE(pos);
    topics.push(buf.toString("utf8", pos + 2, pos + 2 + len));
    pos += 2 + len;
    if (assignment) pos += 4 + 4 * buf.readInt32BE(pos);
  }
  return topics;
}
const subscriptionTopics = (b: Buffer): string[] => consumerProtocolTopics(b, false);
const assignmentTopics = (b: Buffer): string[] => consumerProtocolTopics(b, true);

async function checkRequest(f: Fixture, body: unknown, c: Checker): Promise<void> {
  switch (f.apiKey) {
    case 0: {
      const b = body as ProduceRequest;
      expect(b.topicData).toHaveLength(1);
      const t = b.topicData[0]!;
      checkTopic(c, t);
      expect(t.partitionData).toHaveLength(1);
      const p = t.partitionData[0]!;
      c.eq("partition", p.index);
      c.eq("acks", b.acks);
      c.eq("transactionalId", b.transactionalId);
      const batches = await decodeBatches(p.records, false);
      expect(batches.length, "batches").toBeGreaterThan(0);
      for (const batch of batches) {
        c.eq("compression", batch.compression);
        if (c.has("idempotent")) {
          expect(batch.producerId >= 0, "idempotent (producer id >= 0)").toBe(c.get<boolean>("idempotent"));
          c.done("idempotent");
        }
        expect(batch.transactional, "transactional batch").toBe(b.transactionalId !== null);
      }
      c.eq("records", batches.flatMap((x) => x.records.map(sent)));
      break;
    }
    case 1: {
      const b = body as FetchRequest;
      const t = b.topics[0];
      checkTopic(c, t);
      c.eq("partition", t?.partitions[0]?.partition);
      break;
    }
    case 2: {
      const b = body as ListOffsetsRequest;
      checkTopic(c, b.topics[0]);
      c.eq("partition", b.topics[0]?.partitions[0]?.partitionIndex);
      break;
    }
    case 3: {
      const b = body as MetadataRequest;
      if (c.has("topicNameInRequest")) {
        expect(c.get<boolean>("topicNameInRequest"), "topicNameInRequest").toBe((b.topics ?? []).some((t) => t.name !== null && t.name !== ""));
        c.done("topicNameInRequest");
      }
      if (c.has("topics")) {
        for (const name of c.get<string[]>("topics")) expect(b.topics?.map((t) => t.name), "topics").toContain(name);
        c.done("topics");
      }
      break;
    }
    case 8: {
      const b = body as OffsetCommitRequest;
      c.eq("group", b.groupId);
      checkTopic(c, b.topics[0]);
      const p = b.topics[0]?.partitions[0];
      c.eq("partition", p?.partitionIndex);
      c.eq("committedOffset", Number(p?.committedOffset));
      break;
    }
    case 9: {
      const b = body as OffsetFetchRequest;
      const g = f.apiVersion >= 8 ? b.groups[0] : undefined;
      c.eq("group", g ? g.groupId : b.groupId);
      const topics = g ? g.topics : b.topics;
      // A null topic list asks for every committed offset of the group.
      if (topics === null) {
        c.done("topic");
        c.done("topicId");
        c.done("topicNameInRequest");
      } else checkTopic(c, topics?.[0]);
      break;
    }
    case 10: {
      const b = body as FindCoordinatorRequest;
      c.eq("key", f.apiVersion >= 4 ? b.coordinatorKeys[0] : b.key);
      c.eq("keyType", b.keyType);
      break;
    }
    case 11: {
      const b = body as JoinGroupRequest;
      c.eq("group", b.groupId);
      c.eq("protocolType", b.protocolType);
      // Every protocol's metadata is a ConsumerProtocolSubscription naming the subscribed topics.
      const subscribed = b.protocols.map((p) => subscriptionTopics(p.metadata));
      c.eq("topicInSubscription", subscribed.every((ts) => ts.includes(String(c.e["topic"]))));
      c.done("topic");
      break;
    }
    case 12:
      c.eq("group", (body as HeartbeatRequest).groupId);
      break;
    case 13:
      c.eq("group", (body as LeaveGroupRequest).groupId);
      break;
    case 14: {
      const b = body as SyncGroupRequest;
      c.eq("group", b.groupId);
      // Only the leader sends assignments (ConsumerProtocolAssignment: topics and partitions).
      const assigned = b.assignments.flatMap((a) => assignmentTopics(a.assignment));
      c.eq("assignmentMentionsTopic", assigned.includes(String(c.e["topic"])));
      c.done("topic");
      break;
    }
    case 15:
      c.eq("groups", (body as DescribeGroupsRequest).groups);
      break;
    case 18: {
      const b = body as ApiVersionsRequest;
      c.eq("clientSoftwareName", b.clientSoftwareName);
      c.eq("clientSoftwareVersion", b.clientSoftwareVersion);
      break;
    }
    case 19: {
      const t = (body as CreateTopicsRequest).topics[0];
      c.eq("topic", t?.name);
      c.eq("numPartitions", t?.numPartitions);
      c.eq("replicationFactor", t?.replicationFactor);
      break;
    }
    case 20: {
      const b = body as DeleteTopicsRequest;
      const name = f.apiVersion >= 6 ? b.topics[0]?.name : b.topicNames[0];
      c.eq("topic", name);
      c.eq("topicNameInRequest", name !== null && name !== undefined && name !== "");
      break;
    }
    case 22:
      c.eq("transactionalId", (body as InitProducerIdRequest).transactionalId);
      break;
    case 24: {
      const b = body as AddPartitionsToTxnRequest;
      c.eq("transactionalId", b.v3AndBelowTransactionalId);
      c.eq("topic", b.v3AndBelowTopics[0]?.name);
      c.eq("partitions", b.v3AndBelowTopics[0]?.partitions);
      break;
    }
    case 25: {
      const b = body as AddOffsetsToTxnRequest;
      c.eq("transactionalId", b.transactionalId);
      c.eq("group", b.groupId);
      break;
    }
    case 26: {
      const b = body as EndTxnRequest;
      c.eq("transactionalId", b.transactionalId);
      c.eq("committed", b.committed);
      break;
    }
    case 28: {
      const b = body as TxnOffsetCommitRequest;
      c.eq("transactionalId", b.transactionalId);
      c.eq("group", b.groupId);
      checkTopic(c, b.topics[0]);
      const p = b.topics[0]?.partitions[0];
      c.eq("partition", p?.partitionIndex);
      c.eq("committedOffset", Number(p?.committedOffset));
      break;
    }
    case 32: {
      const r = (body as DescribeConfigsRequest).resources[0];
      c.eq("resourceType", r?.resourceType);
      c.eq("resourceName", r?.resourceName);
      break;
    }
    case 68: {
      const b = body as ConsumerGroupHeartbeatRequest;
      c.eq("group", b.groupId);
      // The subscription is sent in full only when it changes (the first heartbeat), null after.
      c.eq("topicInRequest", (b.subscribedTopicNames ?? []).includes(String(c.e["topic"])));
      if (c.has("topic")) {
        if (b.subscribedTopicNames !== null) expect(b.subscribedTopicNames, "subscribedTopicNames").toContain(c.e["topic"]);
        c.done("topic");
      }
      break;
    }
    case 69:
      c.eq("groups", (body as ConsumerGroupDescribeRequest).groupIds);
      break;
    default:
      break;
  }
}

async function checkResponse(f: Fixture, body: unknown, c: Checker): Promise<void> {
  switch (f.apiKey) {
    case 0: {
      const t = (body as ProduceResponse).responses[0];
      checkTopic(c, t);
      const p = t?.partitionResponses[0];
      c.eq("partition", p?.index);
      c.eq("errorCode", p?.errorCode);
      c.eq("baseOffset", Number(p?.baseOffset));
      break;
    }
    case 1: {
      const b = body as FetchResponse;
      const t = b.responses.find((x) => x.topic === c.e["topic"] || x.topicId === c.e["topicId"]);
      checkTopic(c, t);
      const p = t?.partitions[0];
      c.eq("partition", p?.partitionIndex);
      if (c.has("highWatermarkAtMost")) {
        expect(Number(p?.highWatermark)).toBeLessThanOrEqual(c.get<number>("highWatermarkAtMost"));
        c.done("highWatermarkAtMost");
      }
      // The records returned: a contiguous run of the partition log, each batch in its codec.
      const log = c.get<LogRecord[]>("logRecords");
      const expectedBatches = c.get<{ compression: string; baseOffset: number; records: number }[]>("batches");
      const batches = (await decodeBatches(p?.records ?? null, true)).filter((x) => !x.control);
      const got = batches.flatMap((x) => x.records.map((r) => ({ offset: x.baseOffset + r.offsetDelta, ...sent(r) })));
      if (got.length > 0) {
        const first = got[0]!.offset;
        expect(got, "records returned").toEqual(log.slice(first, first + got.length));
      }
      for (const x of batches) {
        const want = expectedBatches.find((w) => w.baseOffset === x.baseOffset);
        expect(want, `batch at ${x.baseOffset}`).toBeDefined();
        expect(x.compression, `codec of the batch at ${x.baseOffset}`).toBe(want?.compression);
        expect(x.records.length).toBe(want?.records);
      }
      for (const k of ["logRecords", "batches", "note"]) c.done(k);
      break;
    }
    case 3: {
      const b = body as MetadataResponse;
      c.eq("brokers", b.brokers.map(asBroker));
      c.eq("controllerOrLeaderNodeId", b.controllerId);
      if (c.has("topic")) {
        const t = b.topics.find((x) => x.name === c.e["topic"]);
        checkTopic(c, t);
        c.eq("partitions", t?.partitions.length);
        c.eq("leader", t?.partitions[0]?.leaderId);
      }
      break;
    }
    case 8: {
      const p = (body as OffsetCommitResponse).topics[0]?.partitions[0];
      c.eq("partition", p?.partitionIndex);
      c.eq("errorCode", p?.errorCode);
      break;
    }
    case 9: {
      const b = body as OffsetFetchResponse;
      const topics = f.apiVersion >= 8 ? b.groups[0]?.topics : b.topics;
      const p = topics?.[0]?.partitions[0];
      c.eq("partition", p?.partitionIndex);
      c.eq("committedOffset", p === undefined ? -1 : Number(p.committedOffset));
      break;
    }
    case 10: {
      const b = body as FindCoordinatorResponse;
      c.eq("coordinator", f.apiVersion >= 4 ? asBroker(b.coordinators[0]!) : asBroker(b));
      break;
    }
    case 15: {
      const g = (body as DescribeGroupsResponse).groups[0];
      c.eq("group", g?.groupId);
      c.eq("groupState", g?.groupState);
      c.eq("protocolType", g?.protocolType);
      break;
    }
    case 16: {
      const ids = (body as ListGroupsResponse).groups.map((g) => g.groupId);
      if (c.has("groupsInclude")) {
        for (const g of c.get<string[]>("groupsInclude")) expect(ids).toContain(g);
        c.done("groupsInclude");
      }
      c.eq("groupInResponse", ids.length > 0);
      break;
    }
    case 18: {
      const b = body as ApiVersionsResponse;
      checkApiVersions(f, b);
      break;
    }
    case 19: {
      const t = (body as CreateTopicsResponse).topics[0];
      c.eq("topic", t?.name);
      c.eq("errorCode", t?.errorCode);
      break;
    }
    case 20: {
      const t = (body as DeleteTopicsResponse).responses[0];
      c.eq("topic", t?.name);
      c.eq("errorCode", t?.errorCode);
      break;
    }
    case 32: {
      const r = (body as DescribeConfigsResponse).results[0];
      c.eq("resourceType", r?.resourceType);
      c.eq("resourceName", r?.resourceName);
      c.eq("errorCode", r?.errorCode);
      break;
    }
    case 60: {
      const b = body as DescribeClusterResponse;
      c.eq("brokers", b.brokers.map(asBroker));
      c.eq("controllerId", b.controllerId);
      break;
    }
    default:
      break;
  }
}

/**
 * What the capturing proxy guarantees for every ApiVersions answer a client received: ranges within
 * this codec's, and only the finalized feature odradek advertises (metadata.version): no
 * transaction.version 2, so the clients' transactions use the TV1 flow (AddPartitionsToTxn).
 */
function checkApiVersions(f: Fixture, b: ApiVersionsResponse): void {
  if (b.errorCode === UNSUPPORTED_VERSION) {
    expect(f.bodyVersion, "the UNSUPPORTED_VERSION answer is a v0 body").toBe(0);
    const def = API_DEFINITIONS[API_VERSIONS_KEY]!.request;
    expect(b.apiKeys).toEqual([{ apiKey: API_VERSIONS_KEY, minVersion: def.minVersion, maxVersion: def.maxVersion }]);
    return;
  }
  expect(b.errorCode).toBe(0);
  for (const a of b.apiKeys) {
    const def = API_DEFINITIONS[a.apiKey];
    expect(def, `API ${a.apiKey} is known to the codec`).toBeDefined();
    expect(a.maxVersion, `API ${a.apiKey} max`).toBeLessThanOrEqual(def!.request.maxVersion);
    // Produce is advertised from v0 though only v3+ is served (KAFKA-18659: librdkafka reads a
    // Produce minimum above 0 as "no Produce"); every other API from its codec minimum or above.
    const min = a.apiKey === 0 ? 0 : def!.request.minVersion;
    expect(a.minVersion, `API ${a.apiKey} min`).toBeGreaterThanOrEqual(min);
  }
  const tv = b.finalizedFeatures.find((x) => x.name === "transaction.version");
  expect(tv?.maxVersionLevel ?? 0, "transaction.version").toBeLessThan(2);
  expect(b.finalizedFeatures.map((x) => x.name), "finalized features").toEqual(f.apiVersion >= 3 ? ["metadata.version"] : []);
}

/**
 * The first version of each API whose requests carry a topic id instead of a topic name (KIP-516;
 * protocol/messages: Produce and Fetch Name 0-12 / TopicId 13+, OffsetCommit and OffsetFetch
 * Name ..9 / TopicId 10+).
 */
const TOPIC_ID_ONLY_FROM: Readonly<Record<number, number>> = { 0: 13, 1: 13, 8: 10, 9: 10 };

describe("golden frames from real clients and Apache Kafka", () => {
  it("has fixtures from at least three clients", () => {
    expect(new Set(manifest.map((f) => f.client)).size).toBeGreaterThanOrEqual(3);
  });

  it("has topic-id versions of Produce, Fetch, OffsetCommit and OffsetFetch whose expect states the id and no name in the bytes", () => {
    const byId = (f: Fixture): boolean => TOPIC_ID_ONLY_FROM[f.apiKey] !== undefined && f.apiVersion >= TOPIC_ID_ONLY_FROM[f.apiKey]!;
    const requests = manifest.filter((f) => f.direction === "request" && TOPIC_ID_ONLY_FROM[f.apiKey] !== undefined);
    for (const key of Object.keys(TOPIC_ID_ONLY_FROM).map(Number)) {
      expect(requests.some((f) => f.apiKey === key && byId(f)), `API ${key} at a topic-id version`).toBe(true);
    }
    // The name-in-bytes fact comes from the capture (select.mjs); the per-fixture test then requires
    // the decoded topic to carry no name exactly when it is false, and compares the decoded id.
    for (const f of requests) {
      if (f.expect?.["topicNameInRequest"] === undefined) continue; // OffsetFetch of every topic
      expect(f.expect["topicNameInRequest"], f.file).toBe(!byId(f));
      if (byId(f)) expect(f.expect["topicId"], f.file).toMatch(/^[A-Za-z0-9_-]{22}$/);
    }
  });

  it("has the Java client (the codec's Kafka version) at the codec's newest Produce, Fetch, Metadata and ApiVersions", () => {
    const java = manifest.filter((f) => f.client === "java" && f.direction === "request");
    expect(java.length).toBeGreaterThan(0);
    expect(new Set(java.map((f) => f.clientVersion))).toEqual(new Set([loaded.kafkaVersion]));
    for (const key of [0, 1, 3, API_VERSIONS_KEY]) {
      const max = API_DEFINITIONS[key]!.request.maxVersion;
      expect(java.filter((f) => f.apiKey === key).map((f) => f.apiVersion), `API ${key}`).toContain(max);
    }
  });

  it("has a Produce request with records for every client and codec", () => {
    for (const client of new Set(manifest.map((f) => f.client))) {
      const codecs = manifest
        .filter((f) => f.client === client && f.apiKey === 0 && f.direction === "request" && f.phase !== "txn")
        .map((f) => f.expect?.["compression"]);
      expect(codecs.sort(), client).toEqual([...CODEC_NAMES].sort());
    }
  });

  for (const f of manifest) {
    it(`${f.client} ${f.apiName} v${f.apiVersion} ${f.direction} (${f.file})`, async () => {
      const frame = frameOf(f);
      const c = new Checker(f.expect ?? {});
      if (f.direction === "request") {
        if (f.apiKey === 0) {
          // Without these a Produce fixture would pass on decode + re-encode alone.
          for (const k of PRODUCE_REQUIRED) expect(f.expect?.[k], `a Produce request fixture must state ${k}`).toBeDefined();
        }
        const def = API_DEFINITIONS[f.apiKey]!.request;
        if (f.apiKey === API_VERSIONS_KEY && f.apiVersion > def.maxVersion) {
          // A too-new ApiVersions: only the header can be read; the broker answers with a v0 error.
          expect(peekRequestHeader(frame)).toEqual({ apiKey: f.apiKey, apiVersion: f.apiVersion, correlationId: f.correlationId });
          expect(() => decodeRequest(frame)).toThrow();
          // Its body cannot be decoded; the software name and version must still be in its bytes.
          for (const k of ["clientSoftwareName", "clientSoftwareVersion"]) {
            if (c.has(k)) expect(frame.includes(Buffer.from(c.get<string>(k))), k).toBe(true);
            c.done(k);
          }
        } else {
          const { header, body } = decodeRequest(frame);
          expect(header.requestApiKey).toBe(f.apiKey);
          expect(header.requestApiVersion).toBe(f.apiVersion);
          expect(header.correlationId).toBe(f.correlationId);
          if (f.clientId !== undefined) expect(header.clientId).toBe(f.clientId);
          const again = encodeRequest(header as RequestHeader, body);
          expect(again.toString("hex")).toBe(frame.toString("hex"));
          await checkRequest(f, body, c);
        }
      } else {
        const version = f.bodyVersion ?? f.apiVersion;
        const { correlationId, body } = decodeResponse(f.apiKey, version, frame);
        expect(correlationId).toBe(f.correlationId);
        const again = encodeResponse(f.apiKey, version, correlationId, body);
        expect(again.toString("hex")).toBe(frame.toString("hex"));
        await checkResponse(f, body, c);
      }
      expect(c.unchecked(), "expect keys this test does not check").toEqual([]);
    });
  }
});
