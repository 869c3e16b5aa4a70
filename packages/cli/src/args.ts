/**
 * Command-line parsing for `odradek` (see main.ts for the flags' meaning). Throws UsageError for
 * anything it does not understand and ConfigFileError for a `--config` file it cannot use (unreadable,
 * or not text: a NUL byte or invalid UTF-8); the caller exits 2.
 */
import { readFileSync } from "node:fs";
import { parseProperties } from "@odradek/broker";
import { LOG_FORMATS } from "./log-format.js";
import type { LogFormat } from "./log-format.js";

export const USAGE = `usage: odradek [options]
  --host HOST            listen address (default 127.0.0.1, or from listeners)
  --port PORT            listen port, 0 = any free port (default 9092, or from listeners)
  --data-dir DIR[,DIR]   keep data in DIR; several (comma-separated) spread partitions over them
                         (default ./.data/odradek, or log.dirs)
  --memory               keep everything in memory (nothing written to disk)
  --config FILE          read a Kafka server.properties file
  --set KEY=VALUE        set a broker config (repeatable), e.g. --set num.partitions=3
  --strict-config        an unknown config key (--set or --config) is an error, not a warning
  --log-format FORMAT    pretty (one readable line per record) or json (JSON lines, pino's format);
                         default: pretty when stderr is a terminal, json otherwise
  --version              print the version and exit
  --help                 show this help

environment:
  ODRADEK_LOG_LEVEL      trace, debug, info (default), warn, error, fatal or silent
  ODRADEK_CRC32C         force a CRC-32C implementation: cpu (native module), node-rs or js
  NO_COLOR               set: no colours in pretty logs

Logs go to stderr; stdout gets one line, "odradek ready on HOST:PORT in N ms (...)", once listening.`;

export class UsageError extends Error {}
/** A `--config` file that cannot be read or is not text: one line, no usage text. */
export class ConfigFileError extends Error {}

export interface CliOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  memory: boolean;
  config: Map<string, string>;
  /** Where each key of `config` was set last: `--set` or `--config FILE`. */
  configOrigins: Map<string, string>;
  strictConfig: boolean;
  logFormat?: LogFormat;
  help: boolean;
  version: boolean;
}

/** The file's text, refused when it is not text: a NUL byte or bytes that are not UTF-8. */
function readTextFile(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new ConfigFileError(`--config: cannot read ${file}: ${(err as Error).message}`);
  }
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new ConfigFileError(`--config: ${file} is not a text file (NUL byte at offset ${nul}); expected a Kafka server.properties`);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    throw new ConfigFileError(`--config: ${file} is not UTF-8 text; expected a Kafka server.properties`);
  }
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const out: CliOptions = { memory: false, config: new Map(), configOrigins: new Map(), strictConfig: false, help: false, version: false };
  const sets: [string, string][] = [];
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let value: string | undefined;
    const eq = arg.indexOf("=");
    if (arg.startsWith("--") && eq > 0) {
      value = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const need = (): string => {
      if (value !== undefined) return value;
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case "--host":
        out.host = need();
        break;
      case "--port": {
        const v = need();
        if (!/^\d+$/.test(v) || Number(v) > 65535) throw new UsageError(`--port: "${v}" is not a port number (0-65535)`);
        out.port = Number(v);
        break;
      }
      case "--data-dir":
        out.dataDir = need();
        break;
      case "--memory":
        if (value !== undefined) throw new UsageError("--memory takes no value");
        out.memory = true;
        break;
      case "--config":
        configFile = need();
        break;
      case "--set": {
        const kv = need();
        const k = kv.indexOf("=");
        if (k <= 0) throw new UsageError(`--set: expected KEY=VALUE, got "${kv}"`);
        sets.push([kv.slice(0, k).trim(), kv.slice(k + 1)]);
        break;
      }
      case "--strict-config":
        if (value !== undefined) throw new UsageError("--strict-config takes no value");
        out.strictConfig = true;
        break;
      case "--log-format": {
        const v = need();
        if (!(LOG_FORMATS as readonly string[]).includes(v)) throw new UsageError(`--log-format: "${v}" is not one of ${LOG_FORMATS.join(", ")}`);
        out.logFormat = v as LogFormat;
        break;
      }
      case "--help":
      case "-h":
        out.help = true;
        break;
      case "--version":
      case "-V":
        out.version = true;
        break;
      default:
        throw new UsageError(`unknown option: ${argv[i]}`);
    }
  }
  if (out.memory && out.dataDir !== undefined) throw new UsageError("--memory and --data-dir exclude each other");
  if (configFile !== undefined) {
    for (const [k, v] of parseProperties(readTextFile(configFile))) {
      out.config.set(k, v);
      out.configOrigins.set(k, configFile);
    }
  }
  for (const [k, v] of sets) {
    out.config.set(k, v);
    out.configOrigins.set(k, "--set");
  }
  return out;
}
