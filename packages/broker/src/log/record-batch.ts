/**
 * Stopgap RecordBatch v2 header access for the broker, until the codec's `record/` helpers
 * (readBatchHeader, validateBatch, setBaseOffset, setLogAppendTime) are exported; then this file
 * goes away. Batches are never decoded record by record here.
 *
 * RecordBatch v2 header (61 bytes, big-endian), as on the wire and on disk:
 *   0 baseOffset int64 | 8 batchLength int32 (bytes after this field) | 12 partitionLeaderEpoch int32
 *   16 magic int8 | 17 crc uint32 (CRC-32C of bytes 21..end) | 21 attributes int16
 *   23 lastOffsetDelta int32 | 27 baseTimestamp int64 | 35 maxTimestamp int64 | 43 producerId int64
 *   51 producerEpoch int16 | 53 baseSequence int32 | 57 recordCount int32
 * Attributes: bits 0-2 compression, bit 3 timestamp type (1 = LogAppendTime), bit 4 transactional,
 * bit 5 control batch. The magic byte sits at offset 16 in every message format (v0/v1 too).
 */
export const BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: the bytes not counted by batchLength. */
export const LOG_OVERHEAD = 12;
export const MAGIC_OFFSET = 16;
const CRC_OFFSET = 17;
const ATTRIBUTES_OFFSET = 21;

export interface BatchHeader {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export function readBatchHeader(b: Buffer, pos = 0): BatchHeader {
  return {
    baseOffset: b.readBigInt64BE(pos),
    batchLength: b.readInt32BE(pos + 8),
    partitionLeaderEpoch: b.readInt32BE(pos + 12),
    magic: b.readInt8(pos + 16),
    crc: b.readUInt32BE(pos + 17),
    attributes: b.readInt16BE(pos + 21),
    lastOffsetDelta: b.readInt32BE(pos + 23),
    baseTimestamp: b.readBigInt64BE(pos + 27),
    maxTimestamp: b.readBigInt64BE(pos + 35),
    producerId: b.readBigInt64BE(pos + 43),
    producerEpoch: b.readInt16BE(pos + 51),
    baseSequence: b.readInt32BE(pos + 53),
    recordCount: b.readInt32BE(pos + 57),
  };
}

const CRC32C_TABLE = (() => {
  const t = new Int32Array(256 * 8);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
    t[i] = c;
  }
  for (let i = 0; i < 256; i++) {
    for (let s = 1; s < 8; s++) t[s * 256 + i] = (t[(s - 1) * 256 + i]! >>> 8) ^ t[t[(s - 1) * 256 + i]! & 0xff]!;
  }
  return t;
})();

/** CRC-32C (Castagnoli), slicing-by-8. */
export function crc32c(b: Uint8Array, start = 0, end = b.length): number {
  const t = CRC32C_TABLE;
  let crc = ~0;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    crc ^= b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24);
    crc =
      t[7 * 256 + (crc & 0xff)]! ^
      t[6 * 256 + ((crc >>> 8) & 0xff)]! ^
      t[5 * 256 + ((crc >>> 16) & 0xff)]! ^
      t[4 * 256 + (crc >>> 24)]! ^
      t[3 * 256 + b[i + 4]!]! ^
      t[2 * 256 + b[i + 5]!]! ^
      t[256 + b[i + 6]!]! ^
      t[b[i + 7]!]!;
  }
  for (; i < end; i++) crc = t[(crc ^ b[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

export function batchCrcMatches(b: Buffer, pos = 0): boolean {
  const end = pos + LOG_OVERHEAD + b.readInt32BE(pos + 8);
  return crc32c(b, pos + ATTRIBUTES_OFFSET, end) === b.readUInt32BE(pos + CRC_OFFSET);
}

export function setBaseOffset(b: Buffer, offset: bigint, pos = 0): void {
  b.writeBigInt64BE(offset, pos);
}

export function setPartitionLeaderEpoch(b: Buffer, epoch: number, pos = 0): void {
  b.writeInt32BE(epoch, pos + 12);
}

/** Marks the batch as LogAppendTime with `now` as its max timestamp, and rewrites the CRC. */
export function setLogAppendTime(b: Buffer, now: bigint, pos = 0): void {
  const attrs = b.readInt16BE(pos + ATTRIBUTES_OFFSET) | 0x08;
  b.writeInt16BE(attrs, pos + ATTRIBUTES_OFFSET);
  b.writeBigInt64BE(now, pos + 35);
  const end = pos + LOG_OVERHEAD + b.readInt32BE(pos + 8);
  b.writeUInt32BE(crc32c(b, pos + ATTRIBUTES_OFFSET, end), pos + CRC_OFFSET);
}

export const COMPRESSION_NAMES = ["none", "gzip", "snappy", "lz4", "zstd"] as const;

export function isControlBatch(h: BatchHeader): boolean {
  return (h.attributes & 0x20) !== 0;
}

export function isTransactional(h: BatchHeader): boolean {
  return (h.attributes & 0x10) !== 0;
}
