/** The broker's clock is storage's (one Clock for both layers): see @odradek/storage's clock.ts. */
export { ManualClock, repeat, systemClock } from "@odradek/storage";
export type { Clock, Timer, TimerCallback } from "@odradek/storage";
