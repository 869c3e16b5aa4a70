export { parseArgs, USAGE, UsageError } from "./args.js";
export type { CliOptions } from "./args.js";
