// Types of api-versions.mjs (a plain ESM module of the compat runner), for the tests that import it.

/** One line of BrokerApiVersionsCommand's output; minVersion/maxVersion are null for UNSUPPORTED. */
export interface ToolApi {
  name: string;
  apiKey: number;
  minVersion: number | null;
  maxVersion: number | null;
  usable?: string | null;
}

export interface SkippedReasons {
  /** API key → "Label: Name" from the ledger's "Whole APIs not advertised" bullets. */
  notServed: Map<number, string>;
  /** API key → the bullets of that API's own section that mention a version. */
  versions: Map<number, string[]>;
}

export interface ApiVersionsRow {
  apiKey: number;
  name: string;
  kafka: string;
  odradek: string;
  failure: string | null;
  reason: string | null;
}

export interface ApiVersionsComparison {
  rows: ApiVersionsRow[];
  failures: ApiVersionsRow[];
  same: number[];
}

export const SKIPPED_MD: string;
export function parseBrokerApiVersions(text: string): ToolApi[];
export function skippedReasons(file?: string): SkippedReasons;
export function compareApiVersions(odradek: readonly ToolApi[], kafka: readonly ToolApi[], reasons?: SkippedReasons): ApiVersionsComparison;
export function judgeApiVersions(
  odr: { apis: ToolApi[] },
  kafka: { apis: ToolApi[] },
  options: { outDir: string; command: string; odradekVersion: string; kafkaVersion: string },
): { status: "PASS" | "FAIL"; reason: string };
