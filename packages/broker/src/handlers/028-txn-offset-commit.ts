/**
 * TxnOffsetCommit (key 28), v0–6 (v6 names topics by id).
 *
 * Behaviour (Kafka's): offsets committed as part of a transaction. The group's `__consumer_offsets`
 * partition must be in the open transaction (added by AddOffsetsToTxn; under transactions version 2,
 * v5+, it is added here implicitly): otherwise the transaction coordinator's error (INVALID_TXN_STATE,
 * PRODUCER_FENCED — INVALID_PRODUCER_EPOCH before v3 —, INVALID_PRODUCER_ID_MAPPING) on every
 * partition. The group checks are OffsetCommit's (member, instance, generation or member epoch when
 * given, v3+; for a consumer group with KIP-1251's assignment epochs). The offsets are written as the producer's transactional batch and stay invisible
 * (OffsetFetch with require_stable: UNSTABLE_OFFSET_COMMIT) until the commit marker; an abort drops them.
 * Unknown topics/partitions → UNKNOWN_TOPIC_OR_PARTITION (by id: UNKNOWN_TOPIC_ID).
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { splitCommitPartitions } from "../group/commit-partitions.js";
import { GROUP_METADATA_TOPIC } from "../group/group-coordinator.js";
import { topicPartitionKey } from "../txn/txn-records.js";
import { fencedFor, transactionVersion } from "../txn/txn-versions.js";

export default defineHandler({
  apiKey: ApiKey.TxnOffsetCommit,
  minVersion: 0,
  maxVersion: 6,
  async handle(ctx, req) {
    const byId = ctx.apiVersion >= 6;
    const all = (errorCode: number) => ({
      throttleTimeMs: 0,
      topics: req.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    });
    if (req.groupId === "") return all(ErrorCode.INVALID_GROUP_ID);
    await ctx.groups.ensureReady();
    const pid = Number(req.producerId);
    const offsetsPartition = topicPartitionKey(GROUP_METADATA_TOPIC, ctx.groups.partitionFor(req.groupId));
    const tv = transactionVersion(ctx.features, 5, ctx.apiVersion);
    const check = tv >= 2
      ? await ctx.txns.addPartitions(req.transactionalId, pid, req.producerEpoch, [offsetsPartition], tv)
      : ctx.config.bool("transaction.partition.verification.enable")
        ? await ctx.txns.verify(req.transactionalId, pid, req.producerEpoch, offsetsPartition)
        : { errorCode: ErrorCode.NONE };
    if (check.errorCode !== ErrorCode.NONE) {
      ctx.log.debug({ transactionalId: req.transactionalId, errorCode: check.errorCode, why: check.message }, "TxnOffsetCommit refused");
      return all(fencedFor(check.errorCode, ctx.apiVersion, 3));
    }
    const { answered, valid } = splitCommitPartitions(ctx.topics, req.topics, byId);
    const r = (await ctx.groups.run(req.groupId, (s) => s.txnCommitOffsets({
      groupId: req.groupId,
      generationId: req.generationIdOrMemberEpoch,
      memberId: req.memberId,
      groupInstanceId: req.groupInstanceId,
      apiVersion: ctx.apiVersion,
      topics: valid.map((v) => ({ name: v.name, partitions: v.partitions })),
    }, pid, req.producerEpoch)))!;
    r.topics.forEach((t, i) => answered.get(valid[i]!.at)!.push(...t.partitions));
    return { throttleTimeMs: 0, topics: req.topics.map((t, at) => ({ name: t.name, topicId: t.topicId, partitions: answered.get(at)! })) };
  },
  errorResponse(req, errorCode) {
    return { topics: req.topics.map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })) };
  },
});
