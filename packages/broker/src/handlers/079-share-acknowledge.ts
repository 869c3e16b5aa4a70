/**
 * ShareAcknowledge (key 79), v1–2 (KIP-932).
 *
 * Behaviour: acknowledgements of records acquired through ShareFetch, in the member's share session
 * (an open session is required: epoch 0 → INVALID_SHARE_SESSION_EPOCH; -1 acknowledges and then closes
 * it, releasing what the member still holds). Types: 1 accept, 2 release (delivered again, up to
 * `group.share.delivery.count.limit`), 3 reject, 0 gap, 4 renew (v2: the lock starts again). Per
 * partition: INVALID_RECORD_STATE when an offset is not acquired by this member; UNKNOWN_TOPIC_ID /
 * UNKNOWN_TOPIC_OR_PARTITION. The state change is durable before the answer.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { shareIds, shareTopLevelError } from "../share/share-request.js";

export default defineHandler({
  apiKey: ApiKey.ShareAcknowledge,
  minVersion: 1,
  maxVersion: 2,
  async handle(ctx, req) {
    const sh = ctx.shares;
    const ids = shareIds(req);
    if ("errorCode" in ids) return ids;
    const { groupId, memberId } = ids;
    const top = shareTopLevelError;
    const t = sh.sessions.touch(groupId, memberId, req.shareSessionEpoch, false);
    if (t.error) return top(ErrorCode[t.error], `share session of ${memberId} in ${groupId}: ${t.error}`);
    const responses = [];
    for (const at of req.topics) {
      const topic = ctx.topics.topicById(at.topicId);
      const partitions = [];
      for (const ap of at.partitions) {
        let errorCode: number = ErrorCode.NONE;
        let errorMessage: string | null = null;
        if (!topic) errorCode = ErrorCode.UNKNOWN_TOPIC_ID;
        else if (ap.partitionIndex < 0 || ap.partitionIndex >= topic.partitions.length) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else {
          const err = await sh.partitions.acknowledge(groupId, memberId, topic, ap.partitionIndex, ap.acknowledgementBatches);
          if (err) [errorCode, errorMessage] = [ErrorCode.INVALID_RECORD_STATE, err];
        }
        partitions.push({ partitionIndex: ap.partitionIndex, errorCode, errorMessage, currentLeader: { leaderId: ctx.node.nodeId, leaderEpoch: 0 } });
      }
      responses.push({ topicId: at.topicId, partitions });
    }
    if (req.shareSessionEpoch === -1) await sh.release(t.session);
    return { throttleTimeMs: 0, errorCode: 0, errorMessage: null, acquisitionLockTimeoutMs: sh.partitions.lockDurationMs(groupId), responses, nodeEndpoints: [] };
  },
  errorResponse(_req, errorCode) {
    return { errorCode, responses: [], nodeEndpoints: [] };
  },
});
