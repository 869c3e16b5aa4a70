import { describe, it, expect } from "vitest";
import fastq from "fastq";
import { SerialQueue } from "./serial-queue.js";

interface Queue {
  push<T>(task: () => Promise<T>): Promise<T>;
  idle(): boolean;
}

/** Pushes tasks that resolve, reject and queue more, and records when each starts, ends and is answered. */
async function scenario(q: Queue): Promise<string[]> {
  const events: string[] = [];
  const task = (name: string, fail = false) => async (): Promise<string> => {
    events.push(`start ${name} idle=${q.idle()}`);
    await Promise.resolve();
    await new Promise((r) => setImmediate(r));
    events.push(`end ${name}`);
    if (fail) throw new Error(name);
    return name;
  };
  const answered = (p: Promise<string>): Promise<void> =>
    p.then(
      (v) => void events.push(`answered ${v} idle=${q.idle()}`),
      (e: Error) => void events.push(`failed ${e.message} idle=${q.idle()}`),
    );
  events.push(`idle=${q.idle()}`);
  const a = answered(q.push(task("a")));
  events.push(`pushed a idle=${q.idle()}`);
  const b = answered(q.push(task("b", true)));
  const c = answered(
    q.push(async () => {
      events.push("start c");
      // Queued from inside a task: runs after everything queued before it.
      void answered(q.push(task("e")));
      return "c";
    }),
  );
  const d = answered(q.push(task("d")));
  await Promise.all([a, b, c, d]);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
  events.push(`idle=${q.idle()}`);
  // Not awaited and rejected: no unhandled rejection (vitest fails the run on one).
  void q.push(async () => {
    throw new Error("nobody listens");
  });
  await new Promise((r) => setImmediate(r));
  events.push(`after unawaited idle=${q.idle()}`);
  return events;
}

describe("SerialQueue", () => {
  it("runs tasks one at a time in push order; a failure fails its own task only", async () => {
    const events = await scenario(new SerialQueue());
    expect(events.slice(0, 3)).toEqual(["idle=true", "start a idle=false", "pushed a idle=false"]);
    expect(events.filter((e) => e.startsWith("start")).map((e) => e.split(" ")[1])).toEqual(["a", "b", "c", "d", "e"]);
    expect(events).toContain("failed b idle=false");
    // Each task ends before the next starts.
    for (const [x, y] of [["a", "b"], ["b", "c"], ["d", "e"]] as const) {
      expect(events.indexOf(`end ${x}`)).toBeLessThan(events.findIndex((e) => e.startsWith(`start ${y}`)));
    }
    expect(events.at(-2)).toBe("idle=true");
    expect(events.at(-1)).toBe("after unawaited idle=true");
  });

  it("orders starts and answers exactly as the fastq promise queue it replaced", async () => {
    const viaFastq = await scenario(fastq.promise((task: () => Promise<unknown>) => task(), 1) as Queue);
    expect(await scenario(new SerialQueue())).toEqual(viaFastq);
  });
});
