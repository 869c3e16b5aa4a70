/**
 * The RecordBatch v2 header (magic 2, KIP-98), the only on-the-wire and on-disk record format odradek
 * stores and serves. A batch is kept exactly as the producer sent it; the broker reads this header,
 * checks the CRC and patches the fields outside the CRC. All integers are big-endian.
 *
 *   field                 offset  size  notes
 *   baseOffset               0     8    int64; the first offset of the batch (assigned by the leader)
 *   batchLength              8     4    int32; bytes that follow this field (= total size - 12)
 *   partitionLeaderEpoch    12     4    int32; set by the leader on append
 *   magic                  16     1    int8; 2. At offset 16 in every format (v0/v1 message sets have
 *                                      offset 8 + size 4 + crc 4 before it), so old formats are recognisable
 *   crc                    17     4    uint32; CRC-32C of bytes [21, 12 + batchLength): attributes to end
 *   attributes             21     2    int16; bits 0-2 compression (0 none, 1 gzip, 2 snappy, 3 lz4,
 *                                      4 zstd), bit 3 timestamp type (1 = LogAppendTime), bit 4
 *                                      transactional, bit 5 control, bit 6 delete horizon set (KIP-534:
 *                                      baseTimestamp is then the delete horizon); others 0
 *   lastOffsetDelta        23     4    int32; offset of the last record - baseOffset (kept by compaction)
 *   baseTimestamp          27     8    int64; ms; first record's timestamp (or the delete horizon)
 *   maxTimestamp           35     8    int64; ms; the largest timestamp, or the LogAppendTime
 *   producerId             43     8    int64; -1 if not idempotent
 *   producerEpoch          51     2    int16; -1 if not idempotent
 *   baseSequence           53     4    int32; -1 if not idempotent
 *   recordCount            57     4    int32; records that follow (possibly compressed)
 *   records                61     -    batchLength - 49 bytes
 *
 * Because the CRC starts at `attributes`, the leader can patch baseOffset and partitionLeaderEpoch (and
 * batchLength, never patched) without recomputing it; setting LogAppendTime changes the attributes and
 * maxTimestamp, which are covered, so that patch recomputes the CRC (as Kafka's
 * DefaultRecordBatch.setMaxTimestamp does; baseTimestamp and the records are left alone).
 *
 * int64 fields are read into JS numbers: offsets, timestamps and producer ids are assumed to be within
 * ±2^53 (offsets are assigned by this broker, timestamps are milliseconds, producer ids are allocated
 * by this broker from 0 up); a value outside that range would read rounded.
 */
import { CorruptRecordError, UnsupportedMagicError } from "../errors.js";
import { crc32c } from "./crc32c.js";

export const BASE_OFFSET_OFFSET = 0;
export const BATCH_LENGTH_OFFSET = 8;
export const PARTITION_LEADER_EPOCH_OFFSET = 12;
export const MAGIC_OFFSET = 16;
export const CRC_OFFSET = 17;
export const ATTRIBUTES_OFFSET = 21;
export const LAST_OFFSET_DELTA_OFFSET = 23;
export const BASE_TIMESTAMP_OFFSET = 27;
export const MAX_TIMESTAMP_OFFSET = 35;
export const PRODUCER_ID_OFFSET = 43;
export const PRODUCER_EPOCH_OFFSET = 51;
export const BASE_SEQUENCE_OFFSET = 53;
export const RECORDS_COUNT_OFFSET = 57;
export const RECORDS_OFFSET = 61;
/** Header size of a v2 batch: a batch with no records is this long. */
export const RECORD_BATCH_OVERHEAD = 61;
/** baseOffset + batchLength: the bytes before the part that batchLength counts. */
export const LOG_OVERHEAD = 12;
/** The only magic odradek stores. */
export const CURRENT_MAGIC = 2;
/** Smallest valid batchLength (a batch with no records). */
export const MIN_BATCH_LENGTH = RECORD_BATCH_OVERHEAD - LOG_OVERHEAD;

/** Compression codec ids of attribute bits 0-2. */
export const CompressionCodec = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionCodec = (typeof CompressionCodec)[keyof typeof CompressionCodec];

/** Timestamp type of attribute bit 3. */
export const TimestampType = { CreateTime: 0, LogAppendTime: 1 } as const;
export type TimestampType = (typeof TimestampType)[keyof typeof TimestampType];

