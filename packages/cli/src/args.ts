/**
 * Command-line parsing for `odradek` (see main.ts for the flags' meaning). Throws UsageError for
 * anything it does not understand; the caller exits 2.
 */
import { readFileSync } from "node:fs";
import { parseProperties } from "@odradek/broker";

export const USAGE = `usage: odradek [options]
  --host HOST            listen address (default 127.0.0.1, or from listeners)
  --port PORT            listen port, 0 = any free port (default 9092, or from listeners)
  --data-dir DIR         keep data in DIR (default ./.data/odradek, or log.dirs)
  --memory               keep everything in memory (nothing written to disk)
  --config FILE          read a Kafka server.properties file
  --set KEY=VALUE        set a broker config (repeatable), e.g. --set num.partitions=3
  --help                 show this help`;

export class UsageError extends Error {}

export interface CliOptions {
  host?: string;
  port?: number;
  dataDir?: string;
  memory: boolean;
  config: Map<string, string>;
  help: boolean;
}

export function parseArgs(argv: readonly string[]): CliOptions {
  const out: CliOptions = { memory: false, config: new Map(), help: false };
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
      case "--help":
      case "-h":
        out.help = true;
        break;
      default:
        throw new UsageError(`unknown option: ${argv[i]}`);
    }
  }
  if (out.memory && out.dataDir !== undefined) throw new UsageError("--memory and --data-dir exclude each other");
  if (configFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(configFile, "utf8");
    } catch (err) {
      throw new UsageError(`--config: cannot read ${configFile}: ${(err as Error).message}`);
    }
    for (const [k, v] of parseProperties(text)) out.config.set(k, v);
  }
  for (const [k, v] of sets) out.config.set(k, v);
  return out;
}
