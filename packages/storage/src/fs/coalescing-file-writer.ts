/**
 * CoalescingFileWriter: the one writer of a small state file that is rewritten whole (the offset
 * checkpoints, `odradek-metadata.json`).
 *
 * Invariants:
 * - At most one write of the file is in flight, so its temp file (`<path>.tmp`) is never shared
 *   between two writes, and a write never renames a temp file another write is still filling.
 * - `request()` resolves once a write that *started after the call* is durable (temp file fsynced,
 *   renamed, directory fsynced). The contents are rendered when that write starts, from the state at
 *   that moment, so the newest state wins: requests that arrive while a write runs are served together
 *   by the next one, and an older snapshot can never be written after a newer one.
 * - A failed write rejects the requests it served and nothing else; the next request tries again.
 */
import type { FileSystem } from "./file-system.js";
import { writeFileAtomic } from "./file-system.js";

export class CoalescingFileWriter {
  /** Requests not yet served by a write that started after them. */
  private waiting: { resolve: () => void; reject: (e: unknown) => void }[] = [];
  private running = false;
  /** Writes completed (tests and logs). */
  writes = 0;

  constructor(
    private readonly fs: FileSystem,
    readonly path: string,
    /** Renders the file's contents from the current state; called when a write starts. */
    private readonly render: () => string | Buffer,
  ) {}

  request(): Promise<void> {
    const p = new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
    if (!this.running) void this.drain();
    return p;
  }

  private async drain(): Promise<void> {
    this.running = true;
    while (this.waiting.length > 0) {
      const served = this.waiting;
      this.waiting = [];
      try {
        await writeFileAtomic(this.fs, this.path, this.render());
        this.writes++;
        for (const w of served) w.resolve();
      } catch (e) {
        for (const w of served) w.reject(e);
      }
    }
    this.running = false;
  }
}
