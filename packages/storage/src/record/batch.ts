/**
 * The storage package's only door to the RecordBatch v2 format, whose layout is owned and documented
 * by `@odradek/codec` (`record/batch-header.ts`). Storage treats batches as opaque bytes: it reads the
 * 61-byte header, checks the CRC-32C (native when `@node-rs/crc32` loads) and patches baseOffset /
 * partitionLeaderEpoch / LogAppendTime.
 */
export {
  RECORD_BATCH_OVERHEAD,
  LOG_OVERHEAD,
  MIN_BATCH_LENGTH,
  readInt64,
  writeInt64,
  crc32c,
  readBatchHeader,
  validateBatch,
  computeBatchCrc,
  batchSize,
  setBaseOffset,
  setPartitionLeaderEpoch,
  setLogAppendTime,
  setCreateTimeMaxTimestamp,
  batchRecordTimestamps,
  updateBatchCrc,
  compressionOf,
  isTransactional,
  isControl,
} from "@odradek/codec";
export type { RecordBatchHeader } from "@odradek/codec";
/** Attribute bits (layout in the codec's `record/batch-header.ts`). */
export { COMPRESSION_CODEC_MASK as COMPRESSION_MASK, TIMESTAMP_TYPE_MASK as TIMESTAMP_TYPE_FLAG, DELETE_HORIZON_FLAG_MASK as DELETE_HORIZON_FLAG, hasDeleteHorizon } from "@odradek/codec";
