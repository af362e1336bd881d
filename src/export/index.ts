// The export stage: hand a packed dataset (or JSONL records) to the trainers people already run.
// docs/FORMAT.md "Export conventions" is the contract; docs/TRAINING.md shows each trainer.
export { exportPacked, PACKED_LAYOUTS, type ExportSummary, type PackedExportOptions, type PackedFormat } from "./packed-export.js";
export { exportText, checkTextRecord, spelledSpecial, tokenizeAllowingSpecials, type TextExportOptions, type TextFormat } from "./text-export.js";
export { packedColumns, IGNORE_INDEX, MEGATRON_EOS_IDS } from "./columns.js";
export { COMPRESSIONS, DEFAULT_FILE_TOKENS, DEFAULT_ROW_GROUP_ROWS, EXPORT_FORMATS, PACKED_FORMATS, type CompressionName, type ExportFormat } from "./choices.js";
