/**
 * Fetch (key 1), v4–18 (v13+ names topics by id). v18 adds only the request's tagged
 * `high_watermark` (KIP-1166), which a follower sends; consumers leave it at its default and it is
 * ignored here (no followers).
 *
 * Behaviour: for each partition, whole stored batches from the one holding `fetch_offset`, limited
 * by `partition_max_bytes` and what is left of `max_bytes`, except that the first partition with
 * data always gets its first batch even when it is larger (Kafka's rule since KIP-74). A fetch
 * offset below the log start offset or above the log end → OFFSET_OUT_OF_RANGE. High watermark =
 * log end offset (one replica), last stable offset and log start offset from the log; preferred
 * read replica -1; aborted transactions [] for read_committed (null otherwise).
 * Long polling: while fewer than `min_bytes` are available and no partition has an error, waits up
 * to `max_wait_ms`, woken by every append; broker shutdown ends the wait early.
 * Leader epochs: `current_leader_epoch` above ours → UNKNOWN_LEADER_EPOCH, below → FENCED_LEADER_EPOCH,
 * both with `current_leader` (KIP-951; as Kafka, only on those errors, so a v12+ partition with data
 * carries no tagged field).
 * Unknown topic → UNKNOWN_TOPIC_OR_PARTITION (by name) / UNKNOWN_TOPIC_ID (v13+).
 * Fetch sessions (KIP-227, v7+): kept as Kafka does (see fetch-sessions.ts), so the Java client and
 * franz-go fetch incrementally; (0, -1) requests (kafkajs, librdkafka) stay sessionless.
 * Reads use the log's pooled buffers, given back once the response is written (ctx.afterSend).
 * Omitted: follower fetches (replica id >= 0 is treated as a consumer), diverging epoch,
 * rack-aware replica selection, throttling.
 */
import { ApiKey, ErrorCode, ZERO_UUID } from "@odradek/codec";
import type { FetchRequest, FetchResponseFetchableTopicResponseInput, FetchResponsePartitionDataInput } from "@odradek/codec";
import type { ReadResult } from "@odradek/storage";
import { defineHandler } from "../registry.js";
import type { RequestContext } from "../registry.js";
import { FetchSessionCache, FINAL_EPOCH, INITIAL_EPOCH, partitionKey } from "../fetch-sessions.js";
import type { FetchSession, SessionPartition } from "../fetch-sessions.js";
import { storageFault } from "../storage-errors.js";

const READ_COMMITTED = 1;

export function checkLeaderEpoch(requested: number, current: number): number {
  if (requested < 0 || requested === current) return ErrorCode.NONE;
  return requested > current ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
}

/** Shared by every response (the encoder only reads them). */
const EMPTY_RECORDS: Buffer[] = [];
const EMPTY_ABORTED: [] = [];

function emptyPartition(partitionIndex: number, errorCode: number): Read["data"] {
  return { partitionIndex, errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n, abortedTransactions: null, preferredReadReplica: -1, records: EMPTY_RECORDS };
}

/** One partition to read: from the request, or from the fetch session. */
interface Target {
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  session?: SessionPartition;
}

interface Read {
  target: Target;
  data: FetchResponsePartitionDataInput & { errorCode: number; highWatermark: bigint; logStartOffset: bigint };
  bytes: number;
}

/**
 * One pass over the partitions. Pooled read buffers are handed to `keep` (released after the response
 * is sent); a pass that is not sent must release them itself (`release`).
 */
