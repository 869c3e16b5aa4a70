/**
 * Time as a dependency (Kafka's `Time`/`Scheduler`, franz-go kfake's fake clock). Every "now" and every
 * timer in storage and the broker comes from one Clock: the LogManager's schedulers (retention,
 * flush, checkpoints, cleaner, producer-id expiry), LogAppendTime and `segment.ms`, Fetch and
 * ShareFetch `max_wait_ms`, fetch-session eviction and the coordinators' timers. Tests pass a
 * ManualClock and move it with `advance(ms)`, so a week of retention runs in milliseconds.
 *
 * Invariants: `now()` never goes backwards; a timer fires at most once, never before its due time,
 * and timers due at the same time fire in the order they were set. System timers are unref'd: a
 * pending timer never keeps the process alive. A callback may return a promise (a scheduler doing
 * I/O); it must not reject (the callback handles its own errors). `ManualClock.advanceAsync` waits
 * for it before the next timer fires; the system clock does not wait.
 */
export interface Timer {
  cancel(): void;
}

/** A timer callback; a promise it returns is awaited by `ManualClock.advanceAsync` only (any other value is ignored). */
export type TimerCallback = () => unknown;

export interface Clock {
  now(): number;
  setTimeout(fn: TimerCallback, ms: number): Timer;
}

/** Node's timers take at most 2^31-1 ms; a longer delay fires at once, so it is clamped. */
const MAX_TIMER_MS = 0x7fffffff;

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(() => void fn(), Math.min(MAX_TIMER_MS, Math.max(0, ms)));
    t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

/**
 * Runs `fn` every `ms` on `clock` until cancelled, built on one-shot timers: the next run is set when
 * a run starts, so on a ManualClock the runs fall at start + ms, start + 2ms, … exactly. A run that
 * is still going when the next comes due is the caller's to skip (see LogManager's schedulers).
 */
export function repeat(clock: Clock, ms: number, fn: TimerCallback): Timer {
  let cancelled = false;
  const fire = (): unknown => {
    if (cancelled) return;
    timer = clock.setTimeout(fire, ms);
    return fn();
  };
  let timer = clock.setTimeout(fire, ms);
  return {
    cancel() {
      cancelled = true;
      timer.cancel();
    },
  };
}

interface ManualTimer {
  at: number;
  seq: number;
  fn: TimerCallback;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to; `advance` fires the timers that come due, in order. It starts
 * at the system time unless told otherwise (as Kafka's MockTime): records a client stamps with the
 * real time are then not "in the future" of a broker on this clock (message.timestamp.after.max.ms).
 */
export class ManualClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = Date.now()) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: TimerCallback, ms: number): Timer {
    const t: ManualTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(t);
    return { cancel: () => void (t.cancelled = true) };
  }

  /**
   * Moves time forward by `ms`, firing every timer due on the way at its own time (now() reads that
   * time inside the callback), including timers set by callbacks that come due within the window.
   * Promises the callbacks return are not awaited (see advanceAsync): a scheduler doing I/O that comes
   * due many times in one synchronous advance runs once (the LogManager skips a run while one is going).
   */
  advance(ms: number): void {
    const end = this.current + ms;
    for (let t = this.nextDue(end); t; t = this.nextDue(end)) void t.fn();
    this.current = end;
  }

  /** advance, awaiting each callback's promise before the next timer fires (schedulers doing I/O). */
  async advanceAsync(ms: number): Promise<void> {
    const end = this.current + ms;
    for (let t = this.nextDue(end); t; t = this.nextDue(end)) await t.fn();
    this.current = end;
  }

  /** The earliest timer due by `end` (set order among equals), marked fired, with the clock moved to it. */
  private nextDue(end: number): ManualTimer | undefined {
    this.timers = this.timers.filter((t) => !t.cancelled);
    let next: ManualTimer | undefined;
    for (const t of this.timers) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
    if (!next) return undefined;
    this.current = Math.max(this.current, next.at);
    next.cancelled = true;
    return next;
  }

  /** Timers not yet fired or cancelled (for tests). */
  get pending(): number {
    return this.timers.filter((t) => !t.cancelled).length;
  }
}
