/**
 * The CLI's logger: JSON lines on a file descriptor (stderr), in pino's line format, so that anything
 * reading pino's output reads ours:
 *
 *   {"level":30,"time":<epoch ms>,"name":"odradek",<child bindings>,<fields>,"msg":"..."}
 *
 * (pino with `base: { name }`, as the CLI configured it before, which leaves out pid and hostname.)
 *
 * Levels are pino's numbers (trace 10, debug 20, info 30, warn 40, error 50, fatal 60; "silent" logs
 * nothing). An Error passed as the object, or under the key `err`, is written as pino's standard
 * serializer writes it ({type, message, stack, its own enumerable properties, cause}). bigint values are
 * written as numbers when exact, else as strings; a circular reference as "[Circular]".
 *
 * Why not pino itself: the broker needs only the subset in @odradek/broker's `Logger`, and loading pino
 * (32 CommonJS files, its transport machinery included) took 35-40 ms of CPU, of a cold start of
 * about 370 ms, on the 2-core reference VM (benchmarks/startup/startup.mjs). Writes are synchronous, as
 * with `pino.destination({ sync: true })`: a line is on its way before the call returns, and nothing
 * is lost on process.exit().
 */
import { writeSync } from "node:fs";
import type { Logger } from "@odradek/broker";

export const LEVELS = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity } as const;
export type LevelName = keyof typeof LEVELS;

export interface JsonLogger extends Logger {
  child(bindings: Record<string, unknown>): JsonLogger;
  /** Nothing is buffered; kept for callers written against pino. */
  flush(): void;
}

export function isLevelName(s: string): s is LevelName {
  return Object.prototype.hasOwnProperty.call(LEVELS, s);
}

/** pino's std err serializer, in short. */
function serializeError(err: Error, seen = new Set<Error>()): Record<string, unknown> {
  seen.add(err);
  const out: Record<string, unknown> = { type: err.constructor?.name ?? "Error", message: err.message, stack: err.stack };
  for (const [k, v] of Object.entries(err)) if (!(k in out)) out[k] = v;
  const cause = (err as { cause?: unknown }).cause;
  if (cause instanceof Error && !seen.has(cause)) out["cause"] = serializeError(cause, seen);
  return out;
}

function replacer(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value === "bigint") return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Error) return serializeError(value);
  return value;
}

function stringify(value: unknown): string {
  try {
    return JSON.stringify(value, replacer);
  } catch {
    // A cycle: again, writing "[Circular]" for an object met again on its own path.
    const ancestors: unknown[] = [];
    try {
      return JSON.stringify(value, function (this: unknown, key: string, v: unknown) {
        if (typeof v !== "object" || v === null) return replacer.call(this, key, v);
        while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
        if (ancestors.includes(v)) return "[Circular]";
        ancestors.push(v);
        return replacer.call(this, key, v);
      });
    } catch (e) {
      // A throwing toJSON or getter: a log call never throws.
      return JSON.stringify({ logSerializationError: String(e) });
    }
  }
}

/** Writes all of `line`, retrying while a non-blocking pipe is full (as pino's sync destination does). */
function writeAll(fd: number, line: string): void {
  let buf = Buffer.from(line);
  for (let spins = 0; buf.length > 0; ) {
    try {
      const n = writeSync(fd, buf);
      buf = buf.subarray(n);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EAGAIN" || ++spins > 10_000) throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
    }
  }
}

/** `rewrite`, when given, turns each finished JSON line into what is written (log-format.ts). */
export function createJsonLogger(options: { level: LevelName; name: string; fd?: number; rewrite?: (line: string) => string }): JsonLogger {
  const fd = options.fd ?? 2;
  const rewrite = options.rewrite;
  const threshold = LEVELS[options.level];
  const head = `,"name":${JSON.stringify(options.name)}`;

  // A child's bindings are turned into JSON only when it first writes a line: the broker makes a
  // child per request, and almost none of them log.
  const make = (parent: () => string, own: Record<string, unknown> | null): JsonLogger => {
    let cached: string | null = own === null ? "" : null;
    const bindingsText = (): string => {
      if (cached === null) {
        const s = stringify(own);
        cached = parent() + (s.length > 2 ? `,${s.slice(1, -1)}` : "");
      }
      return cached;
    };
    const at = (level: number) =>
      level < threshold
        ? () => {}
        : (obj: object | string, msg?: string) => {
            let fields = "";
            let text: unknown = msg;
            if (typeof obj === "string") text = obj;
            else if (obj !== null && obj !== undefined) {
              const o = obj instanceof Error ? { err: obj } : obj;
              if (obj instanceof Error && text === undefined) text = obj.message;
              const s = stringify(o);
              if (s.length > 2) fields = "," + s.slice(1, -1);
            }
            const m = text === undefined ? "" : `,"msg":${JSON.stringify(String(text))}`;
            const line = `{"level":${level},"time":${Date.now()}${head}${bindingsText()}${fields}${m}}\n`;
            writeAll(fd, rewrite ? rewrite(line) : line);
          };
    return {
      trace: at(LEVELS.trace),
      debug: at(LEVELS.debug),
      info: at(LEVELS.info),
      warn: at(LEVELS.warn),
      error: at(LEVELS.error),
      fatal: at(LEVELS.fatal),
      child(b: Record<string, unknown>): JsonLogger {
        return make(bindingsText, b);
      },
      flush() {},
    };
  };
  return make(() => "", null);
}
