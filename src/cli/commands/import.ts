// `datagen import FILE... --out FILE.jsonl`: convert chat data of any shape we read into our
// records (src/import/index.ts), written atomically, with a report of what happened to each line.
import { existsSync, statSync } from "node:fs";
import type { Command } from "commander";
import { CheckFailedError, UsageError } from "../../core/errors.js";
import { escapeControls, jsonLine } from "../../core/escape.js";
import { AtomicFile, checkOutputFile } from "../../core/output.js";
import type { ImportReject, ImportReport } from "../../import/index.js";
import type { ShapeOption } from "../../ingest/shapes/index.js";
import { shapeReasonTable } from "../../ingest/shapes/reasons.js";
import { fromOption, maxLineBytesOption, requireReadableInputs } from "../options.js";
import { elapsed, StderrProgress } from "../progress.js";

interface ImportFlags {
  out: string;
  from: ShapeOption;
  allowTrailingCall?: boolean;
  force?: boolean;
  strict?: boolean;
  json?: boolean;
  quiet?: boolean;
  maxLineBytes: number;
}

const HELP_AFTER = `
Shapes (--from, default auto: detected per record; docs/INPUTS.md shows each):
  native    our records (schemas/conversation.schema.json), copied as they are
  openai    OpenAI chat completions / HF "messages": content parts, tool_calls, refusal and other
            API fields, legacy function_call, thinking / reasoning_content / reasoning, developer
            messages; HF thinking sets (Multilingual-Thinking) too
  sharegpt  ShareGPT / LLaMA-Factory "conversations" of {from, value}: system, human, gpt,
            function_call, observation; "tools" and "system" columns
  hermes    NousResearch Hermes: <tools> in the system prompt, <tool_call> / <tool_response> tags
            (bodies in JSON or as Python literals, {'name': ...})
  xlam      Salesforce xLAM / APIGen: query, tools and answers as JSON strings (these end with the
            calls: add --allow-trailing-call)
Each converted record is validated as 'datagen validate' does; only valid records are written.
A record without an id gets FILE:LINE, as in every command.

Output:
  --out     the records, one per line; written to FILE.partial and renamed at the end, so FILE is
            either absent, the old file, or complete. An existing FILE is refused unless --force;
            an existing FILE.partial always (it may be yours, or what a killed run left).
  stdout    one line per rejected record: FILE:LINE ID REASON_CODE message, then a summary:
            records by shape, converted, rejected by reason, and the fields left out (dropped).
  --json    JSON Lines: {"type":"rejected",...} per rejected record, then {"type":"summary",...}.
Exit status: 0 records written (some may be rejected, listed), 1 nothing to write or (--strict)
any record rejected, 2 usage error.

Reason codes of conversion (besides those of 'datagen validate --help'):
${shapeReasonTable("  ")}

Examples:
  $ datagen import dump.jsonl --out chats.jsonl
  $ datagen import xlam_function_calling_60k.jsonl --from xlam --allow-trailing-call --out xlam.jsonl
  $ datagen import glaive.jsonl hermes.jsonl --out mixed.jsonl --json | tail -n 1 | jq .shapes
`;

export function register(program: Command): void {
  program
    .command("import")
    .description("Convert chat data of another shape (OpenAI, ShareGPT, Hermes, xLAM, HF thinking sets) into datagen records.")
    .argument("<files...>", "input files, one record per line/element/row (JSONL, JSON array, .gz, .zst, Parquet; - for stdin)")
    .requiredOption("--out <file>", "where to write the converted records (JSONL)")
    .addOption(fromOption())
    .option("--allow-trailing-call", "accept records that end with an assistant tool call (xLAM / APIGen)")
    .option("--force", "replace an existing --out file")
    .option("--strict", "write nothing and exit 1 if any record is rejected")
    .option("--json", "machine-readable output: JSON Lines (see below)")
    .option("--quiet", "print only the summary")
    .addOption(maxLineBytesOption())
    .addHelpText("after", HELP_AFTER)
    .showHelpAfterError("(run 'datagen import --help' for usage)")
    .action(async (files: string[], flags: ImportFlags) => {
      requireReadableInputs(files);
      checkOutputFile(
        flags.out,
        "--out",
        files.filter((f) => f !== "-"),
      );
      if (existsSync(flags.out)) {
        // A device or pipe is never replaced by a renamed file (think --out /dev/null --force).
        if (!statSync(flags.out).isFile()) throw new UsageError(`--out ${flags.out} exists and is not a regular file; name a file`);
        if (flags.force !== true) throw new UsageError(`--out ${flags.out} already exists; pass --force to replace it`);
      }
      await importCommand(files, flags);
    });
}

