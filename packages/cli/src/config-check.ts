/**
 * Unknown config keys. A key that is neither a broker config nor a topic config this broker knows
 * (@odradek/broker's BROKER_CONFIGS and TOPIC_CONFIGS) would be ignored silently; this names each one,
 * where it came from (`--set` or the `--config` file) and the nearest known name by edit distance,
 * when one is close enough to be a typo ("did you mean log.retention.ms?"). By default it is a warning
 * and the key is dropped before the broker starts; with `--strict-config` it is an error.
 */
import { BROKER_CONFIGS, TOPIC_CONFIGS } from "@odradek/broker";
import type { Logger } from "@odradek/broker";

const KNOWN: readonly string[] = [...new Set([...BROKER_CONFIGS.map((d) => d.name), ...TOPIC_CONFIGS.map((d) => d.name)])];
const KNOWN_SET = new Set(KNOWN);

/** Levenshtein distance (insert, delete, substitute: 1 each). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/**
 * The known config name nearest to `key`, or undefined when none is within a typo's reach: at most
 * a third of the key's length (so `log.retention.msx` finds `log.retention.ms`, while a real Kafka key
 * this broker does not use, such as `num.network.threads`, gets no misleading suggestion).
 */
export function nearestConfigName(key: string): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of KNOWN) {
    const d = editDistance(key, name);
    if (d < bestDistance) [best, bestDistance] = [name, d];
  }
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

export interface UnknownConfig {
  key: string;
  origin: string;
  suggestion: string | undefined;
}

export function unknownConfigs(config: ReadonlyMap<string, string>, origins: ReadonlyMap<string, string>): UnknownConfig[] {
  return [...config.keys()]
    .filter((key) => !KNOWN_SET.has(key))
    .map((key) => ({ key, origin: origins.get(key) ?? "config", suggestion: nearestConfigName(key) }));
}

export function describeUnknown(u: UnknownConfig): string {
  return `unknown config ${u.key} (${u.origin})${u.suggestion ? `: did you mean ${u.suggestion}?` : ""}`;
}

/**
 * Warns about each unknown key and drops it from `config` (so the broker does not warn again), or,
 * with `strict`, writes one error line naming them all and returns false (the caller exits 2).
 */
export function checkConfigKeys(config: Map<string, string>, origins: ReadonlyMap<string, string>, strict: boolean, log: Logger): boolean {
  const unknown = unknownConfigs(config, origins);
  if (unknown.length === 0) return true;
  if (strict) {
    process.stderr.write(`odradek: ${unknown.map(describeUnknown).join("; ")} (--strict-config)\n`);
    return false;
  }
  for (const u of unknown) {
    log.warn({ key: u.key }, `${describeUnknown(u)}; ignored`);
    config.delete(u.key);
  }
  return true;
}
