// `dataset verify DIR`: checksums and invariants of a packed dataset; exit 1 on any problem.
import type { Command } from "commander";
import { statSync } from "node:fs";
import { CheckFailedError, UsageError } from "../../core/errors.js";
import { verifyDataset, type VerifyReport } from "../../pack/verify.js";
import { escapeControls, jsonLine } from "../../core/escape.js";
import { workersOption } from "../options.js";

export function register(program: Command): void {
  program
    .command("verify")
    .description("Check a packed dataset: every checksum, the format's invariants, and optionally each document against its source")
    .argument("<dir>", "packed dataset directory (holds manifest.json)")
    .option(
      "--source",
      "re-render every document from its input line and compare (inputs are found relative to the dataset, as recorded by pack)",
      false,
    )
    .addOption(workersOption("render threads for --source (0: this thread only; default as pack, by the inputs' size)"))
    .option("--json", "print the report as JSON", false)
    .showHelpAfterError("(run 'dataset verify --help' for usage)")
    .addHelpText(
      "after",
      `
Checks: sha256 of every file (a changed byte is reported with its file and offset), token ids
< 201088, mask 0 on padding and on every document's first token, bounds increasing within
seq_len, bounds_index consistent, documents.jsonl consistent with the shards, manifest totals.

Examples:
  dataset verify data/packed
  dataset verify data/packed --source --json`,
    )
    .action(async (dir: string, o: { source: boolean; workers?: number; json: boolean }) => {
      requireFolder(dir);
      const report = await verifyDataset(dir, { source: o.source, workers: o.workers });
      process.stdout.write(o.json ? jsonLine(report) : formatReport(report));
      if (!report.ok) throw new CheckFailedError(`${dir}: ${report.problems.length}${report.truncated ? "+" : ""} problem(s) found`);
    });
}

function formatReport(r: VerifyReport): string {
  const head =
    `${escapeControls(r.dir)}: ${r.samples} samples, ${r.documents} documents, ${r.filesChecked} files (${r.bytesChecked} bytes) checked` +
    (r.sourceDocumentsChecked ? `, ${r.sourceDocumentsChecked} documents re-rendered from source` : "");
  if (r.ok) return `${head}\nOK\n`;
  // File names and messages can quote the dataset's own ids and paths: one printable line per problem.
  const lines = r.problems.map(
    (p) =>
      `  ${p.code}${p.file ? ` ${escapeControls(p.file)}` : ""}${p.offset !== undefined ? ` @${p.offset}` : ""}: ` +
      `${escapeControls(p.message)}`,
  );
  if (r.truncated) lines.push("  … more problems not shown");
  return `${head}\nFAILED\n${lines.join("\n")}\n`;
}

/** A typo'd path is a usage error (exit 2), not a broken dataset (exit 1). */
function requireFolder(dir: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(`no such folder: ${dir}`);
  }
  if (!isDirectory) throw new UsageError(`not a folder: ${dir} (give the folder that datagen pack --out wrote)`);
}
