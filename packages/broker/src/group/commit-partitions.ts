/**
 * OffsetCommit's and TxnOffsetCommit's first step: the partitions of topics that exist go on to the
 * group coordinator; the rest are answered here (UNKNOWN_TOPIC_OR_PARTITION, or UNKNOWN_TOPIC_ID for a
 * topic named by an unknown id). `answered` is keyed by the topic's index in the request, so the
 * coordinator's results can be appended in request order.
 */
import { ErrorCode } from "@odradek/codec";
import type { TopicRegistry } from "../topic-registry.js";

export interface CommitTopic<P extends { partitionIndex: number }> {
  name: string;
  topicId: string;
  partitions: P[];
}

export function splitCommitPartitions<P extends { partitionIndex: number }>(registry: Pick<TopicRegistry, "topic" | "topicById">, topics: readonly CommitTopic<P>[], byId: boolean): {
  answered: Map<number, { partitionIndex: number; errorCode: number }[]>;
  valid: { name: string; at: number; partitions: P[] }[];
} {
  const answered = new Map<number, { partitionIndex: number; errorCode: number }[]>();
  const valid: { name: string; at: number; partitions: P[] }[] = [];
  topics.forEach((t, at) => {
    const topic = byId ? registry.topicById(t.topicId) : registry.topic(t.name);
    const bad: { partitionIndex: number; errorCode: number }[] = [];
    const ok = t.partitions.filter((p) => {
      if (topic && p.partitionIndex >= 0 && p.partitionIndex < topic.partitions.length) return true;
      bad.push({ partitionIndex: p.partitionIndex, errorCode: !topic && byId ? ErrorCode.UNKNOWN_TOPIC_ID : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
      return false;
    });
    answered.set(at, bad);
    if (topic && ok.length > 0) valid.push({ name: topic.name, at, partitions: ok });
  });
  return { answered, valid };
}
