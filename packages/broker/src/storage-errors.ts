/**
 * The one mapping from storage outcomes to Kafka error codes (Kafka's Errors.forException on the
 * produce and fetch paths). Storage returns a client's faults as data with Kafka's error names
 * (AppendResult.error) and throws its own faults as classes with stable codes (storage's errors.ts):
 * a closed or deleted log → NOT_LEADER_OR_FOLLOWER (the client refreshes metadata and retries), a
 * failed disk → KAFKA_STORAGE_ERROR. Anything else is not a storage outcome (the caller rethrows it).
 */
import { ErrorCode, KAFKA_ERRORS } from "@odradek/codec";
import { KafkaStorageError, LogClosedError } from "@odradek/storage";
import type { KafkaErrorName, LogStore } from "@odradek/storage";

/** The code of an error name storage returned (AppendResult.error). */
export function appendErrorCode(error: KafkaErrorName): number {
  return ErrorCode[error];
}

const NAME_BY_CODE = new Map(KAFKA_ERRORS.map((e) => [e.code, e.name as KafkaErrorName]));

/** The name of a Kafka error code, for what the broker hands to storage (a TransactionVerifier's refusal). */
export function errorName(code: number): KafkaErrorName {
  return NAME_BY_CODE.get(code) ?? "UNKNOWN_SERVER_ERROR";
}

/** A fault storage threw, as a code and message, or null when `e` is not one. */
export function storageFault(e: unknown): { errorCode: number; message: string } | null {
  if (e instanceof LogClosedError) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, message: "the partition was deleted or the broker is stopping" };
  if (e instanceof KafkaStorageError) return { errorCode: ErrorCode.KAFKA_STORAGE_ERROR, message: e.message };
  return null;
}

/**
 * Whether a partition's log is in a log dir taken offline by an I/O failure (KAFKA_STORAGE_ERROR, or
 * an offline replica in Metadata). Take it once per request: while every dir is online (the usual
 * case) the check costs nothing per partition.
 */
export function offlinePartitions(logs: Pick<LogStore, "dirOf" | "offlineDirs">): (topic: string, partition: number) => boolean {
  const offline = logs.offlineDirs();
  if (offline.length === 0) return () => false;
  return (topic, partition) => {
    const dir = logs.dirOf(topic, partition);
    return dir !== undefined && offline.includes(dir);
  };
}
