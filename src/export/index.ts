// The export stage: hand a packed dataset (or JSONL records) to the trainers people already run.
// docs/FORMAT.md "Export conventions" is the contract; docs/TRAINING.md shows each trainer.
export { exportPacked, PACKED_LAYOUTS, type ExportSummary, type PackedExportOptions, type PackedFormat } from "./packed-export.js";
export { exportText, checkTextRecord, spelledSpecial, tokenizeAllowingSpecials, type TextExportOptions, type TextFormat } from "./text-export.js";
export { hfRow, megatronRow, IGNORE_INDEX, MEGATRON_EOS_IDS } from "./columns.js";
export { COMPRESSIONS, type CompressionName } from "./parquet.js";

export const EXPORT_FORMATS = ["hf-parquet", "megatron-bridge", "harmony-text", "hf-messages"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];
/** Formats read from a packed dataset; the others read JSONL records. */
export const PACKED_FORMATS: readonly ExportFormat[] = ["hf-parquet", "megatron-bridge"];
/** Tokens per Parquet file: bounds memory (about 50 bytes per token while a file is encoded, one file per encoder thread). */
export const DEFAULT_FILE_TOKENS = 2 << 20;
export const DEFAULT_ROW_GROUP_ROWS = 64;
