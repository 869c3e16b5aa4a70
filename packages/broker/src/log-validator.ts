/**
 * The part of Kafka's LogValidator that needs the records inside a batch, and recompression.
 *
 * When it runs (the rest of the time the batch is stored as sent, untouched: the produce hot path
 * treats batches as opaque bytes, STYLE 8, where Kafka also reads every compressed batch):
 *  - the topic is compacted (`cleanup.policy` contains compact): every record needs a key;
 *  - the topic's `compression.type` names a codec (not `producer`) other than the batch's: the batch
 *    is rebuilt with that codec (`uncompressed` = none), keeping producer id, epoch, base sequence,
 *    transactional flag, base timestamp, and every record's timestamp, key, value and headers.
 * Checks, with Kafka's error codes: offset deltas 0, 1, 2, … matching the record count
 * (INVALID_RECORD), a key on every record of a compacted topic (INVALID_RECORD), CreateTime
 * timestamps within `message.timestamp.before.max.ms` / `after.max.ms` of the broker clock
 * (INVALID_TIMESTAMP), bytes that decompress and decode (CORRUPT_MESSAGE), and after recompression
 * the new size within `max.message.bytes` (MESSAGE_TOO_LARGE).
 */
import {
  CompressionCodec,
  CorruptRecordError,
  ErrorCode,
  TimestampType,
  buildRecordBatchAsync,
  compressionOf,
  isTransactional,
  readRecordsAsync,
  timestampType,
} from "@odradek/codec";
import type { KafkaRecord, RecordBatchHeader } from "@odradek/codec";

const CODEC_BY_NAME: Record<string, number> = {
  uncompressed: CompressionCodec.none,
  gzip: CompressionCodec.gzip,
  snappy: CompressionCodec.snappy,
  lz4: CompressionCodec.lz4,
  zstd: CompressionCodec.zstd,
};

export interface ValidationPolicy {
  compacted: boolean;
  /** The topic's `compression.type`. */
  compressionType: string;
  /** CreateTime limits in ms (Infinity = none); ignored for LogAppendTime topics. */
  timestampBeforeMaxMs: number;
  timestampAfterMaxMs: number;
  logAppendTime: boolean;
  maxMessageBytes: number;
  nowMs: number;
}

export type Validated = { batch: Buffer } | { errorCode: number; message: string };

/** The codec the topic wants for this batch, or null to keep the producer's. */
function targetCodec(h: RecordBatchHeader, compressionType: string): number | null {
  const codec = CODEC_BY_NAME[compressionType];
  return codec === undefined || codec === compressionOf(h.attributes) ? null : codec;
}

/** Whether `validateRecords` has anything to do for this batch (the common case is no). */
export function needsRecordValidation(h: RecordBatchHeader, policy: ValidationPolicy): boolean {
  return policy.compacted || targetCodec(h, policy.compressionType) !== null;
}

/** Validates the records of one whole, CRC-checked batch; returns it (or its recompressed copy) or an error. */
export async function validateRecords(batch: Buffer, h: RecordBatchHeader, policy: ValidationPolicy): Promise<Validated> {
  let records: KafkaRecord[];
  try {
    records = await readRecordsAsync(batch);
  } catch (e) {
    if (e instanceof CorruptRecordError) return { errorCode: ErrorCode.CORRUPT_MESSAGE, message: e.message };
    throw e;
  }
  if (records.length !== h.recordCount) return { errorCode: ErrorCode.INVALID_RECORD, message: `the batch holds ${records.length} records, its header says ${h.recordCount}` };
  const checkTime = !policy.logAppendTime && timestampType(h.attributes) === TimestampType.CreateTime;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.offsetDelta !== i) return { errorCode: ErrorCode.INVALID_RECORD, message: `record ${i} has offset delta ${r.offsetDelta}: inner offsets must run 0, 1, 2, …` };
    if (policy.compacted && r.key === null) return { errorCode: ErrorCode.INVALID_RECORD, message: "Compacted topic cannot accept message without key in topic partition" };
    if (checkTime) {
      const ts = h.baseTimestamp + r.timestampDelta;
      if (ts - policy.nowMs > policy.timestampAfterMaxMs || policy.nowMs - ts > policy.timestampBeforeMaxMs) {
        return { errorCode: ErrorCode.INVALID_TIMESTAMP, message: `Timestamp ${ts} of record ${i} is out of range (message.timestamp.before.max.ms / after.max.ms)` };
      }
    }
  }
  const codec = targetCodec(h, policy.compressionType);
  if (codec === null) return { batch };
  const rebuilt = await buildRecordBatchAsync({
    records: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: h.baseTimestamp + r.timestampDelta })),
    compression: codec,
    timestampType: timestampType(h.attributes),
    producerId: h.producerId,
    producerEpoch: h.producerEpoch,
    baseSequence: h.baseSequence,
    transactional: isTransactional(h.attributes),
    baseTimestamp: h.baseTimestamp,
  });
  if (rebuilt.length > policy.maxMessageBytes) {
    return { errorCode: ErrorCode.MESSAGE_TOO_LARGE, message: `The record batch is ${rebuilt.length} bytes after recompression, above max.message.bytes ${policy.maxMessageBytes}` };
  }
  return { batch: rebuilt };
}
