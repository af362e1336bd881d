// The export stage: hand a packed dataset (or JSONL records) to the trainers people already run.
// docs/FORMAT.md "Export conventions" is the contract; docs/TRAINING.md shows each trainer.
export { exportPacked, type PackedExportOptions } from "./packed-export.js";
export { exportText, checkTextRecord, spelledSpecial, tokenizeAllowingSpecials, type TextExportOptions } from "./text-export.js";
export { IGNORE_INDEX, MEGATRON_EOS_IDS } from "./columns.js";
export { EXPORT_FORMAT_SPECS, packedColumns, packedSpec, type PackedFormat, type TextFormat } from "./formats.js";
export type { ExportSummary } from "./types.js";
export {
  COMPRESSIONS,
  DEFAULT_FILE_TOKENS,
  DEFAULT_ROW_GROUP_ROWS,
  EXPORT_FORMATS,
  PACKED_FORMATS,
  type CompressionName,
  type ExportFormat,
} from "./choices.js";
