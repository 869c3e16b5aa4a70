/**
 * Stops the broker when the package-manager launcher that started it goes away.
 *
 * `npx pnpm@10 exec odradek` runs four processes: npm (npx) → `sh -c pnpm …` → pnpm → odradek. SIGTERM
 * to npx reaches the shell, which dies without passing it on; pnpm is re-parented to init and the broker
 * goes on listening, owned by nobody. So at start the broker notes the chain of launcher processes above
 * it (npm, npx, pnpm, yarn, corepack, and `sh -c` wrappers between them) with each one's start time,
 * and checks every 500 ms that each still runs; when one is gone (or its pid now names another
 * process), the broker stops as on SIGTERM. A broker started any other way (directly, by a shell, by
 * systemd, by a test) has no launcher above it and watches nothing, so it keeps running when its
 * parent exits, as a daemon should.
 *
 * Linux only (reads /proc/<pid>/stat and cmdline); elsewhere nothing is watched.
 */
import { readFileSync } from "node:fs";
import { basename } from "node:path";

interface ProcessInfo {
  ppid: number;
  /** Field 22 of /proc/<pid>/stat: start time in clock ticks since boot. */
  start: string;
  argv: string[];
}

function readProcess(pid: number): ProcessInfo | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "latin1");
    // Fields after the command name (which may hold spaces and ends at the last ')'), from field 3.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const argv = readFileSync(`/proc/${pid}/cmdline`, "latin1")
      .split("\0")
      .flatMap((a) => a.trim().split(/\s+/))
      .filter((a) => a.length > 0);
    // A zombie (state Z) has exited already.
    return { ppid: Number(fields[1]), start: fields[0] === "Z" ? "exited" : (fields[19] ?? ""), argv };
  } catch {
    return null;
  }
}

const LAUNCHERS = new Set(["npm", "npx", "pnpm", "yarn", "corepack", "npm-cli.js", "npx-cli.js", "pnpm.cjs", "pnpm.js", "pnpm.mjs", "yarn.js", "yarn.cjs"]);
const SHELLS = new Set(["sh", "bash", "dash", "zsh"]);

const name = (arg: string | undefined): string => basename((arg ?? "").replace(/^['"]|['"]$/g, ""));

/** A launcher: its command, or the script node runs, is a package manager's (npm retitles itself "npm exec …"). */
function isLauncher(argv: readonly string[]): boolean {
  const first = name(argv[0]);
  if (LAUNCHERS.has(first)) return true;
  return /^node(js)?(\d+)?$/.test(first) && LAUNCHERS.has(name(argv[1]));
}

const isShellWrapper = (argv: readonly string[]): boolean => SHELLS.has(name(argv[0])) && argv[1] === "-c";

/** The launcher chain above `pid` (nearest first), each with its start time; empty when there is none. */
export function launcherChain(pid = process.pid): { pid: number; start: string }[] {
  const chain: { pid: number; start: string; launcher: boolean }[] = [];
  let ppid = readProcess(pid)?.ppid ?? 0;
  while (ppid > 1 && chain.length < 16) {
    const p = readProcess(ppid);
    if (!p) break;
    const launcher = isLauncher(p.argv);
    if (!launcher && !isShellWrapper(p.argv)) break;
    chain.push({ pid: ppid, start: p.start, launcher });
    ppid = p.ppid;
  }
  // Shells above the topmost launcher are the user's, not the launcher's.
  while (chain.length > 0 && !chain[chain.length - 1]!.launcher) chain.pop();
  return chain.map(({ pid, start }) => ({ pid, start }));
}

/** Calls `onGone(pid)` once when a process of the launcher chain exits. Returns a stop function. */
export function watchLauncher(onGone: (pid: number) => void, intervalMs = 500): () => void {
  const chain = launcherChain();
  if (chain.length === 0) return () => {};
  const timer = setInterval(() => {
    for (const p of chain) {
      if (readProcess(p.pid)?.start !== p.start) {
        clearInterval(timer);
        onGone(p.pid);
        return;
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
