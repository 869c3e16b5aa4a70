/**
 * PartitionLog: the small interface the broker sees for one partition's log (part of the storage
 * port, port.ts). The file-based implementation is UnifiedLog; a PostgreSQL backend is to implement
 * the same interface.
 *
 * Offsets, timestamps and producer ids are JS numbers (exact within 2^53, as in the codec).
 * Outcomes a client causes are data (`error` with Kafka's error names); disk faults throw
 * KafkaStorageError (Kafka's KAFKA_STORAGE_ERROR) and leave everything acknowledged intact.
 */
import type { ErrorCode } from "@odradek/codec";
import type { ProducerError } from "./producer-state-manager.js";
import type { RecordError, RecordValidationError } from "./record-validator.js";

export type { RecordError };

/**
 * Kafka's AppendOrigin: "client" is a Produce request (v3+): exactly one batch, no control batch,
 * `max.message.bytes`, and the record checks of record-validator.ts; "coordinator" is an internal
 * writer (markers, the coordinators' own logs), checked for shape, CRC and producer state only.
 */
export type AppendOrigin = "client" | "coordinator";

/** Kafka's error names (the codec's generated table). */
export type KafkaErrorName = keyof typeof ErrorCode;

/**
 * Asked once per transactional data batch of a client's append after its checks, before producer
 * state and offsets (Kafka's transaction verification, KIP-890): null admits it, else the append
 * fails with the error given.
 */
export type TransactionVerifier = (batch: { producerId: number; producerEpoch: number }) => Promise<{ error: KafkaErrorName; errorMessage?: string } | null>;

export interface AppendOptions {
  /** Written into each batch's partitionLeaderEpoch (default 0). */
  leaderEpoch?: number;
  /** Check idempotent producers' sequences and epochs (default true). */
  producerCheck?: boolean;
  /** Clock override for LogAppendTime and segment.ms (tests). */
  nowMs?: number;
  /** Default "client". */
  origin?: AppendOrigin;
  /** Transactional data batches of a client's append are admitted only when this says so (see TransactionVerifier). */
  verifyTransaction?: TransactionVerifier;
}

/**
 * What the log itself rejects: ProducerError (sequences, epochs, INVALID_TXN_STATE,
 * TRANSACTION_COORDINATOR_FENCED), the batch checks of log-validator.ts and the record checks of
 * record-validator.ts. A TransactionVerifier may add any other Kafka error.
 */
export type AppendError = ProducerError | RecordValidationError | "UNSUPPORTED_FOR_MESSAGE_FORMAT";

/** What the transaction coordinator writes to end a transaction on a partition (WriteTxnMarkers). */
export interface TxnMarker {
  producerId: number;
  producerEpoch: number;
  coordinatorEpoch: number;
  /** true: COMMIT, false: ABORT. */
  commit: boolean;
}

/** An aborted transaction of a read_committed read (FetchResponse's AbortedTransaction). */
export interface AbortedTransaction {
  producerId: number;
  firstOffset: number;
}

/** One producer of DescribeProducers v0 (Kafka's ProducerStateEntry as the admin API shows it). */
export interface ActiveProducer {
  producerId: number;
  producerEpoch: number;
  /** Of its last data batch, -1 when none is known. */
  lastSequence: number;
  lastTimestamp: number;
  /** -1 when no marker was written for it yet. */
  coordinatorEpoch: number;
  /** First offset of its open transaction, -1 when none. */
  currentTxnStartOffset: number;
}

export interface AppendResult {
  /** Offsets assigned to the append (of the original append when `duplicateOf` is set); -1 on error. */
  baseOffset: number;
  lastOffset: number;
  /** The LogAppendTime written into the batches, or -1 for CreateTime topics. */
  logAppendTime: number;
  logStartOffset: number;
  /** Set when the (single) batch repeats one of the producer's last 5: nothing was appended. */
  duplicateOf?: { firstOffset: number; lastOffset: number };
  error?: AppendError | KafkaErrorName;
  errorMessage?: string;
  /**
   * Set (possibly empty) when the record checks of record-validator.ts failed: Produce v8+'s
   * `recordErrors` (KIP-467), answered with the log start offset as Kafka's RecordValidationException.
   */
  recordErrors?: RecordError[];
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
  /** READ_COMMITTED reads stop at the last stable offset and report the aborted transactions. */
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
  /**
   * READ_COMMITTED only (undefined otherwise): every aborted transaction overlapping [offset, end of
   * the returned batches), in the order of their markers (Kafka's collectAbortedTransactions).
   */
  abortedTransactions?: AbortedTransaction[];
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
  /** min(first offset of the oldest open transaction, high watermark). */
  readonly lastStableOffset: number;
  /** Bytes the log takes in its store (DescribeLogDirs' partition size). */
  readonly sizeInBytes: number;
  /**
   * Appends whole v2 batches (the buffer is taken over: offsets are patched in place). The log is the
   * one place they are validated (Kafka's LogValidator; see AppendOrigin for what each origin gets):
   * a rejection is data (`error`, Kafka's name), nothing of it appended.
   */
  append(records: Buffer, options?: AppendOptions): Promise<AppendResult>;
  /**
   * Writes one COMMIT or ABORT marker (a control batch, origin "coordinator") for the producer,
   * completing its open transaction here, if any. Errors: INVALID_PRODUCER_EPOCH (older epoch than
   * the producer's), TRANSACTION_COORDINATOR_FENCED (older coordinator epoch than its last marker's).
   */
  appendTxnMarker(marker: TxnMarker, options?: Omit<AppendOptions, "origin">): Promise<AppendResult>;
  /** The producers this partition knows (DescribeProducers). */
  producers(): ActiveProducer[];
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
