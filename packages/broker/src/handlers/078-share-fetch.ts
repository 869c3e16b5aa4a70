/**
 * ShareFetch (key 78), v1–2 (KIP-932).
 *
 * Behaviour: the member's share session (share/share-sessions.ts: epoch 0 opens, -1 closes, else the
 * expected epoch) collects the named partitions (less ForgottenTopicsData). Acknowledgements carried
 * in the request are applied first (AcknowledgeErrorCode per partition: INVALID_RECORD_STATE when an
 * offset is not acquired by this member). Then records are acquired for the member across the
 * session's partitions, up to `max_records` (whole batches) and `max_bytes`, starting each time from a
 * rotating partition; with nothing to acquire the request waits up to `max_wait_ms` for an append, a
 * release or a lock expiry. Each partition answers its batches and the acquired offset ranges with
 * their delivery counts; `acquisition_lock_timeout_ms` tells the client how long its locks last.
 * Epoch -1 closes the session: acknowledgements only, then the member's remaining locks are released.
 * The session also ends, releasing the member's records, when the connection that opened it closes.
 * Unknown topic ids → UNKNOWN_TOPIC_ID; a partition out of range → UNKNOWN_TOPIC_OR_PARTITION.
 * v2's `share_acquire_mode`: 0 batch_optimized (whole batches, may pass `max_records` within one),
 * 1 record_limit (KIP-1206: exactly `max_records` at most, a batch split at the limit; the batch's
 * bytes are sent whole, its acquired ranges say which offsets are the member's).
 * v2's `is_renew_ack` (KIP-1222, as Kafka 4.4's KafkaApis): the request only carries
 * acknowledgements (renewals among them); nothing is acquired and there is no wait. Its max_bytes,
 * min_bytes, max_records and max_wait_ms must then be 0, else INVALID_REQUEST.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { shareIds, shareTopLevelError } from "../share/share-request.js";
import type { Topic } from "../topic-registry.js";
import { partitionKey } from "../share/share-sessions.js";
import type { AcquiredRange } from "../share/share-partition.js";

interface PartOut {
  partitionIndex: number;
  errorCode: number;
  errorMessage: string | null;
  acknowledgeErrorCode: number;
  acknowledgeErrorMessage: string | null;
  records: Buffer[];
  acquiredRecords: AcquiredRange[];
}

const DEFAULT_MAX_RECORDS = 500;
/** ShareFetch v2 ShareAcquireMode values (Kafka's ShareAcquireMode ids). */
const RECORD_LIMIT = 1;
// Records is not nullable from v1: a partition without data answers an empty records field.
const EMPTY = Buffer.alloc(0);

