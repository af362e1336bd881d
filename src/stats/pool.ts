// Record analysis in order, on worker threads or in this thread. Batches go round-robin to
// the workers; results are handed back strictly in submission order (duplicates are "a later
// text matching an earlier one", so order matters), with a bounded number of batches in flight.
import type { Worker } from "node:worker_threads";
import { startModuleWorker } from "../core/worker.js";
import { analyzeValue, type Outcome } from "./analyze.js";
import type { TokenCounter } from "./facts.js";
import type { RenderOptions } from "./tokens.js";

export interface Analyzer {
  /** Queue a batch; resolves once it may be followed by another (back-pressure). */
  submit(values: unknown[], onDone: (outcomes: Outcome[]) => void): Promise<void>;
  /** Wait for every queued batch, then stop the workers. */
  close(): Promise<void>;
}

/** The renderer is loaded only when records are analyzed in this thread (workers load their own). */
export async function createAnalyzer(workers: number, options: RenderOptions, countTokens?: TokenCounter): Promise<Analyzer> {
  if (workers > 0 && !countTokens) return new WorkerAnalyzer(workers, options);
  return new InlineAnalyzer(countTokens ?? (await import("./tokens.js")).renderTokenCounter(options), options);
}

class InlineAnalyzer implements Analyzer {
  constructor(
    private readonly countTokens: TokenCounter,
    private readonly options: RenderOptions,
  ) {}
  async submit(values: unknown[], onDone: (outcomes: Outcome[]) => void): Promise<void> {
    onDone(values.map((v) => analyzeValue(v, this.countTokens, this.options)));
  }
  async close(): Promise<void> {}
}

interface Pending {
  result: Promise<Outcome[]>;
  onDone: (outcomes: Outcome[]) => void;
}

class WorkerAnalyzer implements Analyzer {
  private readonly workers: Worker[];
  private readonly waiting = new Map<number, { resolve: (o: Outcome[]) => void; reject: (e: Error) => void }>();
  private readonly queue: Pending[] = [];
  private seq = 0;
  private failure: Error | undefined;
  private closing = false;

  constructor(count: number, options: RenderOptions) {
    this.workers = Array.from({ length: count }, () => this.spawn(options));
  }

  async submit(values: unknown[], onDone: (outcomes: Outcome[]) => void): Promise<void> {
    if (this.failure) throw this.failure;
    const seq = this.seq++;
    const result = new Promise<Outcome[]>((resolve, reject) => this.waiting.set(seq, { resolve, reject }));
    this.workers[seq % this.workers.length].postMessage({ seq, values });
    this.queue.push({ result, onDone });
    while (this.queue.length > this.workers.length * 2) await this.finishOldest();
  }

  async close(): Promise<void> {
    try {
      while (this.queue.length > 0) await this.finishOldest();
    } finally {
      await this.terminate();
    }
  }

  private async terminate(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private async finishOldest(): Promise<void> {
    const next = this.queue.shift()!;
    next.onDone(await next.result);
  }

  private spawn(options: RenderOptions): Worker {
    const worker = startModuleWorker(import.meta.url, "worker", options);
    worker.on("message", (m: { seq: number; outcomes: Outcome[] }) => {
      this.waiting.get(m.seq)?.resolve(m.outcomes);
      this.waiting.delete(m.seq);
    });
    worker.on("error", (e) => this.fail(e));
    worker.on("exit", (code) => {
      if (!this.closing) this.fail(new Error(`stats worker exited unexpectedly (code ${code})`));
    });
    return worker;
  }

  /** As the pack pool: one failed worker rejects everything pending and stops every worker. */
  private fail(e: Error): void {
    this.failure ??= e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
    void this.terminate();
  }
}
