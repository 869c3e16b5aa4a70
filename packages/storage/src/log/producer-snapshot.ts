/**
 * The producer-state snapshot file `<20-digit offset>.snapshot`, Kafka's ProducerSnapshot layout byte
 * for byte (storage/src/main/resources/message/ProducerSnapshot.json, version 1), big-endian:
 *
 *   version              int16   1
 *   crc                  uint32  CRC-32C of every byte after this field
 *   count                int32   producers
 *   producer × count (46 bytes each):
 *     producerId         int64
 *     epoch              int16
 *     lastSequence       int32   of the producer's last data batch (-1: none)
 *     lastOffset         int64   last offset of that batch (-1: none)
 *     offsetDelta        int32   lastOffset - that batch's first offset
 *     timestamp          int64   the producer's last timestamp
 *     coordinatorEpoch   int32   of the last marker written for it (-1: none)
 *     currentTxnFirstOffset int64  first offset of its open transaction (-1: none)
 *
 * The snapshot offset is the file name only: the state after every batch below it. As in Kafka only
 * the producer's *last* batch is kept, so after a restart a retried batch is recognised as a duplicate
 * only when it is that last one (an older one of the five kept in memory gets
 * OUT_OF_ORDER_SEQUENCE_NUMBER, as from Kafka after a restart).
 * A file whose version is not 1 or whose CRC fails is not a snapshot: the loader deletes it and replays
 * the log from an older one. odradek's earlier format (an int8 version 1 first) always fails here (its
 * first two bytes read as 0x01xx), so an upgraded broker replays once. Migration: Kafka's next version.
 */
import { crc32c, readInt64, writeInt64 } from "../record/batch.js";
import type { ProducerStateEntry } from "./producer-state-manager.js";

export const PRODUCER_SNAPSHOT_VERSION = 1;
const HEADER = 2 + 4 + 4;
const ENTRY = 8 + 2 + 4 + 8 + 4 + 8 + 4 + 8;
const INT32_MAX = 0x7fffffff;

/** Kafka's DefaultRecordBatch.decrementSequence: sequences wrap at Int32.MAX_VALUE. */
function decrementSequence(sequence: number, decrement: number): number {
  return sequence < decrement ? INT32_MAX - (decrement - sequence) + 1 : sequence - decrement;
}

/**
 * Producers are written in ascending producer id: the order Kafka's HashMap iteration gives while the ids
 * are below its table size (the golden test's files), and a deterministic one beyond (Kafka's then depends
 * on its table's resize history; readers do not depend on the order).
 */
export function encodeProducerSnapshot(producers: Iterable<ProducerStateEntry>): Buffer {
  const list = [...producers].sort((a, b) => a.producerId - b.producerId);
  const b = Buffer.alloc(HEADER + list.length * ENTRY);
  b.writeInt16BE(PRODUCER_SNAPSHOT_VERSION, 0);
  b.writeInt32BE(list.length, 6);
  let p = HEADER;
  for (const e of list) {
    const last = e.batches[e.batches.length - 1];
    writeInt64(b, e.producerId, p);
    b.writeInt16BE(e.producerEpoch, p + 8);
    b.writeInt32BE(last ? last.lastSeq : -1, p + 10);
    writeInt64(b, last ? last.lastOffset : -1, p + 14);
    b.writeInt32BE(last ? last.lastOffset - last.firstOffset : 0, p + 22);
    writeInt64(b, e.lastTimestamp, p + 26);
    b.writeInt32BE(e.coordinatorEpoch, p + 34);
    writeInt64(b, e.currentTxnFirstOffset ?? -1, p + 38);
    p += ENTRY;
  }
  b.writeUInt32BE(crc32c(b, 6, b.length), 2);
  return b;
}

/** @returns the entries, or null when the bytes are not a valid version-1 snapshot */
export function decodeProducerSnapshot(b: Buffer): ProducerStateEntry[] | null {
  if (b.length < HEADER || b.readInt16BE(0) !== PRODUCER_SNAPSHOT_VERSION || b.readUInt32BE(2) !== crc32c(b, 6, b.length)) return null;
  const count = b.readInt32BE(6);
  if (count < 0 || b.length !== HEADER + count * ENTRY) return null;
  const out: ProducerStateEntry[] = [];
  for (let i = 0, p = HEADER; i < count; i++, p += ENTRY) {
    const lastSeq = b.readInt32BE(p + 10);
    const lastOffset = readInt64(b, p + 14);
    const offsetDelta = b.readInt32BE(p + 22);
    const txn = readInt64(b, p + 38);
    out.push({
      producerId: readInt64(b, p),
      producerEpoch: b.readInt16BE(p + 8),
      batches: lastOffset >= 0 ? [{ firstSeq: decrementSequence(lastSeq, offsetDelta), lastSeq, firstOffset: lastOffset - offsetDelta, lastOffset }] : [],
      lastTimestamp: readInt64(b, p + 26),
      coordinatorEpoch: b.readInt32BE(p + 34),
      currentTxnFirstOffset: txn >= 0 ? txn : null,
    });
  }
  return out;
}
