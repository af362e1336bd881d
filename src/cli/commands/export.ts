// `datagen export SOURCE --to FORMAT --out DIR`: parse options, run the export stage, print the summary.
import { type Command, Option } from "commander";
import { existsSync, statSync } from "node:fs";
import { UsageError } from "../../core/errors.js";
// Only the choices at start: the writers (apache-arrow, parquet-wasm) load when export runs.
import {
  COMPRESSIONS,
  DEFAULT_FILE_TOKENS,
  DEFAULT_ROW_GROUP_ROWS,
  EXPORT_FORMATS,
  formatsHelp,
  isPackedFormat,
  PACKED_FORMATS,
  type CompressionName,
  type ExportFormat,
} from "../../export/choices.js";
import type { ExportSummary } from "../../export/index.js";
import type { Dialect, DocumentMode } from "../../render/names.js";
import { dialectOption, documentsOption, maxLineBytesOption, requireReadableFile, workersOption } from "../options.js";
import { elapsed, StderrProgress } from "../progress.js";
import { positiveInt } from "../run.js";

interface ExportCliOptions {
  to: ExportFormat;
  out: string;
  force: boolean;
  verify: boolean;
  json: boolean;
  compression: CompressionName;
  fileTokens: number;
  rowGroupRows: number;
  workers?: number;
  dialect: Dialect;
  documents: DocumentMode;
  maxLineBytes: number;
}

export function register(program: Command): void {
  program
    .command("export")
    .description(
      "Write a packed dataset (or JSONL records) in the layout another trainer reads: HF/TRL Parquet, " +
        "Megatron-Bridge packed Parquet, harmony text",
    )
    .argument(
      "<source...>",
      `a packed dataset folder (${PACKED_FORMATS.join(", ")}) ` +
        `or conversation files: JSONL, JSON arrays, gzip/zstd, Parquet (the other formats)`,
    )
    .addOption(new Option("--to <format>", "output layout").choices([...EXPORT_FORMATS]).makeOptionMandatory())
    .requiredOption("--out <dir>", "output folder (refuses a non-empty one unless --force replaces an earlier export)")
    .option("--force", "replace an earlier export in --out", false)
    .option("--no-verify", "skip the checksum check of the packed source (a damaged source is refused otherwise)")
    .addOption(new Option("--compression <codec>", "Parquet compression").choices([...COMPRESSIONS]).default("zstd"))
    .option(
      "--file-tokens <n>",
      "tokens per Parquet file (memory: ~50 bytes per token, per encoder thread)",
      positiveInt("--file-tokens"),
      DEFAULT_FILE_TOKENS,
    )
    .option("--row-group-rows <n>", "rows per Parquet row group", positiveInt("--row-group-rows"), DEFAULT_ROW_GROUP_ROWS)
    .addOption(
      workersOption("Parquet encoder threads for the packed formats (0: this thread only; default: one per file, up to the core count)"),
    )
    .addOption(dialectOption("rendering dialect of the text exports"))
    .addOption(
      documentsOption(
        "harmony-text: one line per document, a record cut into turns or not (auto, turns, conversation; docs/RENDERING.md). " +
          "A packed source keeps the mode it was packed with",
      ),
    )
    .addOption(maxLineBytesOption())
    .option("--json", "print the summary as JSON", false)
    .showHelpAfterError("(run 'datagen export --help' for usage)")
    .addHelpText(
      "after",
      `
Formats (docs/FORMAT.md, "Export conventions"; docs/TRAINING.md shows each trainer):
${formatsHelp()}
Every export writes README.md (a dataset card with the counts, last) and, for the text
formats, rejects.jsonl; --json prints the summary. Each file is written atomically.

Examples:
  datagen export data/packed --to hf-parquet --out export/hf
  datagen export data/packed --to megatron-bridge --out export/megatron --json
  datagen export data/conversations.jsonl --to harmony-text --out export/text`,
    )
    .action(async (sources: string[], o: ExportCliOptions) => {
      const { exportPacked, exportText } = await import("../../export/index.js");
      const progress = new StderrProgress();
      const started = Date.now();
      let summary: ExportSummary;
      if (isPackedFormat(o.to)) {
        if (sources.length !== 1) throw new UsageError(`--to ${o.to} reads one packed dataset folder, got ${sources.length} sources`);
        requirePackedFolder(sources[0]);
        summary = await exportPacked({
          source: sources[0],
          to: o.to,
          out: o.out,
          force: o.force,
          verify: o.verify,
          compression: o.compression,
          fileTokens: o.fileTokens,
          rowGroupRows: o.rowGroupRows,
          workers: o.workers,
          onProgress: (p) =>
            progress.report(() =>
              p.stage === "verify"
                ? `export: verifying ${sources[0]}, ${elapsed(started)}`
                : `export: ${p.samples}/${p.totalSamples} samples, ${elapsed(started)}`,
            ),
        });
      } else {
        for (const file of sources) requireReadableFile(file);
        summary = await exportText({
          inputs: sources,
          to: o.to,
          out: o.out,
          force: o.force,
          dialect: o.dialect,
          documents: o.documents,
          compression: o.compression,
          fileTokens: o.fileTokens,
          rowGroupRows: o.rowGroupRows,
          maxLineBytes: o.maxLineBytes,
          onProgress: (p) => progress.report(() => `export: ${p.records} records, ${p.rejects} rejects, ${elapsed(started)}`),
        });
      }
      progress.done();
      process.stdout.write(o.json ? JSON.stringify(summary) + "\n" : formatSummary(summary)); // one JSON document per line
    });
}

function requirePackedFolder(dir: string): void {
  if (!existsSync(dir)) throw new UsageError(`no such folder: ${dir}`);
  if (!statSync(dir).isDirectory())
    throw new UsageError(
      `not a folder: ${dir} (--to ${PACKED_FORMATS.join(" and ")} read a packed dataset folder; give JSONL files with the other formats)`,
    );
}

function formatSummary(s: ExportSummary): string {
  const n = (x: number): string => x.toLocaleString("en-US");
  return [
    `exported ${n(s.rows)} rows (${n(s.documents)} documents, ` +
      `${n(s.tokens)} tokens${s.trained !== undefined ? `, ${n(s.trained)} trained` : ""}) ` +
      `as ${s.format} in ${s.files.length} file(s): ${s.out}`,
    ...(s.eosZeroed ? [`warning: ${n(s.eosZeroed)} trained targets follow an eos token that Megatron-Bridge will not train on`] : []),
    ...(!isPackedFormat(s.format as ExportFormat)
      ? [`rejects: ${n(s.rejects)}${s.rejects > 0 ? ` (see ${s.out}/rejects.jsonl)` : ""}`]
      : []),
    `time: ${s.seconds.toFixed(1)} s`,
    "",
  ].join("\n");
}
