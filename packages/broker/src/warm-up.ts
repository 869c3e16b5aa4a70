/**
 * Background loading (the CLI starts it after its ready line) of the codec modules of every API the broker serves (and
 * of the data schemas'). Each module otherwise loads on the first request of its API, and loading from
 * dist/ opens a file: with thousands of partitions the process can be out of descriptors by then
 * (EMFILE), and a Produce would fail for want of its codec. One module per setImmediate, so requests
 * that arrive meanwhile wait for at most one module (1-2 ms from dist/, well under 1 ms in the bundle).
 * A failure is logged and ends the warm-up; that module loads again on first use.
 */
import { loadApiModule, loadDataSchemaModules } from "@odradek/codec";
import type { Logger } from "./logger.js";

export function warmUpCodecModules(apiKeys: Iterable<number>, log: Pick<Logger, "warn">, onDone?: () => void): void {
  const keys = [...new Set(apiKeys)].sort((a, b) => a - b);
  let i = 0;
  const step = (): void => {
    try {
      if (i < keys.length) loadApiModule(keys[i++]!);
      else {
        loadDataSchemaModules();
        onDone?.();
        return;
      }
    } catch (err) {
      log.warn({ err: String(err), apiKey: keys[i - 1] }, "could not load a codec module ahead of use");
      return;
    }
    // Not unref()'d: an unref'd immediate does not run while the loop only waits for I/O.
    setImmediate(step);
  };
  setImmediate(step);
}
