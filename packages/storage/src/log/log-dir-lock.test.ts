/**
 * The data directory's `.lock` against real processes: held while its holder runs, taken over when the
 * holder died or its pid now names another process, refused to a second lock in the same process.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { LOCK_FILE, LogDirError, LogDirLockedError, lockLogDir } from "./log-dir-lock.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), "odradek-lock-"));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const bootId = (): string => {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "latin1").trim();
  } catch {
    return "-";
  }
};
const startOf = (pid: number): string => {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, "latin1");
    return s.slice(s.lastIndexOf(")") + 2).split(" ")[19]!;
  } catch {
    return "-";
  }
};

/** A live process other than this one, killed after `fn`. */
async function withOtherProcess(fn: (pid: number) => void | Promise<void>): Promise<void> {
  const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
  await new Promise((r) => child.once("spawn", r));
  try {
    await fn(child.pid!);
  } finally {
    child.kill("SIGKILL");
  }
}

describe("lockLogDir", () => {
  it("writes the holder line, refuses a second lock in the same process, and removes .lock on release", () => {
    const lock = lockLogDir(root);
    const line = readFileSync(join(root, LOCK_FILE), "latin1");
    expect(line).toBe(`${process.pid} ${startOf(process.pid)} ${bootId()} ${hostname()}\n`);
    expect(() => lockLogDir(root)).toThrow(LogDirLockedError);
    lock.release();
    expect(existsSync(join(root, LOCK_FILE))).toBe(false);
    lockLogDir(root).release();
  });

  it("a live holder keeps it: the error names the directory, the pid and the lock", async () => {
    await withOtherProcess((pid) => {
      writeFileSync(join(root, LOCK_FILE), `${pid} ${startOf(pid)} ${bootId()} ${hostname()}\n`);
      expect(() => lockLogDir(root)).toThrow(new RegExp(`${root} is locked by process ${pid}: .*${LOCK_FILE}`));
    });
  });

  it("is taken over when the holder died (kill -9), its pid names another process, or the file is garbage", async () => {
    const dead = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
    await new Promise((r) => dead.once("exit", r));
    const stale = [
      `${dead.pid} 12345 ${bootId()} ${hostname()}\n`, // died
      `${process.pid} 1 ${bootId()} ${hostname()}\n`, // an earlier process with our pid (container restart)
      "",
      "garbage\n",
    ];
    await withOtherProcess((pid) => {
      stale.push(`${pid} 1 ${bootId()} ${hostname()}\n`); // pid reused by a process that started later
    });
    for (const text of stale) {
      writeFileSync(join(root, LOCK_FILE), text);
      const warned: object[] = [];
      const lock = lockLogDir(root, { warn: (o) => warned.push(o) });
      expect(readFileSync(join(root, LOCK_FILE), "latin1")).toMatch(new RegExp(`^${process.pid} `));
      expect(warned).toHaveLength(1);
      lock.release();
    }
  });

  it("a lock written on another host counts as held", () => {
    writeFileSync(join(root, LOCK_FILE), `4242 1 - elsewhere.example\n`);
    expect(() => lockLogDir(root)).toThrow(/locked by process 4242 on host elsewhere.example/);
  });

  it("creates missing parents; a file in the way is a LogDirError naming it", () => {
    lockLogDir(join(root, "a", "b", "c")).release();
    writeFileSync(join(root, "f"), "");
    expect(() => lockLogDir(join(root, "f"))).toThrow(LogDirError);
    expect(() => lockLogDir(join(root, "f"))).toThrow(`data directory ${join(root, "f")}: is a file, not a directory`);
  });
});