async function readOnce(ctx: Pick<RequestContext, "topics" | "node">, targets: readonly Target[], req: FetchRequest, byId: boolean): Promise<{ reads: Read[]; bytes: number; errors: boolean; release: () => void }> {
  let remaining = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
  let bytes = 0;
  let errors = false;
  const releases: (() => void)[] = [];
  const isolation = req.isolationLevel === READ_COMMITTED ? "READ_COMMITTED" : "READ_UNCOMMITTED";
  const abortedTransactions = req.isolationLevel === READ_COMMITTED ? EMPTY_ABORTED : null;
  const reads: Read[] = [];
  for (const t of targets) {
    const topic = byId ? ctx.topics.topicById(t.topicId) : ctx.topics.topic(t.topic);
    const p = topic?.partitions[t.partition];
    if (!p) {
      errors = true;
      const code = !topic && byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      reads.push({ target: t, data: emptyPartition(t.partition, code), bytes: 0 });
      continue;
    }
    const epochError = checkLeaderEpoch(t.currentLeaderEpoch, p.leaderEpoch);
    if (epochError !== ErrorCode.NONE) {
      errors = true;
      const log = p.log;
      // KIP-951: the current leader goes with leadership errors only, as Kafka sends it.
      reads.push({ target: t, data: { ...emptyPartition(t.partition, epochError), highWatermark: BigInt(log.highWatermark), lastStableOffset: BigInt(log.lastStableOffset), logStartOffset: BigInt(log.logStartOffset), currentLeader: { leaderId: ctx.node.nodeId, leaderEpoch: p.leaderEpoch } }, bytes: 0 });
      continue;
    }
    const limit = Math.max(0, Math.min(t.partitionMaxBytes, remaining));
    let r: ReadResult;
    try {
      r = await p.log.read(Number(t.fetchOffset), { maxBytes: limit, minOneBatch: bytes === 0, isolation, pooled: true });
    } catch (e) {
      const code = storageFault(e)?.errorCode;
      if (code === undefined) throw e;
      errors = true;
      reads.push({ target: t, data: emptyPartition(t.partition, code), bytes: 0 });
      continue;
    }
    const errorCode = r.error ? ErrorCode.OFFSET_OUT_OF_RANGE : ErrorCode.NONE;
    if (r.error) {
      r.release();
      errors = true;
    } else {
      releases.push(r.release);
      bytes += r.bytes;
      remaining -= r.bytes;
    }
    reads.push({
      target: t,
      data: {
        partitionIndex: t.partition,
        errorCode,
        highWatermark: BigInt(r.highWatermark),
        lastStableOffset: BigInt(r.lastStableOffset),
        logStartOffset: BigInt(r.logStartOffset),
        // READ_COMMITTED: the aborted transactions overlapping what is returned, in offset order (the log's list).
        abortedTransactions: abortedTransactions === null || !r.abortedTransactions?.length ? abortedTransactions : r.abortedTransactions.map((a) => ({ producerId: BigInt(a.producerId), firstOffset: BigInt(a.firstOffset) })),
        preferredReadReplica: -1,
        records: r.error ? EMPTY_RECORDS : r.records,
      },
      bytes: r.error ? 0 : r.bytes,
    });
  }
  return { reads, bytes, errors, release: () => releases.forEach((f) => f()) };
}

/** Groups partition answers by topic, keeping the order in which topics first appear. */
function groupByTopic(reads: readonly Read[], byId: boolean): FetchResponseFetchableTopicResponseInput[] {
  const out: FetchResponseFetchableTopicResponseInput[] = [];
  const index = new Map<string, FetchResponsePartitionDataInput[]>();
  for (const r of reads) {
    const key = byId ? r.target.topicId : r.target.topic;
    let list = index.get(key);
    if (!list) {
      list = [];
      index.set(key, list);
      out.push({ topic: r.target.topic, topicId: r.target.topicId, partitions: list });
    }
    list.push(r.data);
  }
  return out;
}

/** Partitions named by the request, with names resolved from ids for v13+. */
function requestTargets(ctx: Pick<RequestContext, "topics">, req: FetchRequest, byId: boolean): Target[] {
  const out: Target[] = [];
  for (const rt of req.topics) {
    const topic = byId ? ctx.topics.topicById(rt.topicId)?.name ?? "" : rt.topic;
    const topicId = byId ? rt.topicId : ctx.topics.topic(rt.topic)?.id ?? ZERO_UUID;
    for (const rp of rt.partitions) {
      out.push({ topic, topicId, partition: rp.partition, fetchOffset: rp.fetchOffset, partitionMaxBytes: rp.partitionMaxBytes, currentLeaderEpoch: rp.currentLeaderEpoch });
    }
  }
  return out;
}

