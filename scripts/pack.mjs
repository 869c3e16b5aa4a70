#!/usr/bin/env node
// Packs the publishable packages into one folder, as `npm publish` would ship them: @odradek/codec,
// @odradek/storage, @odradek/broker and odradek (the executable, and the in-process API for ESM and
// CommonJS). Builds first (tsc -b, the CLI bundle), then runs `pnpm pack` in each package, which rewrites
// `workspace:*` to the version. What each tarball holds is its package.json's "files": dist/ without
// build info and source maps, the codec's native/crc32c.c and scripts/build-native.mjs (its `install`
// script), the CLI's bin/ and one-file bundle (without a V8 code cache).
//
//   node scripts/pack.mjs [--out DIR]    (default: ./.packs); prints one tarball path a line
import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const i = process.argv.indexOf("--out");
const out = resolve(i > 0 ? process.argv[i + 1] : join(root, ".packs"));
export const PACKAGES = ["codec", "storage", "broker", "cli"];

function run(cmd, args, cwd = root) {
  const r = spawnSync(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
  if (r.status !== 0) {
    process.stderr.write(`pack: ${cmd} ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`})\n${r.stdout}${r.stderr}`);
    process.exit(1);
  }
  return r.stdout;
}

// pnpm itself when this runs under it (pnpm test), else pnpm 10 through npx.
const execPath = process.env.npm_execpath ?? "";
const pnpm = /pnpm/.test(execPath) ? [process.execPath, execPath] : ["npx", "-y", "pnpm@10"];

/** The bundle is missing, or a `tsc -b` build of a package it holds is newer (as bin/odradek.js checks). */
function bundleStale() {
  const bundle = join(root, "packages", "cli", "dist", "bundle", "odradek.cjs");
  const built = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs;
  if (built === undefined) return true;
  const infos = readFileSync(bundle, "latin1").split("\n", 1)[0].split(" ").slice(3);
  return infos.some((f) => (statSync(join(dirname(bundle), f), { throwIfNoEntry: false })?.mtimeMs ?? Infinity) > built);
}

// tsc -b writes nothing when up to date; the bundle is rebuilt only when stale (a rebuild also drops
// its V8 code cache, which a CLI test running at the same time may be waiting for).
run(process.execPath, [join(root, "node_modules", "typescript", "bin", "tsc"), "-b", "packages/cli"]);
if (bundleStale()) run(process.execPath, [join(root, "packages", "cli", "scripts", "bundle.mjs")]);
mkdirSync(out, { recursive: true });
for (const f of readdirSync(out)) if (f.endsWith(".tgz")) rmSync(join(out, f));
run(pnpm[0], [...pnpm.slice(1), "--recursive", ...PACKAGES.flatMap((p) => ["--filter", `./packages/${p}`]), "pack", "--pack-destination", out]);
for (const f of readdirSync(out).sort()) if (f.endsWith(".tgz")) console.log(join(out, f));
