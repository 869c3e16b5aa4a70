/**
 * DescribeTransactions (key 65), v0.
 *
 * Behaviour (Kafka's handleDescribeTransactions): per transactional id its state name, timeout, start
 * time (-1 when none is open), producer id/epoch and the partitions of the open transaction by
 * topic; an id the coordinator does not know (or that expired) → TRANSACTIONAL_ID_NOT_FOUND; an empty
 * id → INVALID_REQUEST.
 */
import { ApiKey, ErrorCode } from "@odradek/codec";
import { defineHandler } from "../registry.js";
import { splitTopicPartition } from "../txn/txn-records.js";

const unknown = (transactionalId: string, errorCode: number) => ({
  errorCode, transactionalId, transactionState: "", transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [],
});

export default defineHandler({
  apiKey: ApiKey.DescribeTransactions,
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, req) {
    const transactionStates = [];
    for (const id of req.transactionalIds) {
      if (id === "") {
        transactionStates.push(unknown(id, ErrorCode.INVALID_REQUEST));
        continue;
      }
      const m = await ctx.txns.describe(id);
      if (!m || m.state.name === "Dead") {
        transactionStates.push(unknown(id, ErrorCode.TRANSACTIONAL_ID_NOT_FOUND));
        continue;
      }
      const byTopic = new Map<string, number[]>();
      for (const tp of m.partitions) {
        const { topic, partition } = splitTopicPartition(tp);
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
      }
      transactionStates.push({
        errorCode: ErrorCode.NONE, transactionalId: id, transactionState: m.state.name, transactionTimeoutMs: m.timeoutMs,
        transactionStartTimeMs: BigInt(m.startMs), producerId: BigInt(m.producerId), producerEpoch: m.producerEpoch,
        topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })),
      });
    }
    return { throttleTimeMs: 0, transactionStates };
  },
  errorResponse(req, errorCode) {
    return { transactionStates: req.transactionalIds.map((id) => unknown(id, errorCode)) };
  },
});