export const COMPRESSION_CODEC_MASK = 0x07;
export const TIMESTAMP_TYPE_MASK = 0x08;
export const TRANSACTIONAL_FLAG_MASK = 0x10;
export const CONTROL_FLAG_MASK = 0x20;
export const DELETE_HORIZON_FLAG_MASK = 0x40;

export interface RecordBatchHeader {
  baseOffset: number;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  /** Unsigned. */
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

const TWO_32 = 0x1_0000_0000;

/** int64 as a number; exact within ±2^53. */
export function readInt64(buf: Buffer, pos: number): number {
  return buf.readInt32BE(pos) * TWO_32 + buf.readUInt32BE(pos + 4);
}

/** Writes an integral number within ±2^53 as an int64. */
export function writeInt64(buf: Buffer, value: number, pos: number): void {
  const hi = Math.floor(value / TWO_32);
  buf.writeInt32BE(hi, pos);
  buf.writeUInt32BE(value - hi * TWO_32, pos + 4);
}

/**
 * Reads the 61-byte header at `pos`. Does not require the whole batch to be present (a reader may hold
 * only the header) and does not check the CRC: see validateBatch.
 * @throws UnsupportedMagicError for magic 0 or 1; CorruptRecordError for fewer than 61 bytes, another
 *   magic, or a batchLength shorter than an empty batch.
 */
export function readBatchHeader(buf: Buffer, pos = 0): RecordBatchHeader {
  const left = buf.length - pos;
  if (pos < 0 || left < MAGIC_OFFSET + 1) {
    throw new CorruptRecordError(`record batch header needs ${RECORD_BATCH_OVERHEAD} bytes at ${pos}, ${Math.max(0, left)} left`);
  }
  const magic = buf.readInt8(pos + MAGIC_OFFSET);
  if (magic !== CURRENT_MAGIC) {
    if (magic === 0 || magic === 1) throw new UnsupportedMagicError(magic);
    throw new CorruptRecordError(`unknown record batch magic ${magic} at ${pos}`);
  }
  if (left < RECORD_BATCH_OVERHEAD) {
    throw new CorruptRecordError(`record batch header needs ${RECORD_BATCH_OVERHEAD} bytes at ${pos}, ${left} left`);
  }
  const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_BATCH_LENGTH) {
    throw new CorruptRecordError(`record batch length ${batchLength} at ${pos} is below the minimum of ${MIN_BATCH_LENGTH}`);
  }
  return {
    baseOffset: readInt64(buf, pos + BASE_OFFSET_OFFSET),
    batchLength,
    partitionLeaderEpoch: buf.readInt32BE(pos + PARTITION_LEADER_EPOCH_OFFSET),
    magic,
    crc: buf.readUInt32BE(pos + CRC_OFFSET),
    attributes: buf.readInt16BE(pos + ATTRIBUTES_OFFSET),
    lastOffsetDelta: buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET),
    baseTimestamp: readInt64(buf, pos + BASE_TIMESTAMP_OFFSET),
    maxTimestamp: readInt64(buf, pos + MAX_TIMESTAMP_OFFSET),
    producerId: readInt64(buf, pos + PRODUCER_ID_OFFSET),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET),
    recordCount: buf.readInt32BE(pos + RECORDS_COUNT_OFFSET),
  };
}

/** CRC-32C of the part of the batch at `pos` that the crc field covers (attributes to the end). */
export function computeBatchCrc(buf: Buffer, pos: number, batchLength: number): number {
  return crc32c(buf, pos + ATTRIBUTES_OFFSET, pos + LOG_OVERHEAD + batchLength);
}

/**
 * Reads the header at `pos` and checks that the whole batch lies within `buf`, that its CRC-32C
 * matches, that its attributes name a known codec and that recordCount is not negative.
 * @throws CorruptRecordError / UnsupportedMagicError
 */
export function validateBatch(buf: Buffer, pos = 0): RecordBatchHeader {
  const h = readBatchHeader(buf, pos);
  const end = pos + LOG_OVERHEAD + h.batchLength;
  if (end > buf.length) {
    throw new CorruptRecordError(`record batch at ${pos} of ${end - pos} bytes overruns its buffer of ${buf.length} bytes`);
  }
  const crc = computeBatchCrc(buf, pos, h.batchLength);
  if (crc !== h.crc) {
    throw new CorruptRecordError(`record batch at ${pos} (base offset ${h.baseOffset}) has CRC ${hex(h.crc)}, computed ${hex(crc)}`);
  }
  if (compressionOf(h.attributes) > CompressionCodec.zstd) {
    throw new CorruptRecordError(`record batch at ${pos} has unknown compression codec ${compressionOf(h.attributes)}`);
  }
  if (h.recordCount < 0) throw new CorruptRecordError(`record batch at ${pos} has record count ${h.recordCount}`);
  return h;
}

