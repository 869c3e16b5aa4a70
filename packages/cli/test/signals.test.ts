/**
 * Stopping the real executable: SIGTERM/SIGINT stop cleanly with one "stopped" line and exit 0, a
 * second SIGINT exits at once, a repeated SIGTERM does not, and a broker started by
 * `npx pnpm@10 exec odradek` stops when npx is sent SIGTERM (instead of running on, orphaned).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bin, kafka, run, killLeftovers } from "./helpers.js";

const root = mkdtempSync(join(tmpdir(), "odradek-signals-"));
afterAll(() => {
  killLeftovers();
  rmSync(root, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("signals", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("%s: closes the listener and the logs, releases the lock, prints one stopped line with the uptime, exits 0", async (signal) => {
    const dir = join(root, signal);
    const p = run(["--port", "0", "--data-dir", dir]);
    const port = await p.port();
    p.child.kill(signal);
    expect(await p.exit).toBe(0);
    const stopped = p.out().split("\n").filter((l) => l.includes("stopped"));
    expect(stopped).toHaveLength(1);
    expect(stopped[0]).toMatch(new RegExp(`^odradek stopped after \\d+\\.\\d s \\(${signal}\\)$`));
    expect(existsSync(join(dir, ".lock"))).toBe(false);
    expect(readFileSync(join(dir, "recovery-point-offset-checkpoint"), "utf8")).toMatch(/^0\n/);
    expect(port).toBeGreaterThan(0);
  });

  it("a second SIGINT exits at once (130); a repeated SIGTERM does not cut the clean stop short", async () => {
    const p = run(["--port", "0", "--data-dir", join(root, "twice")]);
    const port = await p.port();
    const admin = kafka(port, 0).admin();
    await admin.connect();
    // A clean stop waits for the topic change in flight: creating 4,000 partition logs takes seconds.
    void admin.createTopics({ topics: [{ topic: "big", numPartitions: 4000 }], timeout: 60_000 }).catch(() => {});
    await sleep(300);
    p.child.kill("SIGINT");
    await sleep(300);
    expect(p.child.exitCode).toBeNull();
    p.child.kill("SIGTERM");
    await sleep(300);
    expect(p.child.exitCode, p.err()).toBeNull();
    const t0 = performance.now();
    p.child.kill("SIGINT");
    expect(await p.exit).toBe(130);
    expect(performance.now() - t0).toBeLessThan(1000);
    await admin.disconnect().catch(() => {});
  }, 30_000);

  const repo = join(dirname(bin), "..", "..", "..");
  const hasNpx = spawnSync("sh", ["-c", "command -v npx"], { stdio: "ignore" }).status === 0;
  it.runIf(hasNpx)("started by `npx pnpm@10 exec odradek`, the broker stops when npx gets SIGTERM (no orphan left listening)", async () => {
    const dir = join(root, "npx");
    const p = run(["--port", "0", "--data-dir", dir], { command: ["npx", "-y", "pnpm@10", "exec", "odradek"], cwd: repo, detached: true });
    await p.ready;
    const broker = Number(readFileSync(join(dir, ".lock"), "utf8").split(" ")[0]);
    expect(broker).not.toBe(p.child.pid);
    try {
      p.child.kill("SIGTERM"); // npx only, as a process manager or `kill <npx pid>` would
      await p.exit;
      for (let i = 0; i < 40 && alive(broker); i++) await sleep(100);
      expect(alive(broker)).toBe(false);
      expect(existsSync(join(dir, ".lock"))).toBe(false); // a clean stop released it
    } finally {
      if (alive(broker)) process.kill(broker, "SIGKILL");
    }
  }, 90_000);
});
