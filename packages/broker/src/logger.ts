/**
 * The broker's logger is storage's `Logger` (one type for every package): the subset of pino's API
 * that is called. The CLI passes its JSON-lines logger; in-process users get `silentLogger` unless
 * they pass one.
 */
export type { Logger, LogFn } from "@odradek/storage";
export { noopLogger as silentLogger, LazyChildLogger } from "@odradek/storage";
