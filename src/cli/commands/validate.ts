// `datagen validate FILE...`: flags in, runValidation out; exit 0 all valid, 1 some invalid, 2 usage.
import type { Command } from "commander";
import { CheckFailedError } from "../../core/errors.js";
import { containerReasonTable } from "../../ingest/containers/reasons.js";
import { shapeReasonTable } from "../../ingest/shapes/reasons.js";
import { reasonTable } from "../../validate/reasons.js";
import { runValidation } from "../../validate/report.js";
import type { FromShape } from "../../ingest/source.js";
import { threadsForInputs } from "../../ingest/threads.js";
import { allowTrailingCallOption, fromOption, maxLineBytesOption, requireReadableInputs, workersOption } from "../options.js";
import { elapsed, StderrProgress } from "../progress.js";

interface ValidateFlags {
  json?: boolean;
  quiet?: boolean;
  maxLineBytes: number;
  from: FromShape;
  allowTrailingCall: boolean;
  workers?: number;
}

/** Inputs this large (or stdin) are validated on worker threads by default; smaller ones do not repay the threads' start. */
const PARALLEL_FROM_BYTES = 32 << 20;

const HELP_AFTER = `
Output (stdout):
  text    one line per problem:  FILE:LINE ID REASON_CODE message   (ID is "-" when unknown),
          then "N records in F files: V valid, I invalid" and the issue count per reason code.
  --json  JSON Lines: one {"type":"invalid","file","line","id","issues":[{"code","message","path"}]}
          per bad record, then one {"type":"summary","files","records","valid","invalid","issues_by_code"}.
  --quiet prints only the summary (text or JSON).
Progress (stderr, not with --quiet): a line updated in place on a terminal; otherwise a plain
"validate: N records, T s" line every 5 s.
Exit status: 0 every record valid, 1 some record invalid, 2 usage error (bad flag, missing file).

Reason codes:
${reasonTable("  ")}

Reason codes of reading the input (containers, then record shapes: docs/INPUTS.md):
${containerReasonTable("  ")}
${shapeReasonTable("  ")}

Examples:
  $ datagen validate data/examples/conversations.jsonl
  $ datagen validate out/*.jsonl --quiet
  $ datagen validate data/examples/invalid.jsonl --max-line-bytes 4096 --json | jq -c 'select(.type=="invalid") | .issues[].code'
`;

export function register(program: Command): void {
  program
    .command("validate")
    .description(
      "Check conversation records (JSONL, JSON array, gzip/zstd, Parquet, stdin; any shape --from reads) " +
        "against the record schema and the semantic rules (streams files of any size).",
    )
    .argument("<files...>", "input files, one record per line/element/row (JSONL, JSON array, .gz, .zst, Parquet; - for stdin)")
    .option("--json", "machine-readable output: JSON Lines (see below)")
    .option("--quiet", "print only the summary")
    .addOption(maxLineBytesOption())
    .addOption(fromOption())
    .addOption(allowTrailingCallOption())
    .addOption(
      workersOption(
        `threads that parse and validate, the output unchanged (0: this thread only; default: ` +
          `the core count for inputs of ${PARALLEL_FROM_BYTES >> 20} MiB or more or stdin, else 0)`,
      ),
    )
    .addHelpText("after", HELP_AFTER)
    .showHelpAfterError("(run 'datagen validate --help' for usage and the reason codes)")
    .action(async (files: string[], flags: ValidateFlags) => {
      requireReadableInputs(files);
      const progress = new StderrProgress();
      const started = Date.now();
      const summary = await runValidation(files, {
        json: flags.json,
        quiet: flags.quiet,
        maxLineBytes: flags.maxLineBytes,
        from: flags.from,
        allowTrailingCall: flags.allowTrailingCall,
        workers: flags.workers ?? threadsForInputs(files, PARALLEL_FROM_BYTES),
        write: (text) => {
          progress.done();
          process.stdout.write(text);
        },
        onProgress: flags.quiet
          ? undefined
          : (n) => progress.report(() => `validate: ${n.toLocaleString("en-US")} records, ${elapsed(started)}`),
        progressEvery: 10_000,
      });
      if (summary.invalid > 0) throw new CheckFailedError(`${summary.invalid} of ${summary.records} records are invalid`);
    });
}
