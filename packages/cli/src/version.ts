/**
 * `odradek --version`: the version of the `odradek` package (its package.json, one directory above
 * dist/; in the one-file bundle `import.meta.url` is still this module's dist/ URL, see
 * scripts/bundle.mjs) and the Node.js that runs it.
 */
import { readFileSync } from "node:fs";

export function versionLine(): string {
  let version = "unknown";
  try {
    version = (JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version?: string }).version ?? version;
  } catch {
    // a copy of dist/ without its package.json: still answer
  }
  return `odradek ${version} (Node.js ${process.version}, ${process.platform}-${process.arch})`;
}
