/**
 * The `odradek` executable as a child process: ready line, a client request, SIGTERM → exit 0;
 * bad flags and bad config → exit 2.
 */
import { connect } from "node:net";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs } from "../src/args.js";
import { bin, run } from "./helpers.js";

/** Sends ApiVersions v0 and resolves with the error code of the answer. */
function apiVersions(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: "127.0.0.1" }, () => {
      const f = Buffer.alloc(14);
      f.writeInt32BE(10, 0);
      f.writeInt16BE(18, 4);
      f.writeInt16BE(0, 6);
      f.writeInt32BE(42, 8);
      f.writeInt16BE(-1, 12);
      s.write(f);
    });
    let buf = Buffer.alloc(0);
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length >= 10) {
        expect(buf.readInt32BE(4)).toBe(42);
        resolve(buf.readInt16BE(8));
        s.destroy();
      }
    });
    s.on("error", reject);
  });
}

describe("odradek CLI", () => {
  it("starts in memory, prints one ready line with the address and start-up time, stops on SIGTERM with exit 0", async () => {
    const p = run(["--port", "0", "--memory"]);
    const line = await p.ready;
    const m = /ready on (127\.0\.0\.1):(\d+) in (\d+) ms/.exec(line);
    expect(m).not.toBeNull();
    expect(Number(m![3])).toBeGreaterThan(0);
    expect(await apiVersions(Number(m![2]))).toBe(0);
    p.child.kill("SIGTERM");
    expect(await p.exit).toBe(0);
    expect(p.out().trim().split("\n").filter((l) => l.includes("ready")).length).toBe(1);
    for (const l of p.err().trim().split("\n")) expect(() => JSON.parse(l)).not.toThrow(); // logs are JSON lines
  });

  it("keeps data in a directory given by --config log.dirs and stops on SIGINT", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-cli-"));
    const props = join(dir, "server.properties");
    writeFileSync(props, `# test\nlisteners=PLAINTEXT://127.0.0.1:0\nlog.dirs=${join(dir, "data")}\nnum.partitions=3\n`);
    const p = run(["--config", props, "--set", "auto.create.topics.enable=false"]);
    const line = await p.ready;
    expect(line).toContain(join(dir, "data"));
    p.child.kill("SIGINT");
    expect(await p.exit).toBe(0);
    rmSync(dir, { recursive: true, force: true });
  });

  // Only when the build made the bundle (scripts/bundle.mjs; skipped without esbuild) and no `tsc -b`
  // ran since (bin/odradek.js then runs dist/main.js: see its header).
  const bundleDir = join(dirname(bin), "..", "dist", "bundle");
  const bundleFile = join(bundleDir, "odradek.cjs");
  const bundleFresh = (): boolean => {
    if (!existsSync(bundleFile)) return false;
    const infos = readFileSync(bundleFile, "latin1").split("\n", 1)[0]!.split(" ").slice(3);
    const built = statSync(bundleFile).mtimeMs;
    return infos.every((f) => (statSync(join(bundleDir, f), { throwIfNoEntry: false })?.mtimeMs ?? 0) <= built);
  };
  it.runIf(bundleFresh())("runs the bundle and leaves a V8 code cache named after its hash beside it", async () => {
    const hash = /^\/\/ odradek-bundle ([0-9a-f]+)/.exec(readFileSync(join(bundleDir, "odradek.cjs"), "latin1"))?.[1];
    expect(hash).toBeDefined();
    const r = run(["--memory", "--port", "0"]);
    const port = Number(/:(\d+) in/.exec(await r.ready)![1]);
    expect(await apiVersions(port)).toBe(0);
    const cached = () => readdirSync(bundleDir).some((f) => f.startsWith(`odradek.${hash}.${process.version}-`) && f.endsWith(".v8cache"));
    for (let i = 0; i < 50 && !cached(); i++) await new Promise((res) => setTimeout(res, 100));
    expect(cached()).toBe(true);
    r.child.kill("SIGTERM");
    expect(await r.exit).toBe(0);
  });

  it("exits 2 on a bad flag", async () => {
    const p = run(["--no-such-flag"]);
    expect(await p.exit).toBe(2);
    expect(p.err()).toContain("unknown option: --no-such-flag");
  });

  it("exits 2 on a bad config value", async () => {
    const p = run(["--memory", "--port", "0", "--set", "num.partitions=many"]);
    expect(await p.exit).toBe(2);
    expect(p.err()).toContain("num.partitions");
  });

  it("exits 2 on a missing config file", async () => {
    const p = run(["--config", "/nonexistent/server.properties"]);
    expect(await p.exit).toBe(2);
  });

  it("parses flags", () => {
    const o = parseArgs(["--host", "0.0.0.0", "--port=19092", "--set", "log.segment.bytes=1048576", "--memory"]);
    expect(o).toMatchObject({ host: "0.0.0.0", port: 19092, memory: true });
    expect(o.config.get("log.segment.bytes")).toBe("1048576");
    expect(() => parseArgs(["--port", "70000"])).toThrow();
    expect(() => parseArgs(["--set", "novalue"])).toThrow();
  });
});
