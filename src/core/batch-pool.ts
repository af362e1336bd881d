// A pool of worker threads that take batches of raw input items (src/ingest/line-batches.ts).
// Batches go to the least busy worker; each run() returns a promise of that batch's results, so a
// caller that awaits them in submission order gets results in input order whatever the number of
// workers (output stays byte-identical). Size 0 runs each batch in this thread with the same
// function the workers call, so a small input pays no thread start. Used by pack and verify
// (rendering) and validate.
import type { Worker } from "node:worker_threads";
import { startModuleWorker } from "./worker.js";

interface Pending<R> {
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

/**
 * A worker that throws or exits on its own fails the whole pool: every pending and later batch is
 * rejected and every worker is terminated, so an internal error can neither hang a caller waiting
 * on a dead worker nor keep the process alive through the live ones.
 */
export class BatchPool<B extends { data: Uint8Array }, R> {
  private readonly workers: Worker[] = [];
  private readonly queues: Pending<R>[][] = [];
  private failure: Error | undefined;
  private closing = false;

  /**
   * `size` threads running module `name` beside `callerUrl` (startModuleWorker), each given
   * `settings` as workerData; with size 0, `inThread` (the function those workers apply) runs here.
   */
  constructor(
    size: number,
    callerUrl: string,
    name: string,
    settings: unknown,
    private readonly inThread?: (batch: B) => R,
  ) {
    if (size === 0 && !inThread) throw new Error(`${name}: a pool of size 0 needs the in-thread function`);
    for (let k = 0; k < size; k++) {
      const worker = startModuleWorker(callerUrl, name, settings);
      const queue: Pending<R>[] = [];
      worker.on("message", (results: R) => queue.shift()?.resolve(results));
      worker.on("error", (err) => this.fail(err));
      worker.on("exit", (code) => {
        if (!this.closing) this.fail(new Error(`${name} exited unexpectedly (code ${code})`));
      });
      this.workers.push(worker);
      this.queues.push(queue);
    }
  }

  /** The batch's data buffer moves to the worker: it is unusable here afterwards. */
  run(batch: B): Promise<R> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.workers.length === 0) return this.runHere(batch);
    let best = 0;
    for (let k = 1; k < this.queues.length; k++) if (this.queues[k].length < this.queues[best].length) best = k;
    return new Promise((resolve, reject) => {
      this.queues[best].push({ resolve, reject });
      this.workers[best].postMessage(batch, [batch.data.buffer as ArrayBuffer]);
    });
  }

  private runHere(batch: B): Promise<R> {
    try {
      return Promise.resolve(this.inThread!(batch));
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const queue of this.queues) for (const p of queue.splice(0)) p.reject(this.failure);
    void this.close();
  }
}
