// The export command's choices and defaults, apart from the writers: `datagen` registers every
// command at start, and the writers load apache-arrow and parquet-wasm (about 0.3 s of CPU and
// 15 MiB), which only `datagen export` should pay.

export {
  EXPORT_FORMATS,
  PACKED_FORMATS,
  formatsHelp,
  isPackedFormat,
  type ExportFormat,
  type PackedFormat,
  type TextFormat,
} from "./formats.js";
/** Tokens per Parquet file: bounds memory (about 50 bytes per token while a file is encoded, one file per encoder thread). */
export const DEFAULT_FILE_TOKENS = 2 << 20;
export const DEFAULT_ROW_GROUP_ROWS = 64;

export const COMPRESSIONS = ["zstd", "snappy", "lz4", "none"] as const;
export type CompressionName = (typeof COMPRESSIONS)[number];
