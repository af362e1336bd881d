// A pool of render worker threads. Batches go to the least busy worker; each run() returns a
// promise of that batch's results, so a caller that awaits them in submission order gets results
// in input order whatever the number of workers (output stays byte-identical).
import type { Worker } from "node:worker_threads";
import { startModuleWorker } from "../core/worker.js";
import type { LineResult, RenderSettings } from "./process-record.js";

/** Items of one input file: bytes of item k are data[starts[k] .. starts[k+1]). */
export interface LineBatch {
  file: string;
  lines: Int32Array;
  starts: Uint32Array;
  tooLong: Uint8Array;
  data: Uint8Array;
  /** Items the container already found to be none (e.g. empty_input, a broken JSON array). */
  errors: { index: number; code: string; message: string }[];
}

interface Pending {
  resolve: (r: LineResult[]) => void;
  reject: (e: Error) => void;
}

/**
 * A worker that throws or exits on its own fails the whole pool: every pending and later batch is
 * rejected and every worker is terminated, so an internal error can neither hang a caller waiting
 * on a dead worker nor keep the process alive through the live ones.
 */
export class RenderPool {
  private readonly workers: Worker[] = [];
  private readonly queues: Pending[][] = [];
  private failure: Error | undefined;
  private closing = false;

  constructor(size: number, settings: RenderSettings) {
    for (let k = 0; k < size; k++) {
      const worker = startModuleWorker(import.meta.url, "render-worker", settings);
      const queue: Pending[] = [];
      worker.on("message", (results: LineResult[]) => queue.shift()?.resolve(results));
      worker.on("error", (err) => this.fail(err));
      worker.on("exit", (code) => {
        if (!this.closing) this.fail(new Error(`render worker exited unexpectedly (code ${code})`));
      });
      this.workers.push(worker);
      this.queues.push(queue);
    }
  }

  run(batch: LineBatch): Promise<LineResult[]> {
    if (this.failure) return Promise.reject(this.failure);
    let best = 0;
    for (let k = 1; k < this.queues.length; k++) if (this.queues[k].length < this.queues[best].length) best = k;
    return new Promise((resolve, reject) => {
      this.queues[best].push({ resolve, reject });
      this.workers[best].postMessage(batch, [batch.data.buffer as ArrayBuffer]);
    });
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