async function importCommand(files: string[], flags: ImportFlags): Promise<void> {
  const progress = new StderrProgress();
  const started = Date.now();
  const print = (text: string): void => {
    progress.done();
    process.stdout.write(text);
  };
  const output = new AtomicFile(flags.out, `--out ${flags.out}`);
  let report: ImportReport;
  try {
    const { importFiles } = await import("../../import/index.js"); // loads when the command runs
    report = await importFiles(files, {
      from: flags.from,
      allowTrailingCall: flags.allowTrailingCall === true,
      maxLineBytes: flags.maxLineBytes,
      write: (line) => output.write(line),
      onReject: flags.quiet ? undefined : (r) => print(flags.json ? jsonLine({ type: "rejected", ...r, id: r.id ?? null }) : rejectLine(r)),
      onProgress: flags.quiet
        ? undefined
        : (n) => progress.report(() => `import: ${n.toLocaleString("en-US")} records, ${elapsed(started)}`),
    });
  } catch (e) {
    output.discard();
    throw e;
  }
  const keep = report.converted > 0 && !(flags.strict && report.rejected > 0);
  if (keep) output.commit();
  else output.discard();
  print(
    flags.json ? jsonLine({ type: "summary", out: keep ? flags.out : null, ...report }) : summaryText(report, keep ? flags.out : undefined),
  );
  const hint = trailingCallHint(report, flags);
  if (report.converted === 0) {
    const why = report.records === 0 ? "the input holds no record" : `all ${report.records} records were rejected`;
    throw new CheckFailedError(`no record was imported: ${why}; ${flags.out} was not written${hint ? `; ${hint}` : ""}`);
  }
  if (hint) process.stderr.write(`note: ${hint}\n`);
  if (!keep)
    throw new CheckFailedError(`${report.rejected} of ${report.records} records rejected (--strict); ${flags.out} was not written`);
}

/** xLAM / APIGen records end with a call and no result: say which flag accepts them. */
function trailingCallHint(report: ImportReport, flags: ImportFlags): string | undefined {
  const n = report.rejected_by_code.missing_tool_result ?? 0;
  if (n === 0 || flags.allowTrailingCall === true) return undefined;
  return (
    `${n} record${n === 1 ? "" : "s"} rejected as missing_tool_result; ` +
    `if they end with a tool call and no result (as xLAM / APIGen records do), pass --allow-trailing-call to accept them`
  );
}

function rejectLine(r: ImportReject): string {
  return `${escapeControls(r.file)}:${r.line} ${escapeControls(r.id ?? "-")} ${r.code} ${escapeControls(r.message)}\n`;
}

function summaryText(report: ImportReport, out: string | undefined): string {
  const list = (counts: Record<string, number>): string =>
    Object.entries(counts)
      .map(([k, n]) => `${k} ${n}`)
      .join(", ");
  const lines = [
    `${report.records} records in ${report.files} file${report.files === 1 ? "" : "s"}: ${report.converted} converted, ` +
      `${report.rejected} rejected${out ? `; written to ${escapeControls(out)}` : "; nothing written"}`,
  ];
  if (Object.keys(report.shapes).length > 0) lines.push(`  shapes: ${list(report.shapes)}`);
  if (report.rejected > 0) lines.push(`  rejected: ${list(report.rejected_by_code)}`);
  const dropped = Object.entries(report.dropped);
  if (dropped.length > 0) {
    lines.push("  dropped (field: records):");
    for (const [field, n] of dropped) lines.push(`    ${escapeControls(field)}: ${n}`);
  }
  return lines.join("\n") + "\n";
}
