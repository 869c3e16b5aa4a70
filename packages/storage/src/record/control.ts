/**
 * End-transaction markers in control batches (KIP-98). A marker is a transactional control batch
 * (attributes bits 4 and 5) with baseSequence -1 and one record whose
 *   key   = ControlRecordType: version int16 0 | type int16 (0 ABORT, 1 COMMIT)
 *   value = EndTxnMarker:      version int16 0 | coordinatorEpoch int32
 * (the codec's generated ControlRecordTypeSchema / EndTxnMarker, and its buildControlBatch, own the
 * layout). A control batch without records (emptied by the cleaner) or whose record is not a
 * COMMIT/ABORT marker reads as null.
 */
import { ControlRecordType, CorruptRecordError, parseControlRecordKey, parseEndTxnMarker, readRecords } from "@odradek/codec";
import type { RecordBatchHeader } from "./batch.js";
import { TIMESTAMP_TYPE_FLAG } from "./batch.js";
import type { EndTxnMarker } from "../log/producer-state-manager.js";

/**
 * The marker held by the control batch at `pos` of `buf` (header `h`), or null.
 * @throws CorruptRecordError when the records do not decode
 */
export function readEndTxnMarker(buf: Buffer, pos: number, h: RecordBatchHeader): EndTxnMarker | null {
  if (h.recordCount < 1) return null;
  const r = readRecords(buf, pos)[0];
  if (!r) throw new CorruptRecordError(`control batch at offset ${h.baseOffset} has no record`);
  const key = parseControlRecordKey(r.key);
  if (!key || (key.type !== ControlRecordType.abort && key.type !== ControlRecordType.commit)) return null;
  const value = parseEndTxnMarker(r.value);
  if (!value) return null;
  const timestamp = h.attributes & TIMESTAMP_TYPE_FLAG ? h.maxTimestamp : h.baseTimestamp + r.timestampDelta;
  return { commit: key.type === ControlRecordType.commit, coordinatorEpoch: value.coordinatorEpoch, timestamp };
}
