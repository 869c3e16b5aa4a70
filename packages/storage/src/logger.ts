/** The injected structured logger: any pino-compatible object. Default: a no-op one. */
export interface Logger {
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  debug(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): Logger;
}

const noop = (): void => {};
export const noopLogger: Logger = { info: noop, warn: noop, error: noop, debug: noop, child: () => noopLogger };
