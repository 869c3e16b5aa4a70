import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createJsonLogger } from "./logger.js";
import type { LevelName } from "./logger.js";

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function capture(level: LevelName, use: (log: ReturnType<typeof createJsonLogger>) => void): Record<string, unknown>[] {
  dir = mkdtempSync(join(tmpdir(), "odradek-logger-"));
  const file = join(dir, "log");
  const fd = openSync(file, "w");
  try {
    use(createJsonLogger({ level, name: "odradek", fd }));
  } finally {
    closeSync(fd);
  }
  const text = readFileSync(file, "utf8");
  expect(text.endsWith("\n") || text === "").toBe(true);
  return text.split("\n").filter((l) => l).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe("createJsonLogger (pino's line format)", () => {
  it("writes level, time, name, bindings, fields and msg in pino's order", () => {
    const [line] = capture("info", (log) => log.child({ connection: 3 }).info({ apiKey: 18 }, "request"));
    expect(Object.keys(line!)).toEqual(["level", "time", "name", "connection", "apiKey", "msg"]);
    expect(line).toMatchObject({ level: 30, name: "odradek", connection: 3, apiKey: 18, msg: "request" });
    expect(typeof line!["time"]).toBe("number");
  });

  it("drops lines below the level; 'silent' writes nothing", () => {
    const lines = capture("warn", (log) => {
      log.debug("no");
      log.info({ a: 1 }, "no");
      log.warn("yes");
      log.fatal({ b: 2 }, "yes");
    });
    expect(lines.map((l) => [l["level"], l["msg"]])).toEqual([
      [40, "yes"],
      [60, "yes"],
    ]);
    expect(capture("silent", (log) => log.fatal("x"))).toEqual([]);
  });

  it("serializes errors as pino does, bigints as numbers, cycles as [Circular]", () => {
    const cause = new Error("root");
    const err = Object.assign(new TypeError("bad", { cause }), { code: "E_X" });
    const cyclic: Record<string, unknown> = { n: 1 };
    cyclic["self"] = cyclic;
    const [a, b, c, d] = capture("trace", (log) => {
      log.error({ err }, "failed");
      log.error(err);
      log.info({ offset: 12n, huge: 2n ** 70n });
      log.info({ cyclic });
    });
    expect(a!["err"]).toMatchObject({ type: "TypeError", message: "bad", code: "E_X", cause: { type: "Error", message: "root" } });
    expect(String((a!["err"] as { stack: string }).stack)).toContain("TypeError: bad");
    expect(b).toMatchObject({ msg: "bad", err: { type: "TypeError", message: "bad" } });
    expect(c).toMatchObject({ offset: 12, huge: (2n ** 70n).toString() });
    expect(c!["msg"]).toBeUndefined();
    expect(d!["cyclic"]).toEqual({ n: 1, self: "[Circular]" });
  });
});
