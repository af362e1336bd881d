// Parquet output through parquet-wasm (the Rust arrow/parquet writer compiled to WASM), fed
// Arrow IPC built with apache-arrow. Rows are buffered until a part holds `fileTokens` tokens,
// then the part is encoded and written atomically (FILE.partial, fsync, rename): memory stays
// bounded by one part, and a killed run never leaves a torn Parquet file.
import { Field, Int32, Int8, List, RecordBatch, Schema, Struct, Table, Utf8, makeData, tableToIPC, vectorFromArray, type Data, type DataType } from "apache-arrow";
import { Compression, EnabledStatistics, Table as WasmTable, WriterPropertiesBuilder, writeParquet } from "parquet-wasm";
import { join } from "node:path";
import { writeOutputFile } from "./output.js";

export type ColumnKind = "list<int32>" | "list<int8>" | "string";
export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
}
export type CellValue = Int32Array | Int8Array | string;
export type Row = Record<string, CellValue>;

export const COMPRESSIONS = ["zstd", "snappy", "none"] as const;
export type CompressionName = (typeof COMPRESSIONS)[number];
const CODECS: Record<CompressionName, Compression> = { zstd: Compression.ZSTD, snappy: Compression.SNAPPY, none: Compression.UNCOMPRESSED };

export interface ParquetPartsOptions {
  dir: string;
  /** File names: `${prefix}${NNNNN}${suffix}`. */
  prefix: string;
  suffix: string;
  columns: ColumnSpec[];
  /** Start a new file once the buffered rows hold this many tokens (or string bytes). */
  fileTokens: number;
  /** Rows per row group (Megatron-Bridge reads and caches one row group at a time). */
  rowGroupRows: number;
  compression: CompressionName;
  /** Key-value metadata stored in every file's footer. */
  metadata?: Record<string, string>;
}

export interface WrittenPart {
  path: string;
  rows: number;
  bytes: number;
}

export class ParquetParts {
  private rows: Row[] = [];
  private buffered = 0;
  readonly written: WrittenPart[] = [];

  constructor(private readonly o: ParquetPartsOptions) {}

  /** `size`: the row's tokens (or bytes), counted against `fileTokens`. */
  add(row: Row, size: number): void {
    this.rows.push(row);
    this.buffered += size;
    if (this.buffered >= this.o.fileTokens) this.flush();
  }

  /** Writes the last part (also when there were no rows at all: an empty file with the schema). */
  finish(): WrittenPart[] {
    if (this.rows.length > 0 || this.written.length === 0) this.flush();
    return this.written;
  }

  private flush(): void {
    const name = `${this.o.prefix}${String(this.written.length).padStart(5, "0")}${this.o.suffix}`;
    const bytes = encodeParquet(this.o.columns, this.rows, this.o);
    writeOutputFile(join(this.o.dir, name), bytes);
    this.written.push({ path: name, rows: this.rows.length, bytes: bytes.length });
    this.rows = [];
    this.buffered = 0;
  }
}

/** Rows → one Parquet file's bytes (non-nullable columns, no dictionary, chunk statistics only). */
export function encodeParquet(columns: ColumnSpec[], rows: Row[], o: Pick<ParquetPartsOptions, "rowGroupRows" | "compression" | "metadata">): Uint8Array {
  const data = columns.map((c) => columnData(c, rows));
  const fields = columns.map((c, k) => new Field(c.name, data[k].type, false));
  const schema = new Schema(fields, new Map(Object.entries(o.metadata ?? {})));
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: rows.length, nullCount: 0, children: data }));
  const ipc = tableToIPC(new Table(schema, [batch]), "stream");
  const props = new WriterPropertiesBuilder()
    .setCompression(CODECS[o.compression])
    .setDictionaryEnabled(false)
    .setStatisticsEnabled(EnabledStatistics.Chunk)
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
