import { describe, it, expect } from "vitest";
import type { Logger } from "./logger.js";
import { LazyChildLogger } from "./logger.js";

/** A logger recording each line with the bindings of the child that wrote it. */
function recording(lines: unknown[][], children: Record<string, unknown>[], bindings: Record<string, unknown> = {}): Logger {
  const at = (level: string) => (obj: object | string, msg?: string) => void lines.push([level, bindings, obj, msg]);
  return {
    trace: at("trace"),
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    fatal: at("fatal"),
    child(b) {
      children.push(b);
      return recording(lines, children, { ...bindings, ...b });
    },
  };
}

describe("LazyChildLogger", () => {
  it("makes the child at its first line, then logs every level through it as parent.child would", () => {
    const lines: unknown[][] = [];
    const children: Record<string, unknown>[] = [];
    const log = new LazyChildLogger(recording(lines, children), { topic: "t", partition: 3 });
    expect(children).toEqual([]);
    log.info({ segment: 0 }, "rolled");
    log.warn("plain");
    log.trace({ a: 1 });
    for (const level of ["debug", "error", "fatal"] as const) log[level]({ level }, level);
    expect(children).toEqual([{ topic: "t", partition: 3 }]);
    const b = { topic: "t", partition: 3 };
    expect(lines).toEqual([
      ["info", b, { segment: 0 }, "rolled"],
      ["warn", b, "plain", undefined],
      ["trace", b, { a: 1 }, undefined],
      ["debug", b, { level: "debug" }, "debug"],
      ["error", b, { level: "error" }, "error"],
      ["fatal", b, { level: "fatal" }, "fatal"],
    ]);
    log.child({ segment: 5 }).info("nested");
    expect(lines.at(-1)).toEqual(["info", { ...b, segment: 5 }, "nested", undefined]);
  });
});
