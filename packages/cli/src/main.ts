/**
 * The `odradek` executable.
 *
 *   odradek [--host H] [--port P] [--data-dir DIR | --memory] [--config server.properties] [--set key=value]...
 *
 * Config precedence (later wins): Kafka defaults < `--config` file < `--set` < `--host`/`--port`/
 * `--data-dir`. `--data-dir` takes one directory or a comma-separated list (several log dirs, as
 * Kafka's `log.dirs`); without it every entry of `log.dirs` (or `log.dir` when set) is used, else
 * `./.data/odradek` relative to the working directory. Prints one line on stdout once the
 * listener is bound: `odradek ready on HOST:PORT in N ms` (N measured from process start). Logs go to
 * stderr: JSON lines in pino's format (logger.ts), or one readable line per record when stderr is a
 * terminal or `--log-format pretty` (log-format.ts); level from `ODRADEK_LOG_LEVEL` (default info).
 * An unknown config key is a warning naming the nearest known one, an error with `--strict-config`
 * (config-check.ts). `--help` lists every flag and environment variable (args.ts).
 * Exit codes: 0 after SIGINT/SIGTERM (in-flight requests answered, logs flushed; one line
 * `odradek stopped after N s (SIGNAL)` on stdout), 130 on a second SIGINT, 1 when the broker cannot
 * start (port in use; a data directory that is locked by another broker, cannot be created or written:
 * one line naming the path and the cause), 2 for bad flags or configuration (an unknown log level too).
 *
 * This module only exports `main`; bin/odradek.js runs it, from the one-file bundle when the build
 * made one (scripts/bundle.mjs) and from dist/ otherwise. After the ready line, the codec modules of
 * every API the broker serves are loaded in the background (the broker's warm-up.ts), so that no later request
 * needs a file opened (EMFILE at thousands of partitions).
 */
import { resolve } from "node:path";
import { ConfigError, HANDLERS, startBroker, warmUpCodecModules } from "@odradek/broker";
import { USAGE, UsageError, parseArgs } from "./args.js";
import type { CliOptions } from "./args.js";
import { checkConfigKeys } from "./config-check.js";
import { createCliLogger } from "./log-format.js";
import { isLevelName, LEVELS } from "./logger.js";
import { versionLine } from "./version.js";
import { watchLauncher } from "./launcher-watch.js";
import type { RunningBroker } from "@odradek/broker";

/** A comma-separated list of directories, resolved; empty entries dropped. */
function dirList(list: string | undefined): string[] {
  return (list ?? "").split(",").map((d) => d.trim()).filter((d) => d.length > 0).map((d) => resolve(d));
}

function defaultDataDirs(config: Map<string, string>): string[] {
  const dirs = dirList(config.get("log.dirs") ?? config.get("log.dir"));
  return dirs.length > 0 ? dirs : [resolve(".data/odradek")];
}

export interface MainHooks {
  /** Runs once the ready line is out and the served APIs' codec modules are loaded. */
  afterWarmUp?: () => void;
}

export async function main(argv: readonly string[], hooks: MainHooks = {}): Promise<void> {
  let opts: CliOptions;
  try {
    opts = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`odradek: ${(err as Error).message}\n${err instanceof UsageError ? `${USAGE}\n` : ""}`);
    process.exit(2);
  }
  if (opts.help || opts.version) {
    process.stdout.write(`${opts.help ? USAGE : versionLine()}\n`);
    return;
  }
  const level = process.env["ODRADEK_LOG_LEVEL"] ?? "info";
  if (!isLevelName(level)) {
    process.stderr.write(`odradek: ODRADEK_LOG_LEVEL=${level} is not one of ${Object.keys(LEVELS).join(", ")}\n`);
    process.exit(2);
  }
  const log = createCliLogger({ level, name: "odradek", fd: 2, format: opts.logFormat });
  if (!checkConfigKeys(opts.config, opts.configOrigins, opts.strictConfig, log)) process.exit(2);
  const dataDirs = opts.memory ? null : opts.dataDir !== undefined ? dirList(opts.dataDir) : defaultDataDirs(opts.config);
  const hasListener = opts.config.has("listeners");
  // Signal handlers go in before anything slow, so a signal during start-up is a clean stop too.
  // SIGTERM and SIGINT stop cleanly (listener closed, in-flight requests answered, logs flushed and
  // closed, the data directory's lock released), then one line `odradek stopped after N s (SIGNAL)`
  // and exit 0. A second SIGINT exits at once (130); a repeated SIGTERM (a launcher passing the signal
  // on while it exits itself) does not cut the clean stop short. The launcher watch (launcher-watch.ts)
  // stops the broker the same way when an npx/pnpm parent goes away.
  let running: RunningBroker | undefined;
  let stopRequested: string | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      if (signal === "SIGINT") process.exit(130);
      return;
    }
    if (!running) {
      if (stopRequested !== undefined && signal === "SIGINT") process.exit(130);
      stopRequested ??= signal;
      return;
    }
    stopping = true;
    log.info({ signal }, "shutting down");
    running
      .close()
      .then(() => {
        log.flush();
        process.stdout.write(`odradek stopped after ${process.uptime().toFixed(1)} s (${signal})\n`);
        process.exit(0);
      })
      .catch((err: unknown) => {
        process.stderr.write(`odradek: error while stopping: ${String(err)}\n`);
        process.exit(1);
      });
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
  // The reader of stdout may be gone by the stopped line (a closed terminal, a launcher that exited):
  // EPIPE there must not turn a clean stop into a crash.
  process.stdout.on("error", () => {});
  watchLauncher((pid) => {
    log.warn({ pid }, "the npx/pnpm process that started this broker exited: stopping");
    stop("launcher exited");
  });
  try {
    running = await startBroker({
      host: opts.host,
      port: opts.port ?? (hasListener ? undefined : 9092),
      logDirs: dataDirs ?? undefined,
      memory: opts.memory,
      config: opts.config,
      logger: log,
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`odradek: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`odradek: cannot start: ${(err as Error).message}\n`);
    log.flush();
    process.exit(1);
  }
  const ms = Math.round(performance.now());
  process.stdout.write(`odradek ready on ${running.bootstrap} in ${ms} ms (${dataDirs ? `data in ${dataDirs.join(",")}` : "in memory"})\n`);
  if (stopRequested !== undefined) stop(stopRequested);
  else warmUpCodecModules(HANDLERS.map((h) => h.apiKey), log, hooks.afterWarmUp);
}
