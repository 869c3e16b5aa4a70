/**
 * The `odradek` executable as a child process: ready line, a client request, SIGTERM → exit 0;
 * bad flags and bad config → exit 2.
 */
import { connect } from "node:net";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { describe, expect, it } from "vitest";
import { parseArgs, USAGE } from "../src/args.js";
import { nearestConfigName } from "../src/config-check.js";
import { formatPretty } from "../src/log-format.js";
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

  it("spreads partitions over every directory of log.dirs (several data dirs), each with its meta.properties", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-cli-"));
    const dirs = [join(dir, "a"), join(dir, "b")];
    const p = run(["--port", "0", "--set", `log.dirs=${dirs.join(",")}`]);
    const line = await p.ready;
    expect(line).toContain(`data in ${dirs.join(",")}`);
    for (const d of dirs) expect(existsSync(join(d, "meta.properties"))).toBe(true);
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

  it("prints its version with --version and exits 0", async () => {
    const p = run(["--version"]);
    expect(await p.exit).toBe(0);
    const pkg = JSON.parse(readFileSync(join(dirname(bin), "..", "package.json"), "utf8")) as { version: string };
    expect(p.out().trim()).toBe(`odradek ${pkg.version} (Node.js ${process.version}, ${process.platform}-${process.arch})`);
  });

  it("--help names every flag args.ts accepts and every ODRADEK_* variable the packages read", () => {
    const root = join(dirname(bin), "..", "..");
    const flags = [...readFileSync(join(root, "cli", "src", "args.ts"), "utf8").matchAll(/case "(--[a-z-]+)":/g)].map((m) => m[1]!);
    expect(flags).toContain("--log-format");
    for (const f of flags) expect(USAGE).toContain(f);
    const vars = new Set<string>();
    for (const pkg of readdirSync(root)) {
      const walk = (dir: string): void => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
          if (e.isDirectory()) walk(join(dir, e.name));
          else if (e.name.endsWith(".ts") && !e.name.endsWith(".test.ts"))
            for (const m of readFileSync(join(dir, e.name), "utf8").matchAll(/process\.env\[?\.?"?(ODRADEK_[A-Z0-9_]+)/g)) vars.add(m[1]!);
        }
      };
      if (existsSync(join(root, pkg, "src"))) walk(join(root, pkg, "src"));
    }
    expect([...vars].sort()).toEqual(expect.arrayContaining(["ODRADEK_CRC32C", "ODRADEK_LOG_LEVEL"]));
    for (const v of vars) expect(USAGE).toContain(v);
  });

  it("writes one readable line per record with --log-format pretty", async () => {
    const p = run(["--memory", "--port", "0", "--log-format", "pretty"]);
    await p.ready;
    p.child.kill("SIGTERM");
    expect(await p.exit).toBe(0);
    const lines = p.err().trim().split("\n");
    expect(lines.length).toBeGreaterThan(1);
    for (const l of lines) expect(l).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (INFO |WARN ) \S/);
    expect(p.err()).toMatch(/listening host=127\.0\.0\.1 port=\d+/);
    expect(formatPretty(`{"level":50,"time":0,"name":"odradek","err":{"type":"Error","message":"boom","stack":"x"},"msg":"failed"}\n`, false)).toMatch(
      /^\d\d:\d\d:00\.000 ERROR failed err="Error: boom"\n$/,
    );
  });

  it("warns about an unknown config key, naming the nearest known one; --strict-config makes it one error line and exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-cli-"));
    const props = join(dir, "server.properties");
    writeFileSync(props, "log.retention.msx=1000\n");
    const p = run(["--memory", "--port", "0", "--config", props, "--set", "num.partitons=2"]);
    await p.ready;
    p.child.kill("SIGTERM");
    expect(await p.exit).toBe(0);
    const warnings = p.err().trim().split("\n").map((l) => JSON.parse(l) as { level: number; msg: string }).filter((r) => r.level === 40);
    expect(warnings.map((w) => w.msg)).toEqual([
      `unknown config log.retention.msx (${props}): did you mean log.retention.ms?; ignored`,
      "unknown config num.partitons (--set): did you mean num.partitions?; ignored",
    ]);
    const s = run(["--memory", "--port", "0", "--config", props, "--strict-config"]);
    expect(await s.exit).toBe(2);
    expect(s.err()).toBe(`odradek: unknown config log.retention.msx (${props}): did you mean log.retention.ms? (--strict-config)\n`);
    expect(nearestConfigName("num.network.threads")).toBeUndefined(); // a Kafka key this broker does not use: no wild guess
    expect(nearestConfigName("retention.msec")).toBe("retention.ms");
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses a config file that is not text (NUL bytes, invalid UTF-8) with one line and exit 2", async () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-cli-"));
    writeFileSync(join(dir, "binary"), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00]));
    writeFileSync(join(dir, "latin1"), Buffer.from("log.dirs=/tmp/caf\xe9\n", "latin1"));
    const b = run(["--memory", "--port", "0", "--config", join(dir, "binary")]);
    expect(await b.exit).toBe(2);
    expect(b.err()).toBe(`odradek: --config: ${join(dir, "binary")} is not a text file (NUL byte at offset 7); expected a Kafka server.properties\n`);
    const l = run(["--memory", "--port", "0", "--config", join(dir, "latin1")]);
    expect(await l.exit).toBe(2);
    expect(l.err()).toBe(`odradek: --config: ${join(dir, "latin1")} is not UTF-8 text; expected a Kafka server.properties\n`);
    rmSync(dir, { recursive: true, force: true });
  });
});
