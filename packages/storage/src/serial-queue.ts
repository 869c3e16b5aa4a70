/**
 * SerialQueue: runs asynchronous tasks one at a time, in the order they were pushed (the owner queue
 * of a partition log: one per partition, so it is kept small: two fields, its methods on the
 * prototype, the waiting list allocated only while tasks wait).
 *
 * Ordering, the same as a fastq promise queue of concurrency 1 (which UnifiedLog used before):
 *  - a task pushed while the queue is idle starts at once, inside `push`, before it returns;
 *  - when a task settles, its promise is settled first and the next task then starts in the same
 *    microtask, so the next task runs before the code awaiting the previous one resumes;
 *  - a task that rejects rejects its own promise only; the queue goes on.
 * `idle()` is true when no task is running or waiting (false from a task's start until the last one
 * queued behind it has settled). A rejection is reported to whoever awaits the task's promise; nobody
 * awaiting it is not an unhandled rejection (as with fastq).
 */

interface Job {
  task: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
}

export class SerialQueue {
  private running = false;
  /** Tasks waiting behind the running one, oldest first; null when none has waited yet. */
  private waiting: Job[] | null = null;

  /** Runs `task` after every task pushed before it; settles as the task does. */
  push<T>(task: () => Promise<T>): Promise<T> {
    const settled = new Promise<T>((resolve, reject) => {
      const job: Job = { task, resolve: resolve as (value: unknown) => void, reject };
      if (this.running) (this.waiting ??= []).push(job);
      else {
        this.running = true;
        this.run(job);
      }
    });
    // A rejection nobody awaits is not an unhandled one (as fastq's promise queue).
    settled.catch(ignore);
    return settled;
  }

  idle(): boolean {
    return !this.running;
  }

  private run(job: Job): void {
    let settled: Promise<unknown>;
    try {
      settled = job.task();
    } catch (e) {
      settled = Promise.reject(e);
    }
    settled.then(
      (value) => {
        job.resolve(value);
        this.next();
      },
      (reason: unknown) => {
        job.reject(reason);
        this.next();
      },
    );
  }

  private next(): void {
    const job = this.waiting?.shift();
    if (job) this.run(job);
    else this.running = false;
  }
}

function ignore(): void {}
