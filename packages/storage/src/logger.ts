/**
 * The one logger type of every package (storage, broker, CLI), taken by injection: the subset of
 * pino's API they call, so a pino instance fits. The CLI passes its JSON-lines logger; in-process users
 * get the silent one unless they pass their own. Child loggers carry bindings (connection, client id,
 * API key, correlation id; topic and partition in storage).
 */
export interface LogFn {
  (obj: object, msg?: string): void;
  (msg: string): void;
}

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

const noop: LogFn = () => {};

/** Logs nothing (exported by the broker as `silentLogger`). */
export const noopLogger: Logger = { trace: noop, debug: noop, info: noop, warn: noop, error: noop, fatal: noop, child: () => noopLogger };
