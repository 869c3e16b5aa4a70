/** The `odradek` executable as a child process, for the CLI's process-level tests. */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Kafka, logLevel } from "kafkajs";

export const bin = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "odradek.js");

export interface Run {
  child: ChildProcess;
  /** The ready line. */
  ready: Promise<string>;
  /** The exit code (null when a signal ended it). */
  exit: Promise<number | null>;
  out(): string;
  err(): string;
  /** The port from the ready line. */
  port(): Promise<number>;
}

const spawned = new Set<ChildProcess>();

/** Kills (SIGKILL) every process `run` started that still runs: a failed test leaves no broker behind. */
export function killLeftovers(): void {
  for (const c of spawned) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  spawned.clear();
}

/** Spawns `odradek args` (or `command` when given: [file, ...args] that ends by running the executable). */
export function run(args: string[], options: { cwd?: string; command?: string[]; detached?: boolean } = {}): Run {
  const [file, ...pre] = options.command ?? [process.execPath, bin];
  const child = spawn(file!, [...pre, ...args], { stdio: ["ignore", "pipe", "pipe"], cwd: options.cwd, detached: options.detached });
  spawned.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const ready = new Promise<string>((resolve, reject) => {
    const check = () => {
      const line = stdout.split("\n").find((l) => l.includes("ready"));
      if (line) resolve(line);
    };
    child.stdout!.on("data", check);
    void exit.then((code) => reject(new Error(`exited ${code} before ready: ${stderr}`)));
  });
  ready.catch(() => {}); // awaited only by tests that expect a start
  const port = async () => Number(/:(\d+) in/.exec(await ready)![1]);
  return { child, ready, exit, out: () => stdout, err: () => stderr, port };
}

/** A kafkajs client of the broker on `port`, quiet, with few retries (a test sees failures at once). */
export const kafka = (port: number, retries = 3): Kafka =>
  new Kafka({ brokers: [`127.0.0.1:${port}`], clientId: "odradek-cli-test", logLevel: logLevel.NOTHING, retry: { retries } });
