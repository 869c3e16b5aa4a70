/**
 * The `odradek` package: the broker for in-process use (everything @odradek/broker exports, so
 * `import { startBroker } from "odradek"` is the one import a test needs), the CLI's entry `main`
 * and its argument parser. From CommonJS, `require("odradek")` loads the same exports from the one-file
 * bundle (scripts/bundle.mjs; package.json's "require" condition): the ES modules cannot be
 * require()d because the codec's lazy-modules.js awaits at its top level on Node.js without
 * require(esm), and require(esm) refuses any module graph with a top-level await.
 */
export * from "@odradek/broker";
export { main } from "./main.js";
export type { MainHooks } from "./main.js";
export { parseArgs, USAGE, UsageError, ConfigFileError } from "./args.js";
export type { CliOptions } from "./args.js";
