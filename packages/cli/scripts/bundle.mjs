#!/usr/bin/env node
// Builds dist/bundle/odradek.cjs: the CLI with the broker, storage and codec packages (dist/ output of
// `tsc -b`) and fastq in one CommonJS file, which bin/odradek.js runs through vm.Script with a V8 code
// cache when it is present (a cold start reads and compiles one file instead of ~85 ES modules).
// Run by the root `build` and `postinstall` scripts after tsc. Without esbuild (an install without
// dev dependencies) it prints a note and exits 0, and bin/odradek.js runs dist/main.js instead.
//
//   node packages/cli/scripts/bundle.mjs [--minify] [--outfile PATH]   (both for experiments)
//
// What the bundle changes, and why it stays correct:
//   - codec/dist/generated/lazy-modules.js is replaced by lazy-modules.bundled.js (generated beside it):
//     literal require() calls that esbuild resolves, so each API's codec is still evaluated on first
//     use, from inside the bundle (no file to open later, so no EMFILE either).
//   - `import.meta.url` of each module becomes the URL of that module's original dist/ file, found at
//     run time: the file's path inside its package, joined to the directory of that package as the
//     bundle's require() resolves `<package>/package.json` (the bundle's own package: two levels up).
//     createRequire() therefore resolves optional and native dependencies (snappy, lz4-napi,
//     @mongodb-js/zstd, fzstd, @node-rs/crc32, native/build/crc32c.node) exactly as unbundled, in the
//     workspace and in an npm install alike (node_modules/odradek beside node_modules/@odradek/codec).
//   - The entry is dist/index.js: `main` for bin/odradek.js, and the whole public API, so the bundle is
//     also the package's CommonJS entry (`require("odradek")`).
//   - Line 1 is `// odradek-bundle <sha256 prefix of the rest> <tsbuildinfo files>`: bin/odradek.js names
//     the code cache after the hash, so a rebuilt bundle never meets an old cache (old caches are
//     removed here), and it runs dist/main.js instead when one of those `tsc -b` build-info files
//     (one per package the bundle takes code from, relative to the bundle) is newer than the bundle:
//     after a `tsc -b` without this script the bundle would be stale.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const cliDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outIndex = process.argv.indexOf("--outfile");
const outFile = outIndex > 0 ? resolve(process.argv[outIndex + 1]) : join(cliDir, "dist", "bundle", "odradek.cjs");
const outDir = dirname(outFile);

let esbuild;
try {
  esbuild = await import("esbuild");
} catch {
  console.log("odradek bundle: esbuild is not installed; bin/odradek.js will run dist/main.js");
  process.exit(0);
}

const FILE_URL_FN = "__odradekModuleUrl";
const ownPackage = JSON.parse(readFileSync(join(cliDir, "package.json"), "utf8")).name;
/** The package a dist/ file belongs to (nearest package.json above it) and the file's path inside it. */
function packageOf(file) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    let name;
    try {
      name = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name;
    } catch {
      continue;
    }
    return { name, rel: relative(dir, file).split("\\").join("/") };
  }
  throw new Error(`odradek bundle: no package.json above ${file}`);
}
// Built-in modules that some module of the bundle imports at its top but that a start does not always
// need: the bundle gets a stand-in with one getter per export, which loads the real module on first
// access (esbuild's CommonJS output reads an import's properties at use, never at load). node:crypto
// is ~5 ms to load and node:fs/promises ~2 ms; --memory never touches the latter.
const LAZY_BUILTINS = ["node:crypto", "node:fs/promises"];
const require = createRequire(import.meta.url);
const bundlePlugin = {
  name: "odradek-bundle",
  setup(build) {
    build.onResolve({ filter: /^\.\/lazy-modules\.js$/ }, (args) => {
      if (!args.importer.includes(`${join("codec", "dist", "generated")}`)) return undefined;
      return { path: join(args.resolveDir, "lazy-modules.bundled.js") };
    });
    build.onResolve({ filter: /^node:/ }, (args) => {
      if (!LAZY_BUILTINS.includes(args.path)) return undefined;
      if (args.namespace === "lazy-builtin") return { path: args.path, external: true };
      return { path: args.path, namespace: "lazy-builtin" };
    });
    build.onLoad({ filter: /.*/, namespace: "lazy-builtin" }, (args) => {
      const names = Object.keys(require(args.path)).filter((k) => k !== "default");
      const contents = [
        `let m;`,
        `const load = () => (m ??= require(${JSON.stringify(args.path)}));`,
        `for (const k of ${JSON.stringify(names)}) Object.defineProperty(exports, k, { enumerable: true, get: () => load()[k] });`,
        `Object.defineProperty(exports, "default", { enumerable: true, get: load });`,
      ].join("\n");
      return { contents, loader: "js", resolveDir: cliDir };
    });
    build.onLoad({ filter: /\.js$/ }, (args) => {
      const text = readFileSync(args.path, "utf8");
      if (!text.includes("import.meta.url")) return undefined;
      const { name, rel } = packageOf(args.path);
      return { contents: text.replaceAll("import.meta.url", `${FILE_URL_FN}(${JSON.stringify(name)}, ${JSON.stringify(rel)})`), loader: "js" };
    });
  },
};

const result = await esbuild.build({
  entryPoints: [join(cliDir, "dist", "index.js")],
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  write: false,
  minify: process.argv.includes("--minify"),
  legalComments: "none",
  charset: "ascii",
  logLevel: "warning",
  banner: {
    js: [
      `var __odradekPackageDirs = new Map();`,
      `function ${FILE_URL_FN}(pkg, rel) {`,
      `  const path = require("node:path");`,
      `  let dir = __odradekPackageDirs.get(pkg);`,
      `  if (dir === undefined) {`,
      `    dir = pkg === ${JSON.stringify(ownPackage)} ? path.join(__dirname, "..", "..") : path.dirname(require.resolve(pkg + "/package.json"));`,
      `    __odradekPackageDirs.set(pkg, dir);`,
      `  }`,
      `  return require("node:url").pathToFileURL(path.join(dir, rel)).href;`,
      `}`,
    ].join("\n"),
  },
  plugins: [bundlePlugin],
  metafile: true,
});
const buildInfos = new Set();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = /^(.*\/packages\/[^/]+\/dist)\//.exec(resolve(input.replace(/^[a-z-]+:/, "")));
  if (m) buildInfos.add(relative(outDir, join(m[1], ".tsbuildinfo")).split("\\").join("/"));
}
// esbuild escapes non-ASCII characters in code (charset "ascii") but keeps some comments as written;
// escaping those too keeps the file ASCII, which bin/odradek.js reads as latin1 (a one-byte string).
const body = result.outputFiles[0].text.replace(/[^\x00-\x7f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
const hash = createHash("sha256").update(body).digest("hex").slice(0, 16);
mkdirSync(outDir, { recursive: true });
for (const f of readdirSync(outDir)) if (f.endsWith(".v8cache")) rmSync(join(outDir, f), { force: true });
writeFileSync(outFile, `// odradek-bundle ${hash} ${[...buildInfos].sort().join(" ")}\n${body}`);
console.log(`odradek bundle: ${relative(process.cwd(), outFile)} (${Math.round(body.length / 1024)} KiB, ${hash})`);
