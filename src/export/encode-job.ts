// The messages between the Parquet writer (parquet.ts) and its encoder threads (encode-worker.ts
// running encode.ts), apart from both so neither imports the other for them.
import type { CompressionName } from "./choices.js";
import type { PackedFormat } from "./formats.js";
import type { PackedSource, SampleRef } from "./packed.js";
import type { ColumnSpec } from "./types.js";

export type CellValue = Int32Array | Int8Array | string;
export type Row = Record<string, CellValue>;

export interface EncodeSettings {
  /** Rows per row group (Megatron-Bridge reads and caches one row group at a time). */
  rowGroupRows: number;
  compression: CompressionName;
}

/** The message an encoder worker takes (encode-worker.ts): Arrow IPC, or samples to build rows from. */
export interface EncodeJob extends EncodeSettings {
  id: number;
  path: string;
  ipc?: Uint8Array;
  packed?: { format: PackedFormat; source: PackedSource; samples: SampleRef[]; columns: ColumnSpec[]; metadata: Record<string, string> };
}
export interface EncodeResult {
  bytes: number;
  trained: number;
  eosZeroed: number;
}
/** A failed job: `exitCode` when it is a user-facing error (a DatagenError, a failed file-system call), else a bug. */
export type EncodeReply = ({ id: number } & EncodeResult) | { id: number; error: string; exitCode?: number };
