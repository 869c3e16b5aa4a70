/**
 * Internal faults of the storage engine, as error classes with stable string codes. Kafka-level
 * outcomes of an append or read that the client caused (sequence gaps, fenced epochs, out-of-range
 * offsets) are not thrown: they are returned as data with Kafka's error names (see partition-log.ts).
 */
import { OdradekError } from "@odradek/codec";
import { errorCode } from "./fs/file-system.js";

/**
 * The disk failed under a write or fsync (ENOSPC, EIO, ...). Nothing acknowledged before is lost: a
 * failed append is rolled back. Brokers answer KAFKA_STORAGE_ERROR (56).
 */
export class KafkaStorageError extends OdradekError {
  override readonly cause: unknown;
  /** The OS error code, e.g. "ENOSPC". */
  readonly osCode: string | undefined;
  constructor(message: string, cause: unknown) {
    const osCode = errorCode(cause);
    super(osCode === "ENOSPC" ? "ERR_STORAGE_FULL" : "ERR_STORAGE_IO", `${message}: ${(cause as Error)?.message ?? String(cause)}`, 56);
    this.cause = cause;
    this.osCode = osCode;
  }
}

/** The log was closed (or deleted) before an operation ran. */
export class LogClosedError extends OdradekError {
  constructor(name: string) {
    super("ERR_LOG_CLOSED", `log ${name} is closed`, 56);
  }
}

/** A file on disk that the loader cannot make sense of and cannot repair. */
export class CorruptLogError extends OdradekError {
  constructor(message: string) {
    super("ERR_CORRUPT_LOG", message, 56);
  }
}
