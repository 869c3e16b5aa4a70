import { describe, expect, it } from "vitest";
import { assign } from "./assignors.js";
import type { Assignment } from "./consumer-group.js";

const T = "topic-a";
const owned = (...ps: number[]): Assignment => new Map([[T, new Set(ps)]]);
const counts = (out: Map<string, Assignment>) => Object.fromEntries([...out].map(([m, a]) => [m, a.get(T)?.size ?? 0]));
const partitionsOf = (out: Map<string, Assignment>) => [...out.values()].flatMap((a) => [...(a.get(T) ?? [])]).sort((x, y) => x - y);
const members = (...ids: string[]) => ids.map((memberId) => ({ memberId, topics: [T] }));

describe("uniform assignor", () => {
  it("a third member joining two that hold 2 of 4 partitions each gets one (2/1/1, as Kafka's UniformAssignor)", () => {
    const out = assign("uniform", { members: members("a", "b", "c"), partitions: new Map([[T, 4]]), previous: new Map([["a", owned(0, 1)], ["b", owned(2, 3)]]) });
    expect(Object.values(counts(out)).sort()).toEqual([1, 1, 2]);
    expect(counts(out).c).toBe(1);
    expect(partitionsOf(out)).toEqual([0, 1, 2, 3]);
    // Sticky within the balance: a keeps both (the one extra place), b keeps one of its own.
    expect([...out.get("a")!.get(T)!]).toEqual([0, 1]);
    expect(out.get("b")!.get(T)!.has(2)).toBe(true);
  });

  it("never leaves two members more than one partition apart, whatever they held", () => {
    for (let n = 1; n <= 13; n++) {
      for (let m = 1; m <= 5; m++) {
        const ids = Array.from({ length: m }, (_, i) => `m${i}`);
        // Everything was held by the first member before the others joined.
        const out = assign("uniform", { members: members(...ids), partitions: new Map([[T, n]]), previous: new Map([["m0", owned(...Array.from({ length: n }, (_, p) => p))]]) });
        const c = Object.values(counts(out));
        expect(Math.max(...c) - Math.min(...c), `${n} partitions, ${m} members`).toBeLessThanOrEqual(1);
        expect(partitionsOf(out)).toEqual(Array.from({ length: n }, (_, p) => p));
      }
    }
  });

  it("moves nothing when the previous target is already balanced", () => {
    const previous = new Map([["a", owned(0, 3)], ["b", owned(1, 4)], ["c", owned(2)]]);
    const out = assign("uniform", { members: members("a", "b", "c"), partitions: new Map([[T, 5]]), previous });
    for (const [m, a] of previous) expect(out.get(m)).toEqual(a);
  });
});
