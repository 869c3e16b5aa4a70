/**
 * The README stays true: its "works today / not yet" tables are what scripts/readme-apis.mjs derives
 * from the handler registry, protocol/ and SKIPPED.md (run it to update them), and the last
 * `pnpm install` ran every dependency build script it needed (pnpm-workspace.yaml's
 * onlyBuiltDependencies; otherwise pnpm prints "Ignored build scripts" after each install).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const script = join(root, "scripts", "readme-apis.mjs");
const check = (readme: string) => spawnSync(process.execPath, [script, "--check", "--readme", readme], { encoding: "utf8" });

describe("README", () => {
  it("has the API tables scripts/readme-apis.mjs generates (run it when this fails)", () => {
    const r = check(join(root, "README.md"));
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const text = readFileSync(join(root, "README.md"), "utf8");
    expect(text).toMatch(/\| 0 \| Produce \| [0-9–]+/);
    expect(text).toMatch(/\| not yet \| APIs \(key\) \|\n\|---\|---\|\n\| \S/);
  });

  it("fails the check when a row no longer matches the registry", () => {
    const dir = mkdtempSync(join(tmpdir(), "odradek-readme-"));
    const copy = join(dir, "README.md");
    writeFileSync(copy, readFileSync(join(root, "README.md"), "utf8").replace(/\| 1 \| Fetch \| [^|]+\|/, "| 1 | Fetch | 4–99 |"));
    const r = check(copy);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("out of date");
    rmSync(dir, { recursive: true, force: true });
  });

  it("the last pnpm install ignored no dependency build script", () => {
    const state = join(root, "node_modules", ".modules.yaml");
    if (!existsSync(state)) return; // installed by something other than pnpm
    const modules = JSON.parse(readFileSync(state, "utf8")) as { ignoredBuilds?: string[] };
    expect(modules.ignoredBuilds ?? []).toEqual([]);
  });
});
