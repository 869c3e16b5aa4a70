export * from "./errors.js";
export { Reader } from "./primitives/reader.js";
export type { TaggedField } from "./primitives/reader.js";
export { Writer } from "./primitives/writer.js";
export * from "./frame.js";
export * from "./generated/index.js";
export * from "./record/index.js";
export { ZERO_UUID } from "./uuid.js";
