#!/usr/bin/env node
// The project's test command (`pnpm test`): installs the system tools tests drive, checks that the generated codec matches protocol/,
// builds every package, runs vitest, and ends with one summary line: "vitest: N passed, N failed, N skipped".
// Extra arguments go to vitest (e.g. `pnpm test packages/codec`).
import { spawnSync } from "node:child_process";
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
run(bin("tsc"), ["-b", "packages/cli"]);

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
process.exit(r.status ?? 1);
