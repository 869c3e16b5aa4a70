#!/usr/bin/env node
// Builds the optional native modules (today: packages/codec/native/crc32c.c → native/build/crc32c.node,
// the CPU's CRC-32C instruction behind Node-API) with the system C compiler and Node's own headers.
// Optional: when no compiler or no headers are found, or the build fails, it says so in one line and
// exits 0 — the codec then uses @node-rs/crc32 or its TypeScript table. Skips an up-to-date build.
// Runs as this package's `install` script (so `npm install @odradek/codec` builds it too; npm runs it, and
// an install without a compiler still succeeds) and from the workspace root's `postinstall`.
// Env: CC (default cc), NODE_INCLUDE_DIR (where node_api.h is).
import { existsSync, mkdirSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = join(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(pkg, "native/crc32c.c");
const out = join(pkg, "native/build/crc32c.node");

const includeDirs = [process.env.NODE_INCLUDE_DIR, join(dirname(process.execPath), "..", "include", "node"), "/usr/include/node", "/usr/local/include/node"];
const include = includeDirs.find((d) => d && existsSync(join(d, "node_api.h")));
if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) process.exit(0);
if (!include) {
  console.log("build-native: Node's headers (node_api.h) not found; CRC-32C uses @node-rs/crc32");
  process.exit(0);
}
const cc = process.env.CC ?? "cc";
const flags = ["-O2", "-shared", "-fPIC", "-std=c11", `-I${include}`, "-o", out, src];
if (process.platform === "darwin") flags.unshift("-undefined", "dynamic_lookup");
if (process.arch === "arm64") flags.unshift("-march=armv8-a+crc");
mkdirSync(dirname(out), { recursive: true });
const r = spawnSync(cc, flags, { stdio: ["ignore", "pipe", "pipe"], encoding: "utf8" });
if (r.status !== 0) {
  const why = r.error ? r.error.message : (r.stderr || "").trim().split("\n")[0];
  console.log(`build-native: ${cc} failed (${why}); CRC-32C uses @node-rs/crc32`);
  process.exit(0);
}
console.log(`build-native: built ${out}`);