const hex = (n: number): string => `0x${n.toString(16).padStart(8, "0")}`;

/** Total bytes of the batch, header included. */
export function batchSize(h: Pick<RecordBatchHeader, "batchLength">): number {
  return h.batchLength + LOG_OVERHEAD;
}

/** Offset of the batch's last record (kept after compaction removed records). */
export function lastOffset(h: Pick<RecordBatchHeader, "baseOffset" | "lastOffsetDelta">): number {
  return h.baseOffset + h.lastOffsetDelta;
}

/** Offset after the batch: where the next batch starts. */
export function nextOffset(h: Pick<RecordBatchHeader, "baseOffset" | "lastOffsetDelta">): number {
  return h.baseOffset + h.lastOffsetDelta + 1;
}

export function compressionOf(attributes: number): number {
  return attributes & COMPRESSION_CODEC_MASK;
}
export function timestampType(attributes: number): TimestampType {
  return attributes & TIMESTAMP_TYPE_MASK ? TimestampType.LogAppendTime : TimestampType.CreateTime;
}
export function isTransactional(attributes: number): boolean {
  return (attributes & TRANSACTIONAL_FLAG_MASK) !== 0;
}
export function isControl(attributes: number): boolean {
  return (attributes & CONTROL_FLAG_MASK) !== 0;
}
export function hasDeleteHorizon(attributes: number): boolean {
  return (attributes & DELETE_HORIZON_FLAG_MASK) !== 0;
}

/** Patches baseOffset (outside the CRC). */
export function setBaseOffset(buf: Buffer, pos: number, offset: number): void {
  writeInt64(buf, offset, pos + BASE_OFFSET_OFFSET);
}

/** Patches partitionLeaderEpoch (outside the CRC). */
export function setPartitionLeaderEpoch(buf: Buffer, pos: number, epoch: number): void {
  buf.writeInt32BE(epoch, pos + PARTITION_LEADER_EPOCH_OFFSET);
}

/**
 * Marks the batch as LogAppendTime with `timestampMs` as its maxTimestamp and recomputes the CRC, as
 * Kafka does for a topic with message.timestamp.type=LogAppendTime. baseTimestamp and the records'
 * timestamp deltas are not touched: a reader of a LogAppendTime batch uses maxTimestamp for every
 * record. The whole batch must lie within `buf`.
 */
export function setLogAppendTime(buf: Buffer, pos: number, timestampMs: number): void {
  const batchLength = wholeBatchLength(buf, pos);
  buf.writeInt16BE(buf.readInt16BE(pos + ATTRIBUTES_OFFSET) | TIMESTAMP_TYPE_MASK, pos + ATTRIBUTES_OFFSET);
  writeInt64(buf, timestampMs, pos + MAX_TIMESTAMP_OFFSET);
  buf.writeUInt32BE(computeBatchCrc(buf, pos, batchLength), pos + CRC_OFFSET);
}

/**
 * Kafka's setMaxTimestamp(CreateTime, ts) for a v2 batch: the header's max timestamp becomes `timestampMs`
 * (the records' max, as the validator derives it) and the LogAppendTime bit is cleared, then the CRC is
 * recomputed; nothing is written when both already hold. The whole batch must lie within `buf`.
 * @returns whether the batch changed
 */
export function setCreateTimeMaxTimestamp(buf: Buffer, pos: number, timestampMs: number): boolean {
  const batchLength = wholeBatchLength(buf, pos);
  const attributes = buf.readInt16BE(pos + ATTRIBUTES_OFFSET);
  if ((attributes & TIMESTAMP_TYPE_MASK) === 0 && readInt64(buf, pos + MAX_TIMESTAMP_OFFSET) === timestampMs) return false;
  buf.writeInt16BE(attributes & ~TIMESTAMP_TYPE_MASK, pos + ATTRIBUTES_OFFSET);
  writeInt64(buf, timestampMs, pos + MAX_TIMESTAMP_OFFSET);
  buf.writeUInt32BE(computeBatchCrc(buf, pos, batchLength), pos + CRC_OFFSET);
  return true;
}

