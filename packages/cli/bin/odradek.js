#!/usr/bin/env node
// Runs the CLI (src/main.ts). When the build made the one-file bundle (scripts/bundle.mjs,
// dist/bundle/odradek.cjs), it is compiled here through vm.Script with a V8 code cache beside it:
// a cold start then reads two files instead of ~85 ES modules and compiles almost nothing. Without the
// bundle (an install without esbuild), or when it is older than a `tsc -b` build of one of the packages
// it holds (a build without the bundle script: the bundle would run stale code), dist/main.js runs as
// ES modules.
//
// Code cache: dist/bundle/odradek.<bundle hash>.<node version>-<arch>.v8cache, written (temp file +
// rename, so concurrent starts cannot tear it) after the first start that found none or had it
// rejected by V8, once the ready line is out and the served APIs' codecs are loaded, so it holds the
// compiled start-up path and those codecs. It is only an accelerator: any failure to read or write it
// is ignored. The bundle's first line carries its content hash; a rebuilt bundle gets a new cache name
// and the bundle script removes old caches.
import { readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Script } from "node:vm";

const argv = process.argv.slice(2);
const bundleUrl = new URL("../dist/bundle/odradek.cjs", import.meta.url);
let source;
let header;
try {
  source = readFileSync(bundleUrl, "latin1");
  // Line 1: `// odradek-bundle <hash> <build-info files, relative to the bundle>` (scripts/bundle.mjs).
  header = source.slice(0, source.indexOf("\n")).split(" ");
  const built = statSync(bundleUrl).mtimeMs;
  for (const info of header.slice(3)) {
    if (statSync(new URL(info, bundleUrl), { throwIfNoEntry: false })?.mtimeMs > built) source = undefined;
  }
} catch {
  source = undefined;
}

if (source === undefined) {
  const { main } = await import("../dist/main.js");
  await main(argv);
} else {
  const bundlePath = fileURLToPath(bundleUrl);
  const dir = dirname(bundlePath);
  const hash = header[1] === "odradek-bundle" ? header[2] : "nohash";
  const cachePath = `${dir}/odradek.${hash}.${process.version}-${process.arch}.v8cache`;
  let cachedData;
  try {
    cachedData = readFileSync(cachePath);
  } catch {
    cachedData = undefined;
  }
  // The bundle is pure ASCII (scripts/bundle.mjs escapes the rest), so latin1 decodes it exactly and
  // gives V8 a one-byte string.
  const script = new Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundlePath,
    cachedData,
  });
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundlePath), module, bundlePath, dir);
  const writeCache = cachedData === undefined || script.cachedDataRejected === true;
  await module.exports.main(argv, {
    afterWarmUp: writeCache
      ? () => {
          try {
            const tmp = `${cachePath}.${process.pid}.tmp`;
            writeFileSync(tmp, script.createCachedData());
            renameSync(tmp, cachePath);
          } catch {
            // read-only install: start without a cache
          }
        }
      : undefined,
  });
}
