#!/usr/bin/env node
// On Node.js 22.1+ V8's compiled code for these modules is kept on disk between runs
// (module.enableCompileCache: a faster second start); Node.js 20 has no such cache for ES modules.
import module from "node:module";

module.enableCompileCache?.();
await import("../dist/main.js");