/** batchLength of a batch that must lie whole within `buf`. */
function wholeBatchLength(buf: Buffer, pos: number): number {
  if (pos < 0 || buf.length - pos < RECORD_BATCH_OVERHEAD) {
    throw new CorruptRecordError(`record batch header needs ${RECORD_BATCH_OVERHEAD} bytes at ${pos}, ${Math.max(0, buf.length - pos)} left`);
  }
  const batchLength = buf.readInt32BE(pos + BATCH_LENGTH_OFFSET);
  if (batchLength < MIN_BATCH_LENGTH || pos + LOG_OVERHEAD + batchLength > buf.length) {
    throw new CorruptRecordError(`record batch at ${pos} of length ${batchLength} does not fit its buffer of ${buf.length} bytes`);
  }
  return batchLength;
}

/** Recomputes and writes the CRC of the batch at `pos` (after a patch of covered fields). */
export function updateBatchCrc(buf: Buffer, pos = 0): void {
  const batchLength = wholeBatchLength(buf, pos);
  buf.writeUInt32BE(computeBatchCrc(buf, pos, batchLength), pos + CRC_OFFSET);
}

/** One batch of a concatenation: a whole one, or the truncated tail a fetch response may end with. */
export type BatchSlice =
  | { partial: false; pos: number; size: number; header: RecordBatchHeader }
  | { partial: true; pos: number; size: number; header: null };

export interface BatchIterationOptions {
  /**
   * Yield a truncated final batch as `{ partial: true }` instead of throwing. A Fetch response may end
   * with one (the broker cuts at the byte limit); a Produce request must not.
   */
  allowPartial?: boolean;
  /** Check each whole batch's CRC (validateBatch) instead of only reading its header. */
  validate?: boolean;
}

/**
 * The batches of a concatenation of batches (a Produce request's or a Fetch response's `records`),
 * in order. A tail too short to hold its batchLength, or shorter than the batchLength it declares, is
 * a partial batch.
 * @throws CorruptRecordError for a malformed header or (without allowPartial) a truncated tail;
 *   UnsupportedMagicError for an old message set
 */
export function* batchPositions(records: Buffer, options: BatchIterationOptions = {}): Generator<BatchSlice, void, undefined> {
  let pos = 0;
  const len = records.length;
  while (pos < len) {
    const left = len - pos;
    if (left >= LOG_OVERHEAD) {
      const batchLength = records.readInt32BE(pos + BATCH_LENGTH_OFFSET);
      if (batchLength < MIN_BATCH_LENGTH) {
        // An old message set has a smaller "length"; name it as such rather than as corrupt.
        rejectOldMagic(records, pos);
        throw new CorruptRecordError(`record batch length ${batchLength} at ${pos} is below the minimum of ${MIN_BATCH_LENGTH}`);
      }
      if (batchLength <= left - LOG_OVERHEAD) {
        const header = options.validate ? validateBatch(records, pos) : readBatchHeader(records, pos);
        const size = batchLength + LOG_OVERHEAD;
        yield { partial: false, pos, size, header };
        pos += size;
        continue;
      }
    }
    rejectOldMagic(records, pos);
    if (!options.allowPartial) throw new CorruptRecordError(`truncated record batch at ${pos}: ${left} bytes left`);
    yield { partial: true, pos, size: left, header: null };
    return;
  }
}

function rejectOldMagic(buf: Buffer, pos: number): void {
  if (buf.length - pos > MAGIC_OFFSET) {
    const magic = buf.readInt8(pos + MAGIC_OFFSET);
    if (magic === 0 || magic === 1) throw new UnsupportedMagicError(magic);
  }
}

/**
 * Calls `fn` for each whole batch of a concatenation (see batchPositions).
 * @returns how many whole batches there were and the size of a truncated tail (0 if none)
 */
export function forEachBatch(
  records: Buffer,
  fn: (pos: number, header: RecordBatchHeader) => void,
  options: BatchIterationOptions = {},
): { batches: number; partialBytes: number } {
  let batches = 0;
  let partialBytes = 0;
  for (const b of batchPositions(records, options)) {
    if (b.partial) partialBytes = b.size;
    else {
      batches++;
      fn(b.pos, b.header);
    }
  }
  return { batches, partialBytes };
}
