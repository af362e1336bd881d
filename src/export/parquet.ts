// Parquet output through parquet-wasm (the Rust arrow/parquet writer compiled to WASM), fed
// Arrow IPC built with apache-arrow. Rows (or, for the packed formats, raw samples) are buffered
// until a part holds `fileTokens` tokens; a worker thread builds the part's rows and Arrow IPC,
// encodes it (several parts at once, one per worker) and writes the file atomically
// (FILE.partial, fsync, rename).
// Memory stays bounded by `workers + 1` parts; a killed run never leaves a torn Parquet file.
import { Field, Int32, Int8, List, RecordBatch, Schema, Struct, Table, Utf8, makeData, tableToIPC, vectorFromArray, type Data, type DataType } from "apache-arrow";
import { Compression, EnabledStatistics, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from "parquet-wasm";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { startModuleWorker } from "../core/worker.js";
import { writeOutputFile } from "./output.js";
import { packedRows, type PackedFormat, type SampleData } from "./columns.js";
import type { CompressionName } from "./choices.js";

export type ColumnKind = "list<int32>" | "list<int8>" | "string";
export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
}
export type CellValue = Int32Array | Int8Array | string;
export type Row = Record<string, CellValue>;

export { COMPRESSIONS, type CompressionName } from "./choices.js";
const CODECS: Record<CompressionName, Compression> = { zstd: Compression.ZSTD, snappy: Compression.SNAPPY, lz4: Compression.LZ4_RAW, none: Compression.UNCOMPRESSED };

export interface EncodeSettings {
  /** Rows per row group (Megatron-Bridge reads and caches one row group at a time). */
  rowGroupRows: number;
  compression: CompressionName;
}

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
  /** Set for the packed formats: parts take samples (addSample) and rows are built in the encoder. */
  packedFormat?: PackedFormat;
}

export interface WrittenPart {
  path: string;
  rows: number;
  bytes: number;
}

/** The message an encoder worker takes (encode-worker.ts): Arrow IPC, or samples to build rows from. */
export interface EncodeJob extends EncodeSettings {
  id: number;
  path: string;
  ipc?: Uint8Array;
  packed?: { format: PackedFormat; samples: SampleData[]; columns: ColumnSpec[]; metadata: Record<string, string> };
}
export interface EncodeResult {
  bytes: number;
  trained: number;
  eosZeroed: number;
}
export type EncodeReply = ({ id: number } & EncodeResult) | { id: number; error: string };

/** One job, on whichever thread: build rows if given samples, encode, write the file. */
export function runEncodeJob(job: Omit<EncodeJob, "id">): EncodeResult {
  let ipc = job.ipc;
  let counts = { trained: 0, eosZeroed: 0 };
  if (job.packed) {
    const built = packedRows(job.packed.format, job.packed.samples);
    counts = { trained: built.trained, eosZeroed: built.eosZeroed };
    ipc = arrowIpc(job.packed.columns, built.rows, job.packed.metadata);
  }
  const bytes = encodeParquet(ipc!, job);
  writeOutputFile(job.path, bytes);
  return { bytes: bytes.length, ...counts };
}

export class ParquetParts {
  private rows: Row[] = [];
  private samples: SampleData[] = [];
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

  /** Packed formats: one sample, padding removed; its buffers are handed to an encoder thread. */
  async addSample(sample: SampleData): Promise<void> {
    this.samples.push(sample);
    this.buffered += sample.tokens.length;
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
    const rows = this.o.packedFormat ? this.samples.length : this.rows.length;
    const job: Omit<EncodeJob, "id"> = {
      path: join(this.o.dir, name),
      rowGroupRows: this.o.rowGroupRows,
      compression: this.o.compression,
      ...(this.o.packedFormat
        ? { packed: { format: this.o.packedFormat, samples: this.samples, columns: this.o.columns, metadata: this.o.metadata ?? {} } }
        : { ipc: arrowIpc(this.o.columns, this.rows, this.o.metadata) }),
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
    else done(runEncodeJob(job));
  }
}

/** Rows → Arrow IPC stream bytes (non-nullable columns). */
export function arrowIpc(columns: ColumnSpec[], rows: Row[], metadata: Record<string, string> = {}): Uint8Array {
  const data = columns.map((c) => columnData(c, rows));
  const fields = columns.map((c, k) => new Field(c.name, data[k].type, false));
  const schema = new Schema(fields, new Map(Object.entries(metadata)));
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows.length, nullCount: 0, children: data }));
  return tableToIPC(new Table(schema, [batch]), "stream");
}

/** Arrow IPC → one Parquet file's bytes (no dictionary: token ids have too many values; no statistics: no
 * trainer filters token lists by min/max, and they cost a quarter of the encoding time). */
export function encodeParquet(ipc: Uint8Array, o: EncodeSettings): Uint8Array {
  const props = new WriterPropertiesBuilder()
    .setCompression(CODECS[o.compression])
    .setDictionaryEnabled(false)
    .setStatisticsEnabled(EnabledStatistics.None)
    .setMaxRowGroupSize(Math.max(1, o.rowGroupRows))
    .setCreatedBy("datagen export")
    .build();
  // writeParquet takes ownership of (and frees) both WASM objects.
  return writeParquet(WasmTable.fromIPCStream(ipc), props);
}

function columnData(c: ColumnSpec, rows: Row[]): Data<DataType> {
  if (c.kind === "string") return vectorFromArray(rows.map((r) => r[c.name] as string), new Utf8()).data[0] as Data<DataType>;
  const cells = rows.map((r) => r[c.name] as Int32Array | Int8Array);
  const offsets = new Int32Array(cells.length + 1);
  let total = 0;
  cells.forEach((cell, k) => {
    total += cell.length;
    offsets[k + 1] = total;
  });
  const int8 = c.kind === "list<int8>";
  const flat = int8 ? new Int8Array(total) : new Int32Array(total);
  cells.forEach((cell, k) => flat.set(cell, offsets[k]));
  const childType = int8 ? new Int8() : new Int32();
  const child = makeData({ type: childType, length: total, nullCount: 0, data: flat } as never) as Data<DataType>;
  return makeData({ type: new List(new Field("element", childType, false)), length: cells.length, nullCount: 0, valueOffsets: offsets, child } as never) as Data<DataType>;
}

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
      this.fail(new Error(reply.error));
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

/** The job's buffers, moved to the worker instead of copied. */
function transferables(job: Omit<EncodeJob, "id">): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  if (job.ipc) buffers.add(job.ipc.buffer as ArrayBuffer);
  for (const s of job.packed?.samples ?? []) for (const a of [s.tokens, s.mask, s.bounds]) buffers.add(a.buffer as ArrayBuffer);
  return [...buffers];
}
