/**
 * kcat (librdkafka) against an in-process broker with a data directory: metadata, produce and
 * consume with every compression codec, 100,000 messages in one run, and the same reads after a
 * restart on the same directory. Skipped when kcat is not installed (CI installs the Debian
 * package `kcat`: `apt-get install -y kcat`).
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBroker } from "../src/index.js";
import type { RunningBroker } from "../src/index.js";

function hasKcat(): boolean {
  try {
    execFileSync("kcat", ["-V"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function kcat(args: string[], input?: string): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile("kcat", args, { maxBuffer: 256 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`kcat ${args.join(" ")} failed: ${err.message}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

const dir = mkdtempSync(join(tmpdir(), "odradek-kcat-"));
let broker: RunningBroker;
let bootstrap: string;

describe.skipIf(!hasKcat())("kcat", () => {
  beforeAll(async () => {
    broker = await startBroker({ dataDir: dir });
    bootstrap = broker.bootstrap;
  });
  afterAll(async () => {
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("lists metadata (-L)", async () => {
    await kcat(["-b", bootstrap, "-P", "-t", "meta-topic"], "x\n");
    const { stdout } = await kcat(["-b", bootstrap, "-L"]);
    expect(stdout).toContain(`broker 1 at ${bootstrap} (controller)`);
    expect(stdout).toMatch(/topic "meta-topic" with 1 partitions:\s+partition 0, leader 1, replicas: 1, isrs: 1/);
  });

  for (const codec of ["none", "gzip", "snappy", "lz4", "zstd"]) {
    it(`produces and consumes with -z ${codec}`, async () => {
      const topic = `kc-${codec}`;
      const lines = Array.from({ length: 500 }, (_, i) => `k${i}:${codec} value ${i} ${"y".repeat(i % 50)}`);
      await kcat(["-b", bootstrap, "-P", "-t", topic, "-z", codec, "-K", ":"], lines.join("\n") + "\n");
      await kcat(["-b", bootstrap, "-P", "-t", topic, "-z", codec, "-X", "enable.idempotence=true"], "idempotent-1\nidempotent-2\n");
      const { stdout } = await kcat(["-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q", "-f", "%o|%k|%s\n"]);
      const expected = [...lines.map((l, i) => `${i}|${l.slice(0, l.indexOf(":"))}|${l.slice(l.indexOf(":") + 1)}`), "500||idempotent-1", "501||idempotent-2"];
      expect(stdout.trimEnd().split("\n")).toEqual(expected);
    });
  }

  it("handles 100,000 messages in one run and serves the same bytes after a restart", async () => {
    const n = 100_000;
    const file = join(dir, "..", `odradek-kcat-input-${process.pid}.txt`);
    writeFileSync(file, Array.from({ length: n }, (_, i) => `message ${i} ${"z".repeat(i % 31)}`).join("\n") + "\n");
    try {
      await kcat(["-b", bootstrap, "-P", "-t", "big", "-z", "lz4", "-l", file]);
    } finally {
      rmSync(file, { force: true });
    }
    const read = async () => (await kcat(["-b", bootstrap, "-C", "-t", "big", "-o", "beginning", "-e", "-q", "-f", "%o %s\n"])).stdout;
    const before = await read();
    const lines = before.trimEnd().split("\n");
    expect(lines.length).toBe(n);
    expect(lines[0]).toBe("0 message 0 ");
    expect(lines[n - 1]).toBe(`${n - 1} message ${n - 1} ${"z".repeat((n - 1) % 31)}`);
    const compressedBefore = await read();
    const otherBefore = (await kcat(["-b", bootstrap, "-C", "-t", "kc-zstd", "-o", "beginning", "-e", "-q", "-f", "%o %k %s\n"])).stdout;
    await broker.close();
    broker = await startBroker({ dataDir: dir });
    bootstrap = broker.bootstrap;
    expect(await read()).toBe(compressedBefore);
    expect((await kcat(["-b", bootstrap, "-C", "-t", "kc-zstd", "-o", "beginning", "-e", "-q", "-f", "%o %k %s\n"])).stdout).toBe(otherBefore);
    // appends continue at the right offset after the restart
    await kcat(["-b", bootstrap, "-P", "-t", "big"], "after restart\n");
    const { stdout } = await kcat(["-b", bootstrap, "-C", "-t", "big", "-o", "-1", "-e", "-q", "-f", "%o %s\n"]);
    expect(stdout.trim()).toBe(`${n} after restart`);
  });
});
