import { API_DEFINITIONS, isApiModuleLoaded } from "@odradek/codec";
import { describe, expect, it } from "vitest";
import { warmUpCodecModules } from "./warm-up.js";

describe("warmUpCodecModules", () => {
  it("loads the given APIs' codec modules in later turns of the event loop, then calls back", async () => {
    // Two APIs no other test in this file touches: DescribeAcls (29) and DescribeQuorum (55).
    const keys = [29, 55].filter((k) => API_DEFINITIONS[k] !== undefined);
    expect(keys).toEqual([29, 55]);
    const warnings: (object | string)[] = [];
    const done = new Promise<void>((resolve) => warmUpCodecModules([55, 29, 55], { warn: (o) => warnings.push(o) }, resolve));
    expect(keys.map(isApiModuleLoaded)).toEqual([false, false]); // nothing on the caller's turn
    await done;
    expect(keys.map(isApiModuleLoaded)).toEqual([true, true]);
    expect(warnings).toEqual([]);
  });

  it("skips a key without an API", async () => {
    const warnings: (object | string)[] = [];
    await new Promise<void>((resolve) => warmUpCodecModules([-1], { warn: (o) => warnings.push(o) }, resolve));
    expect(warnings).toEqual([]);
  });
});
