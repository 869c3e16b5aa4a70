#!/usr/bin/env node
// The project's test command (`pnpm test`): installs the system tools tests drive, checks that the generated codec matches protocol/,
// builds every package (native modules, tsc, the CLI bundle), type-checks the tests (tsconfig.test.json), lints (`pnpm lint`), runs vitest, then the compatibility CI subset against odradek (`node test-compat/run.mjs --subset ci`:
// real clients installed into test-compat/.cache/compat by that runner), and ends with two summary lines:
// "vitest: N passed, N failed, N skipped" and "compat: N passed, N failed, N skipped"; the exit status is non-zero if either failed.
// Extra arguments go to vitest (e.g. `pnpm test packages/codec`) and skip the compat subset, as does COMPAT_SKIP=1.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

// Real clients the tests drive (kcat from Debian's packages): installed when missing and possible.
run("bash", [join(root, "scripts", "ci-tools.sh")]);
run(process.execPath, [join(root, "scripts", "generate-codec.mjs"), "--check"]);
run(process.execPath, [join(root, "packages", "codec", "scripts", "build-native.mjs")]);
run(bin("tsc"), ["-b", "packages/cli"]);
// Test files are type-checked too (tsconfig.test.json, no output): vitest strips types without checking them.
run(bin("tsc"), ["-p", "tsconfig.test.json"]);
// `pnpm lint`: Biome's rules (biome.json), then the import arrows and file lengths.
run(bin("biome"), ["lint"]);
run(process.execPath, [join(root, "scripts", "check-boundaries.mjs")]);
run(process.execPath, [join(root, "packages", "cli", "scripts", "bundle.mjs")]);

const out = mkdtempSync(join(tmpdir(), "odradek-vitest-"));
const report = join(out, "report.json");
const r = spawnSync(bin("vitest"), ["run", "--reporter=default", "--reporter=json", `--outputFile.json=${report}`, ...process.argv.slice(2)], { cwd: root, stdio: "inherit" });
let summary = "vitest: no report";
try {
  const j = JSON.parse(readFileSync(report, "utf8"));
  summary = `vitest: ${j.numPassedTests} passed, ${j.numFailedTests} failed, ${j.numPendingTests + j.numTodoTests} skipped`;
} catch {}
rmSync(out, { recursive: true, force: true });
console.log(summary);

// Compatibility CI subset (odradek only): its output is passed through as it comes; its last line is its summary.
let compat = "compat: not run (arguments given to vitest)";
let compatStatus = 0;
if (process.env.COMPAT_SKIP === "1") compat = "compat: not run (COMPAT_SKIP=1)";
else if (process.argv.length <= 2) {
  const c = spawn(process.execPath, [join(root, "test-compat", "run.mjs"), "--subset", "ci"], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  let text = "";
  c.stdout.on("data", (d) => { process.stdout.write(d); text = (text + d).slice(-4096); });
  const code = await new Promise((resolve) => { c.on("error", () => resolve(-1)); c.on("close", (status) => resolve(status ?? -1)); });
  compat = text.split("\n").reverse().find((l) => l.startsWith("compat: ")) ?? `compat: runner error (exit ${code})`;
  compatStatus = code === 0 ? 0 : 1;
}
console.log(summary);
console.log(compat);
process.exit(r.status !== 0 ? r.status ?? 1 : compatStatus);
