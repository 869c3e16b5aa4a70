/** Public API of the record layer: CRC-32C, the RecordBatch v2 header, records, builders. */
export * from "./crc32c.js";
export * from "./batch-header.js";
export * from "./records.js";
export * from "./builder.js";
export { readVarint, readVarlong, sizeOfVarint, sizeOfVarlong, writeVarint, writeVarlong } from "./varint.js";
export type { Cursor } from "./varint.js";
export {
  compress,
  compressSync,
  decompress,
  decompressSync,
  hasSyncCompression,
  isXerialFramed,
  DEFAULT_MAX_DECOMPRESSED_BYTES,
} from "../compression/index.js";
export type { DecompressOptions } from "../compression/index.js";
