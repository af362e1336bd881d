// Parquet output: rows (or, for the packed formats, raw samples) are buffered until a part holds
// `fileTokens` tokens; an encoder thread (encode-worker.ts running encode.ts) builds the part's
// columns, encodes them with parquet-wasm and writes the file atomically (FILE.partial, fsync,
// rename), several parts at once, one per thread.
// Memory stays bounded by `workers + 1` parts; a killed run never leaves a torn Parquet file.
// This side loads neither apache-arrow nor parquet-wasm unless it encodes itself (--workers 0)
// or builds the Arrow IPC of row formats.
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { DatagenError } from "../core/errors.js";
import { startModuleWorker } from "../core/worker.js";
import type { PackedFormat } from "./formats.js";
import type { PackedSource, SampleRef } from "./packed.js";

import type { ColumnSpec, WrittenPart } from "./types.js";
export type { ColumnKind, ColumnSpec, WrittenPart } from "./types.js";

export { COMPRESSIONS, type CompressionName } from "./choices.js";
import type { EncodeJob, EncodeReply, EncodeResult, EncodeSettings, Row } from "./encode-job.js";
export type { CellValue, EncodeJob, EncodeReply, EncodeResult, EncodeSettings, Row } from "./encode-job.js";

export interface ParquetPartsOptions extends EncodeSettings {
  dir: string;
  /** File names: `${prefix}${NNNNN}${suffix}`. */
  prefix: string;
  suffix: string;
  columns: ColumnSpec[];
  /** Start a new file once the buffered rows hold this many tokens (or string bytes). */
  fileTokens: number;
  /** Key-value metadata stored in every file's footer. */
  metadata?: Record<string, string>;
  /** Encoder threads; 0 encodes on the calling thread. */
  workers: number;
  /** Set for the packed formats: parts take samples by reference (addSample); the encoder reads them and builds the rows. */
  packed?: { format: PackedFormat; source: PackedSource };
}

/** An encoder thread's user-facing error, reported with the exit code it had there. */
class EncoderError extends DatagenError {
  constructor(
    message: string,
    override readonly exitCode: number,
  ) {
    super(message);
  }
}

export class ParquetParts {
  private rows: Row[] = [];
  private samples: SampleRef[] = [];
  /** Supervised targets and eos-dropped targets in the written parts (packed formats). */
  trained = 0;
  eosZeroed = 0;
  private buffered = 0;
  private parts = 0;
  readonly written: WrittenPart[] = [];
  private readonly pool: EncoderPool | undefined;

  constructor(private readonly o: ParquetPartsOptions) {
    this.pool = o.workers > 0 ? new EncoderPool(o.workers) : undefined;
  }

  /** `size`: the row's tokens (or bytes), counted against `fileTokens`. Waits while every encoder is busy. */
  async add(row: Row, size: number): Promise<void> {
    this.rows.push(row);
    this.buffered += size;
    if (this.buffered >= this.o.fileTokens) await this.flush();
  }

  /** Packed formats: one sample by reference (an encoder reads its real tokens, padding left out). */
  async addSample(sample: SampleRef): Promise<void> {
    this.samples.push(sample);
    this.buffered += sample.bounds[sample.bounds.length - 1];
    if (this.buffered >= this.o.fileTokens) await this.flush();
  }

  /** Writes the last part (also when there were no rows at all: an empty file with the schema) and waits for all. */
  async finish(): Promise<WrittenPart[]> {
    if (this.rows.length > 0 || this.samples.length > 0 || this.parts === 0) await this.flush();
    await this.pool?.drain();
    await this.pool?.close();
    this.written.sort((a, b) => a.path.localeCompare(b.path));
    return this.written;
  }

  /** After a failure: stop the encoders (the caller removes what they wrote). */
  async close(): Promise<void> {
    await this.pool?.close();
  }

  private async flush(): Promise<void> {
    const name = `${this.o.prefix}${String(this.parts++).padStart(5, "0")}${this.o.suffix}`;
    const rows = this.o.packed ? this.samples.length : this.rows.length;
    const job: Omit<EncodeJob, "id"> = {
      path: join(this.o.dir, name),
      rowGroupRows: this.o.rowGroupRows,
      compression: this.o.compression,
      ...(this.o.packed
        ? { packed: { ...this.o.packed, samples: this.samples, columns: this.o.columns, metadata: this.o.metadata ?? {} } }
        : { ipc: (await encoder()).arrowIpc(this.o.columns, this.rows, this.o.metadata) }),
    };
    this.rows = [];
    this.samples = [];
    this.buffered = 0;
    const done = (r: EncodeResult): void => {
      this.written.push({ path: name, rows, bytes: r.bytes });
      this.trained += r.trained;
      this.eosZeroed += r.eosZeroed;
    };
    if (this.pool) await this.pool.submit(job, done);
    else done(await (await encoder()).runEncodeJob(job));
  }
}

/** The encoding side (apache-arrow, parquet-wasm), loaded on first use. */
const encoder = (): Promise<typeof import("./encode.js")> => import("./encode.js");

/** Encoder threads, one job each at a time; submit() waits for a free one. */
class EncoderPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly pending = new Map<number, { done: (r: EncodeResult) => void; worker: Worker }>();
  private waiters: (() => void)[] = [];
  private nextId = 0;
  private failure: Error | undefined;

  constructor(size: number) {
    for (let i = 0; i < size; i++) {
      const worker = startModuleWorker(import.meta.url, "encode-worker", null);
      worker.on("message", (reply: EncodeReply) => this.settle(reply));
      worker.on("error", (e) => this.fail(e));
      this.all.push(worker);
      this.idle.push(worker);
    }
  }

  async submit(job: Omit<EncodeJob, "id">, done: (r: EncodeResult) => void): Promise<void> {
    while (this.idle.length === 0 && !this.failure) await new Promise<void>((r) => this.waiters.push(r));
    if (this.failure) throw this.failure;
    const worker = this.idle.pop()!;
    const id = this.nextId++;
    this.pending.set(id, { done, worker });
    worker.postMessage({ ...job, id }, transferables(job));
  }

  async drain(): Promise<void> {
    while (this.pending.size > 0 && !this.failure) await new Promise<void>((r) => this.waiters.push(r));
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }

  private settle(reply: EncodeReply): void {
    const job = this.pending.get(reply.id);
    if (!job) return;
    this.pending.delete(reply.id);
    if ("error" in reply) {
      this.fail(reply.exitCode === undefined ? new Error(`encoder thread: ${reply.error}`) : new EncoderError(reply.error, reply.exitCode));
      return;
    }
    job.done(reply);
    this.idle.push(job.worker);
    this.wake();
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake();
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }
}

/** The job's Arrow IPC, moved to the worker instead of copied (samples by reference are small). */
function transferables(job: Omit<EncodeJob, "id">): ArrayBuffer[] {
  return job.ipc ? [job.ipc.buffer as ArrayBuffer] : [];
}
