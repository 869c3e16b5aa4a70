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

const LEVEL_NAMES = ["trace", "debug", "info", "warn", "error", "fatal"] as const;

/**
 * A child of `parent` with `bindings`, made only when it first logs (or is asked for a child): the
 * storage keeps one per partition and the broker one per request, and most of them never log, while
 * a child of the CLI's logger is a dozen closures. What it logs is what `parent.child(bindings)` would
 * have logged.
 */
export class LazyChildLogger implements Logger {
  private made: Logger | null = null;

  constructor(
    private readonly parent: Logger,
    private readonly bindings: Record<string, unknown>,
  ) {}

  private get logger(): Logger {
    this.made ??= this.parent.child(this.bindings);
    return this.made;
  }

  // The six levels, on the prototype: each makes the child at its first line.
  declare trace: LogFn;
  declare debug: LogFn;
  declare info: LogFn;
  declare warn: LogFn;
  declare error: LogFn;
  declare fatal: LogFn;
  static {
    for (const level of LEVEL_NAMES) {
      LazyChildLogger.prototype[level] = function (this: LazyChildLogger, obj: object | string, msg?: string): void {
        const l = this.logger;
        if (typeof obj === "string") l[level](obj);
        else l[level](obj, msg);
      } as LogFn;
    }
  }

  child(bindings: Record<string, unknown>): Logger {
    return this.logger.child(bindings);
  }
}