export default defineHandler({
  apiKey: ApiKey.ShareFetch,
  minVersion: 1,
  maxVersion: 2,
  async handle(ctx, req) {
    const sh = ctx.shares;
    const ids = shareIds(req);
    if ("errorCode" in ids) return ids;
    const { groupId, memberId } = ids;
    const top = shareTopLevelError;
    if (req.isRenewAck) {
      const nonZero = (["maxBytes", "minBytes", "maxRecords", "maxWaitMs"] as const).filter((f) => req[f] !== 0);
      if (nonZero.length) return top(ErrorCode.INVALID_REQUEST, `a renew-only share fetch must have ${nonZero.join(", ")} set to 0`);
    }
    const t = sh.sessions.touch(groupId, memberId, req.shareSessionEpoch, true, ctx.connectionId);
    if (t.error) return top(ErrorCode[t.error], `share session of ${memberId} in ${groupId}: ${t.error === "SHARE_SESSION_NOT_FOUND" ? "none open" : `epoch ${req.shareSessionEpoch} is not the expected ${sh.sessions.get(groupId, memberId)?.epoch ?? 0}`}`);
    const session = t.session!;
    if (t.replaced) await sh.release(t.replaced);
    if (req.shareSessionEpoch === 0) sh.bindToConnection(session, ctx.closed);
    const closing = req.shareSessionEpoch === -1;
    const out = new Map<string, { topicId: string; parts: Map<number, PartOut> }>();
    const part = (topicId: string, p: number): PartOut => {
      let tOut = out.get(topicId);
      if (!tOut) out.set(topicId, (tOut = { topicId, parts: new Map() }));
      let po = tOut.parts.get(p);
      if (!po) tOut.parts.set(p, (po = { partitionIndex: p, errorCode: 0, errorMessage: null, acknowledgeErrorCode: 0, acknowledgeErrorMessage: null, records: [], acquiredRecords: [] }));
      return po;
    };
    const lockMs = sh.partitions.lockDurationMs(groupId);
    // Session membership and acknowledgements.
    for (const ft of req.topics) {
      const topic = ctx.topics.topicById(ft.topicId);
      for (const fp of ft.partitions) {
        if (!topic) {
          Object.assign(part(ft.topicId, fp.partitionIndex), { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, acknowledgeErrorCode: fp.acknowledgementBatches.length ? ErrorCode.UNKNOWN_TOPIC_ID : 0 });
          continue;
        }
        if (fp.partitionIndex < 0 || fp.partitionIndex >= topic.partitions.length) {
          Object.assign(part(ft.topicId, fp.partitionIndex), { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
          continue;
        }
        if (!closing) session.partitions.add(partitionKey(ft.topicId, fp.partitionIndex));
        if (fp.acknowledgementBatches.length > 0) {
          const err = await sh.partitions.acknowledge(groupId, memberId, topic, fp.partitionIndex, fp.acknowledgementBatches);
          if (err) Object.assign(part(ft.topicId, fp.partitionIndex), { acknowledgeErrorCode: ErrorCode.INVALID_RECORD_STATE, acknowledgeErrorMessage: err });
          else part(ft.topicId, fp.partitionIndex);
        }
      }
    }
    for (const f of req.forgottenTopicsData) for (const p of f.partitions) session.partitions.delete(partitionKey(f.topicId, p));
    if (closing) {
      await sh.release(session);
    } else if (!req.isRenewAck) {
      // Acquisition across the session's partitions, waiting up to max_wait_ms for something to take.
      const targets = sh.sessionPartitions(session);
      const maxRecords = req.maxRecords > 0 ? req.maxRecords : DEFAULT_MAX_RECORDS;
      const recordLimit = req.shareAcquireMode === RECORD_LIMIT;
      let remainingBytes = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
      const deadline = ctx.clock.now() + Math.max(0, req.maxWaitMs);
      let got = 0;
      let start = session.epoch % Math.max(1, targets.length);
      for (;;) {
        for (let i = 0; i < targets.length && got < maxRecords && remainingBytes > 0; i++) {
          const { topic, partition } = targets[(start + i) % targets.length]!;
          const a = await sh.partitions.acquire(groupId, memberId, topic, partition, maxRecords - got, remainingBytes, recordLimit);
          if (a.count === 0) continue;
          const po = part(topic.id, partition);
          po.records.push(...a.records);
          po.acquiredRecords.push(...a.acquired);
          got += a.count;
          for (const r of a.records) remainingBytes -= r.length;
        }
        start++;
        const left = deadline - ctx.clock.now();
        if (got > 0 || left <= 0 || ctx.closed.aborted || targets.length === 0) break;
        await ctx.delayedFetches.waitForAppend(left, ctx.closed, targets.map((x: { topic: Topic; partition: number }) => ({ topic: x.topic.name, partition: x.partition })));
      }
    }
    const responses = [...out.values()].map((t2) => ({
      topicId: t2.topicId,
      partitions: [...t2.parts.values()].map((p) => ({
        ...p, currentLeader: { leaderId: ctx.node.nodeId, leaderEpoch: 0 }, records: p.records.length ? p.records : EMPTY,
        acquiredRecords: p.acquiredRecords.map((a) => ({ firstOffset: BigInt(a.firstOffset), lastOffset: BigInt(a.lastOffset), deliveryCount: a.deliveryCount })),
      })),
    }));
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, acquisitionLockTimeoutMs: lockMs, responses, nodeEndpoints: [] };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, responses: [], nodeEndpoints: [] };
  },
});
