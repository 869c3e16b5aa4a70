/**
 * `--log-format pretty|json`. JSON lines (logger.ts, pino's format) are the default when stderr is not
 * a terminal; on a terminal each line is rewritten for people:
 *
 *   15:44:23.123 WARN  unknown config log.retention.msx (--set): did you mean log.retention.ms?; ignored key=log.retention.msx
 *
 * time (local), level, message, then the other fields as key=value (strings bare unless they hold
 * spaces or quotes, anything else as JSON; an error as its type and message). Still one line per
 * record, no stack traces. The level is coloured when the terminal allows it (NO_COLOR unset).
 * Rewriting the finished JSON line keeps one serialisation path (bigint, errors, cycles) for both.
 */
import { isatty } from "node:tty";
import { createJsonLogger } from "./logger.js";
import type { JsonLogger, LevelName } from "./logger.js";

export const LOG_FORMATS = ["pretty", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const LEVEL_LABELS: Record<number, [label: string, color: number]> = {
  10: ["TRACE", 90],
  20: ["DEBUG", 36],
  30: ["INFO ", 32],
  40: ["WARN ", 33],
  50: ["ERROR", 31],
  60: ["FATAL", 35],
};
const OMIT = new Set(["level", "time", "name", "msg"]);

function value(v: unknown): string {
  if (typeof v === "string") return /^[^\s"=]+$/.test(v) ? v : JSON.stringify(v);
  if (v !== null && typeof v === "object" && "message" in v && "stack" in v) {
    const e = v as { type?: string; message?: string };
    return JSON.stringify(`${e.type ?? "Error"}: ${e.message ?? ""}`);
  }
  return JSON.stringify(v) ?? String(v);
}

/** One JSON line (with its newline) as a human-readable line (with its newline). */
export function formatPretty(jsonLine: string, color: boolean): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const t = new Date(typeof rec["time"] === "number" ? rec["time"] : Date.now());
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const time = `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`;
  const [label, code] = LEVEL_LABELS[rec["level"] as number] ?? [String(rec["level"]), 0];
  const level = color && code ? `\x1b[${code}m${label}\x1b[39m` : label;
  const fields = Object.entries(rec)
    .filter(([k, v]) => !OMIT.has(k) && v !== undefined && v !== null)
    .map(([k, v]) => `${k}=${value(v)}`);
  const msg = typeof rec["msg"] === "string" ? rec["msg"] : "";
  return `${time} ${level} ${[msg, ...fields].filter((s) => s !== "").join(" ")}\n`;
}

/** The format when none is asked for: pretty on a terminal, JSON lines otherwise. */
export function defaultLogFormat(fd: number): LogFormat {
  return isatty(fd) ? "pretty" : "json";
}

export function createCliLogger(options: { level: LevelName; name: string; fd: number; format: LogFormat | undefined }): JsonLogger {
  const format = options.format ?? defaultLogFormat(options.fd);
  if (format === "json") return createJsonLogger(options);
  const color = isatty(options.fd) && process.env["NO_COLOR"] === undefined;
  return createJsonLogger({ ...options, rewrite: (line) => formatPretty(line, color) });
}