function addToSession(s: FetchSession, targets: readonly Target[]): void {
  for (const t of targets) {
    const key = partitionKey(s.byTopicId, t.topic, t.topicId, t.partition);
    const existing = s.partitions.get(key);
    if (existing) {
      existing.fetchOffset = t.fetchOffset;
      existing.partitionMaxBytes = t.partitionMaxBytes;
      existing.currentLeaderEpoch = t.currentLeaderEpoch;
    } else {
      s.partitions.set(key, { ...t, lastHighWatermark: -2n, lastLogStartOffset: -2n });
    }
  }
}

function sessionTargets(s: FetchSession): Target[] {
  return [...s.partitions.values()].map((sp) => ({ ...sp, session: sp }));
}

export default defineHandler({
  apiKey: ApiKey.Fetch,
  minVersion: 4,
  maxVersion: 18,
  async handle(ctx: RequestContext, req) {
    const byId = ctx.apiVersion >= 13;
    let session: FetchSession | null = null;
    let incremental = false;
    let targets: Target[];
    if (ctx.apiVersion >= 7 && !(req.sessionId === 0 && req.sessionEpoch === FINAL_EPOCH)) {
      const cache = ctx.fetchSessions;
      if (req.sessionEpoch === FINAL_EPOCH || req.sessionEpoch === INITIAL_EPOCH) {
        if (req.sessionId !== 0) cache.remove(req.sessionId);
        targets = requestTargets(ctx, req, byId);
        session = req.sessionEpoch === INITIAL_EPOCH && cache.enabled ? (cache.create(byId, targets.length) ?? null) : null;
        if (session) {
          addToSession(session, targets);
          targets = sessionTargets(session);
        }
      } else {
        const s = req.sessionId !== 0 ? cache.get(req.sessionId) : undefined;
        if (!s) return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
        if (s.epoch !== req.sessionEpoch) return { errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, responses: [] };
        if (s.byTopicId !== byId) return { errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR, sessionId: 0, responses: [] };
        for (const f of req.forgottenTopicsData) {
          const name = byId ? ctx.topics.topicById(f.topicId)?.name ?? "" : f.topic;
          for (const p of f.partitions) s.partitions.delete(partitionKey(byId, name, f.topicId, p));
        }
        addToSession(s, requestTargets(ctx, req, byId));
        s.epoch = FetchSessionCache.nextEpoch(s.epoch);
        session = s;
        incremental = true;
        cache.incrementalFetches++;
        targets = sessionTargets(s);
      }
    } else {
      targets = requestTargets(ctx, req, byId);
    }

    const deadline = ctx.clock.now() + Math.max(0, req.maxWaitMs);
    for (;;) {
      const pass = await readOnce(ctx, targets, req, byId);
      const left = deadline - ctx.clock.now();
      if (pass.errors || pass.bytes >= req.minBytes || left <= 0 || targets.length === 0 || ctx.closed.aborted) {
        if (targets.length === 0 && left > 0 && !ctx.closed.aborted) await ctx.delayedFetches.waitForAppend(left, ctx.closed);
        let reads = pass.reads;
        if (incremental) {
          reads = reads.filter((r) => {
            const sp = r.target.session!;
            return r.bytes > 0 || r.data.errorCode !== ErrorCode.NONE || r.data.highWatermark !== sp.lastHighWatermark || r.data.logStartOffset !== sp.lastLogStartOffset;
          });
        }
        for (const r of pass.reads) {
          const sp = r.target.session;
          if (sp) {
            sp.lastHighWatermark = r.data.highWatermark;
            sp.lastLogStartOffset = r.data.logStartOffset;
          }
        }
        ctx.afterSend(pass.release);
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: session?.id ?? 0, responses: groupByTopic(reads, byId) };
      }
      pass.release();
      await ctx.delayedFetches.waitForAppend(left, ctx.closed, targets);
    }
  },
  errorResponse(req, errorCode) {
    return {
      errorCode: ErrorCode.NONE,
      sessionId: 0,
      responses: req.topics.map((t) => ({ topic: t.topic, topicId: t.topicId ?? ZERO_UUID, partitions: t.partitions.map((p) => emptyPartition(p.partition, errorCode)) })),
    };
  },
});
