// Parquet output through parquet-wasm (the Rust arrow/parquet writer compiled to WASM), fed
// Arrow IPC built with apache-arrow. Rows are buffered until a part holds `fileTokens` tokens;
// the part's Arrow IPC is built here and encoded to Parquet in a worker thread (several parts
// at once, one per worker), which writes the file atomically (FILE.partial, fsync, rename).
// Memory stays bounded by `workers + 1` parts; a killed run never leaves a torn Parquet file.
import { Field, Int32, Int8, List, RecordBatch, Schema, Struct, Table, Utf8, makeData, tableToIPC, vectorFromArray, type Data, type DataType } from "apache-arrow";
import { Compression, EnabledStatistics, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from "parquet-wasm";
import { join } from "node:path";
import type { Worker } from "node:worker_threads";
import { startModuleWorker } from "../core/worker.js";
import { writeOutputFile } from "./output.js";

export type ColumnKind = "list<int32>" | "list<int8>" | "string";
export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
}
export type CellValue = Int32Array | Int8Array | string;
export type Row = Record<string, CellValue>;

export const COMPRESSIONS = ["zstd", "snappy", "lz4", "none"] as const;
export type CompressionName = (typeof COMPRESSIONS)[number];
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
}

export interface WrittenPart {
  path: string;
  rows: number;
  bytes: number;
}

/** The message an encoder worker takes (encode-worker.ts). */
export interface EncodeJob extends EncodeSettings {
  id: number;
  ipc: Uint8Array;
  path: string;
}
export type EncodeReply = { id: number; bytes: number } | { id: number; error: string };

export class ParquetParts {
  private rows: Row[] = [];
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

  /** Writes the last part (also when there were no rows at all: an empty file with the schema) and waits for all. */
  async finish(): Promise<WrittenPart[]> {
    if (this.rows.length > 0 || this.parts === 0) await this.flush();
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
    const ipc = arrowIpc(this.o.columns, this.rows, this.o.metadata);
    const part = { path: name, rows: this.rows.length, bytes: 0 };
    this.rows = [];
    this.buffered = 0;
    const path = join(this.o.dir, name);
    if (!this.pool) {
      const bytes = encodeParquet(ipc, this.o);
      writeOutputFile(path, bytes);
      this.written.push({ ...part, bytes: bytes.length });
      return;
    }
    await this.pool.submit({ ipc, path, rowGroupRows: this.o.rowGroupRows, compression: this.o.compression }, (bytes) => this.written.push({ ...part, bytes }));
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
  private readonly pending = new Map<number, { done: (bytes: number) => void; worker: Worker }>();
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

  async submit(job: Omit<EncodeJob, "id">, done: (bytes: number) => void): Promise<void> {
    while (this.idle.length === 0 && !this.failure) await new Promise<void>((r) => this.waiters.push(r));
    if (this.failure) throw this.failure;
    const worker = this.idle.pop()!;
    const id = this.nextId++;
    this.pending.set(id, { done, worker });
    worker.postMessage({ ...job, id }, [job.ipc.buffer as ArrayBuffer]);
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
    job.done(reply.bytes);
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
