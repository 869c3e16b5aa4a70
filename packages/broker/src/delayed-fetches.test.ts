/** DelayedFetches: an append wakes exactly the fetches waiting on its partition, and no waiter is left behind. */
import { describe, expect, it } from "vitest";
import { ManualClock } from "./clock.js";
import { DelayedFetches } from "./delayed-fetches.js";

const FOREVER = 60_000;

describe("DelayedFetches", () => {
  it("wakes the waiters of the partition appended to, and only those", async () => {
    const d = new DelayedFetches(new ManualClock());
    const abort = new AbortController();
    const woken: string[] = [];
    const a = d.waitForAppend(FOREVER, abort.signal, [{ topic: "t", partition: 0 }, { topic: "u", partition: 1 }]).then(() => woken.push("a"));
    const b = d.waitForAppend(FOREVER, abort.signal, [{ topic: "t", partition: 1 }]).then(() => woken.push("b"));
    expect(d.waitingPartitions).toBe(3);
    d.notifyAppend("t", 2);
    d.notifyAppend("u", 1);
    await a;
    expect(woken).toEqual(["a"]);
    // a's other partition no longer holds it.
    expect(d.waitingPartitions).toBe(1);
    d.notifyAppend("t", 1);
    await b;
    expect(woken).toEqual(["a", "b"]);
    expect(d.waitingPartitions).toBe(0);
  });

  it("ends a wait when its signal aborts (at once when already aborted), leaving nothing behind", async () => {
    const d = new DelayedFetches(new ManualClock());
    const abort = new AbortController();
    const waiting = d.waitForAppend(FOREVER, abort.signal, [{ topic: "t", partition: 0 }]);
    expect(d.waitingPartitions).toBe(1);
    abort.abort();
    await waiting;
    expect(d.waitingPartitions).toBe(0);
    await d.waitForAppend(FOREVER, abort.signal, [{ topic: "t", partition: 0 }]);
    expect(d.waitingPartitions).toBe(0);
  });

  it("ends a wait after its time on the clock with no append", async () => {
    const clock = new ManualClock();
    const d = new DelayedFetches(clock);
    let done = false;
    const waiting = d.waitForAppend(30_000, new AbortController().signal, [{ topic: "t", partition: 0 }]).then(() => (done = true));
    clock.advance(29_999);
    await Promise.resolve();
    expect(done).toBe(false);
    clock.advance(1);
    await waiting;
    expect(d.waitingPartitions).toBe(0);
  });
});
