// The encoding side of the Parquet export (encoder threads, or the main thread with --workers 0):
// a part's columns as Arrow IPC (apache-arrow), then one Parquet file's bytes (parquet-wasm, the
// Rust arrow/parquet writer compiled to WASM), written atomically.
import {
  Field,
  Int32,
  Int8,
  List,
  RecordBatch,
  RecordBatchStreamWriter,
  Schema,
  Struct,
  Table,
  Utf8,
  makeData,
  tableToIPC,
  vectorFromArray,
  type Data,
  type DataType,
} from "apache-arrow";
import { Compression, EnabledStatistics, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from "parquet-wasm";
import { writeOutputFile } from "./output.js";
import { readPart } from "./packed.js";
import { ColumnScratch } from "./columns.js";
import { packedColumns } from "./formats.js";
import type { ListColumn } from "./types.js";
import type { CompressionName } from "./choices.js";
import type { EncodeJob, EncodeResult, EncodeSettings, Row } from "./encode-job.js";
import type { ColumnSpec } from "./types.js";

const CODECS: Record<CompressionName, Compression> = {
  zstd: Compression.ZSTD,
  snappy: Compression.SNAPPY,
  lz4: Compression.LZ4_RAW,
  none: Compression.UNCOMPRESSED,
};

// One per thread: jobs on a thread run one after another, and each is copied into IPC before the next.
const threadScratch = new ColumnScratch();

/** One job, on whichever thread: read the samples and build the columns (packed formats), encode, write the file. */
export async function runEncodeJob(job: Omit<EncodeJob, "id">): Promise<EncodeResult> {
  let ipc = job.ipc;
  let counts = { trained: 0, eosZeroed: 0 };
  if (job.packed) {
    const built = packedColumns(job.packed.format, readPart(job.packed.source, job.packed.samples, threadScratch), threadScratch);
    counts = { trained: built.trained, eosZeroed: built.eosZeroed };
    ipc = await listColumnsIpc(built.columns, job.packed.samples.length, job.packed.metadata, threadScratch);
  }
  const bytes = encodeParquet(ipc!, job);
  writeOutputFile(job.path, bytes);
  return { bytes: bytes.length, ...counts };
}

/** Rows → Arrow IPC stream bytes (non-nullable columns). */
export function arrowIpc(columns: ColumnSpec[], rows: Row[], metadata: Record<string, string> = {}): Uint8Array {
  return ipcStream(
    columns.map((c) => [c.name, columnData(c, rows)]),
    rows.length,
    metadata,
  );
}

/**
 * Columns already laid out end to end (the packed formats) → Arrow IPC stream bytes in `scratch`
 * (valid until its next use): the writer's chunks are views of the columns, copied once into
 * memory reused from part to part.
 */
export async function listColumnsIpc(
  columns: ListColumn[],
  rows: number,
  metadata: Record<string, string>,
  scratch: ColumnScratch,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  for await (const chunk of RecordBatchStreamWriter.writeAll(
    arrowTable(
      columns.map((c) => [c.name, listData(c.values, c.offsets)]),
      rows,
      metadata,
    ),
  )) {
    chunks.push(chunk);
    bytes += chunk.byteLength;
  }
  const ipc = scratch.uint8("ipc", bytes);
  let at = 0;
  for (const chunk of chunks) {
    ipc.set(chunk, at);
    at += chunk.byteLength;
  }
  return ipc;
}

function ipcStream(columns: [string, Data<DataType>][], rows: number, metadata: Record<string, string>): Uint8Array {
  return tableToIPC(arrowTable(columns, rows, metadata), "stream");
}

function arrowTable(columns: [string, Data<DataType>][], rows: number, metadata: Record<string, string>): Table {
  const fields = columns.map(([name, data]) => new Field(name, data.type, false));
  const schema = new Schema(fields, new Map(Object.entries(metadata)));
  const batch = new RecordBatch(
    schema,
    makeData({ type: new Struct(fields), length: rows, nullCount: 0, children: columns.map(([, data]) => data) }),
  );
  return new Table(schema, [batch]);
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
  if (c.kind === "string")
    return vectorFromArray(
      rows.map((r) => r[c.name] as string),
      new Utf8(),
    ).data[0] as Data<DataType>;
  const cells = rows.map((r) => r[c.name] as Int32Array | Int8Array);
  const offsets = new Int32Array(cells.length + 1);
  cells.forEach((cell, k) => (offsets[k + 1] = offsets[k] + cell.length));
  const flat = c.kind === "list<int8>" ? new Int8Array(offsets[cells.length]) : new Int32Array(offsets[cells.length]);
  cells.forEach((cell, k) => flat.set(cell, offsets[k]));
  return listData(flat, offsets);
}

function listData(values: Int32Array | Int8Array, offsets: Int32Array): Data<DataType> {
  const childType = values instanceof Int8Array ? new Int8() : new Int32();
  const child = makeData({ type: childType, length: values.length, nullCount: 0, data: values } as never) as Data<DataType>;
  return makeData({
    type: new List(new Field("element", childType, false)),
    length: offsets.length - 1,
    nullCount: 0,
    valueOffsets: offsets,
    child,
  } as never) as Data<DataType>;
}
