// `dataset stats report PATH... [--json FILE] [--html FILE] [--mask MODE]`
import { type Command, InvalidArgumentError, Option } from "commander";
import { NothingUsableError } from "../../core/errors.js";
import { statsReport, defaultWorkers } from "../../stats/index.js";
import type { Dialect, DocumentMode, MaskMode } from "../../render/names.js";
import type { FromShape } from "../../ingest/source.js";
import { allowTrailingCallOption, dialectOption, documentsOption, fromOption, maskOption } from "../options.js";
import { elapsed, StderrProgress } from "../progress.js";

interface ReportFlags {
  json?: string;
  html?: string;
  mask: MaskMode;
  dialect: Dialect;
  documents: DocumentMode;
  workers: number;
  from: FromShape;
  allowTrailingCall: boolean;
}

export function register(program: Command): void {
  const stats = program.command("stats").description("Statistics of raw conversation JSONL and packed datasets.");
  stats
    .command("report")
    .description("Report what is in the data: terminal tables, --json with every figure, --html with charts.")
    .showHelpAfterError("(run 'dataset stats report --help' for usage)")
    .argument(
      "<path...>",
      "input file (JSONL, JSON array, .gz, .zst, Parquet; - for stdin) or folder of them, generate output folder, " +
        "or packed dataset folder (has manifest.json)",
    )
    .option("--json <file>", "write every figure as JSON (missing folders are created)")
    .option("--html <file>", "write a self-contained HTML report with charts (opens offline)")
    .addOption(maskOption("loss mask mode for trained-token counts"))
    .addOption(dialectOption("rendering dialect for token counts"))
    .addOption(
      documentsOption(
        "how raw records become documents for token counts (its cost: tokens per record, repeated prefixes): auto, turns or conversation",
      ),
    )
    .addOption(fromOption())
    .addOption(allowTrailingCallOption())
    .addOption(
      new Option("--workers <n>", "worker threads for rendering and tokenizing (0: main thread)")
        .argParser(nonNegativeInt)
        .default(defaultWorkers(), `cores - 1, here ${defaultWorkers()}`),
    )
    .addHelpText(
      "after",
      `
Examples:
  $ dataset stats report out/conversations.jsonl
  $ dataset stats report out/ packed/ --json stats.json --html stats.html
  $ dataset stats report packed/ --mask last-turn`,
    )
    .action(async (paths: string[], flags: ReportFlags) => {
      const progress = new StderrProgress();
      const started = Date.now();
      const onProgress = (records: number) =>
        progress.report(() => `stats: ${records.toLocaleString("en-US")} records, ${elapsed(started)}`);
      const { text, bundle } = await statsReport(
        paths,
        {
          mask: flags.mask,
          dialect: flags.dialect,
          documents: flags.documents,
          workers: flags.workers,
          from: flags.from,
          allowTrailingCall: flags.allowTrailingCall,
          onProgress,
        },
        { json: flags.json, html: flags.html },
      );
      progress.done();
      process.stdout.write(text);
      const raw = bundle.report.raw;
      if (raw && raw.files.length > 0 && raw.records === 0) {
        throw new NothingUsableError(
          `no valid record in ${raw.files.join(", ")}: ` +
            `the figures above describe nothing (${raw.invalid.total} invalid; see \`datagen validate\`)`,
        );
      }
    });
}

function nonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`--workers must be a non-negative integer, got "${value}"`);
  return n;
}
