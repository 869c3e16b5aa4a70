/**
 * PartitionLog: the small interface the broker sees for one partition's log. The file-based
 * implementation is UnifiedLog; a PostgreSQL backend is to implement the same interface.
 *
 * Offsets, timestamps and producer ids are JS numbers (exact within 2^53, as in the codec).
 * Outcomes a client causes are data (`error` with Kafka's error names); disk faults throw
 * KafkaStorageError (Kafka's KAFKA_STORAGE_ERROR) and leave everything acknowledged intact.
 */
import type { ProducerError } from "./producer-state-manager.js";

export interface AppendOptions {
  /** Written into each batch's partitionLeaderEpoch (default 0). */
  leaderEpoch?: number;
  /** Check idempotent producers' sequences and epochs (default true). */
  producerCheck?: boolean;
  /** Every batch's CRC-32C was checked by the caller (the broker's Produce): not computed again. */
  crcChecked?: boolean;
  /** Clock override for LogAppendTime and segment.ms (tests). */
  nowMs?: number;
}

export type AppendError = ProducerError | "CORRUPT_MESSAGE" | "UNSUPPORTED_FOR_MESSAGE_FORMAT" | "INVALID_RECORD";

export interface AppendResult {
  /** Offsets assigned to the append (of the original append when `duplicateOf` is set); -1 on error. */
  baseOffset: number;
  lastOffset: number;
  /** The LogAppendTime written into the batches, or -1 for CreateTime topics. */
  logAppendTime: number;
  logStartOffset: number;
  /** Set when the (single) batch repeats one of the producer's last 5: nothing was appended. */
  duplicateOf?: { firstOffset: number; lastOffset: number };
  error?: AppendError;
  errorMessage?: string;
}

/** A byte range of a segment file, for a sendfile-like send path; valid until `release()`. */
export interface FileSlice {
  fd: number | null;
  path: string;
  position: number;
  length: number;
}

export interface ReadOptions {
  maxBytes: number;
  /** Return the first batch even when it is larger than maxBytes (Kafka's rule; default true). */
  minOneBatch?: boolean;
  /** READ_COMMITTED reads stop at the last stable offset (seam: equal to the HW for now). */
  isolation?: "READ_UNCOMMITTED" | "READ_COMMITTED";
  /** Return a file slice (with a release function) instead of reading the bytes. */
  asSlice?: boolean;
  /**
   * Read into a buffer of a shared pool: `records` stay valid only until `release()` is called, which
   * gives the buffer back (call it once the bytes are written out). Saves allocating large fetches.
   */
  pooled?: boolean;
}

export interface ReadResult {
  error?: "OFFSET_OUT_OF_RANGE";
  /** Whole batches, starting with the one that holds the requested offset. */
  records: Buffer[];
  slice?: FileSlice;
  /** Must be called once a slice has been sent (no-op for unpooled buffers; see ReadOptions.pooled). */
  release: () => void;
  bytes: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  logEndOffset: number;
}

/** ListOffsets' special timestamps. */
export const ListOffsetsTimestamp = { LATEST: -1, EARLIEST: -2, MAX_TIMESTAMP: -3 } as const;

export interface TimestampAndOffset {
  timestamp: number;
  offset: number;
  leaderEpoch: number;
}

export interface PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly logStartOffset: number;
  readonly logEndOffset: number;
  /** = log end offset on this single-replica broker. */
  readonly highWatermark: number;
  readonly lastStableOffset: number;
  /** Appends whole v2 batches (the buffer is taken over: offsets are patched in place). */
  append(records: Buffer, options?: AppendOptions): Promise<AppendResult>;
  read(offset: number, options: ReadOptions): Promise<ReadResult>;
  /** ListOffsets: a timestamp >= 0 or a ListOffsetsTimestamp; null when no batch qualifies. */
  offsetForTimestamp(timestamp: number): Promise<TimestampAndOffset | null>;
  /** Removes every batch holding an offset >= offset. */
  truncateTo(offset: number): Promise<void>;
  /** DeleteRecords: moves the log start offset up (to at most the HW), deleting whole segments below it. */
  advanceLogStartOffset(offset: number): Promise<{ error?: "OFFSET_OUT_OF_RANGE"; logStartOffset: number }>;
  flush(): Promise<void>;
  close(): Promise<void>;
}
