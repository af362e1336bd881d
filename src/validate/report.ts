// `datagen validate` as a function: stream the files, print one line per issue (or one JSON object
// per bad record), then a summary by reason code. The CLI only parses flags and calls runValidation.
import { escapeControls } from "../core/escape.js";
import { REASON_CODES } from "./reasons.js";
import type { FromShape } from "../ingest/source.js";
import { validateFiles } from "./index.js";
import { validateFilesInWorkers, type VerdictEvent } from "./parallel.js";

export interface RunValidationOptions {
  maxLineBytes?: number;
  /** --from: the input records' shape (default auto). */
  from?: FromShape;
  /** --allow-trailing-call: a record may end with an assistant tool call. */
  allowTrailingCall?: boolean;
  /** JSON Lines: one object per bad record, then one summary object. */
  json?: boolean;
  /** Only the summary. */
  quiet?: boolean;
  /** Where results go (stdout in the CLI). */
  write: (text: string) => void;
  /** Worker threads that parse and validate (parallel.ts); 0 or absent: all on this thread. Same output either way. */
  workers?: number;
  /** Called every `progressEvery` lines with the lines seen so far. */
  onProgress?: (lines: number) => void;
  progressEvery?: number;
}

export interface ValidationSummary {
  files: number;
  /** Non-blank lines, valid or not. */
  records: number;
  valid: number;
  invalid: number;
  /** Issue counts by reason code, in the order of the reason table. */
  issues_by_code: Record<string, number>;
}

export async function runValidation(paths: readonly string[], options: RunValidationOptions): Promise<ValidationSummary> {
  const counts = new Map<string, number>();
  const every = options.progressEvery ?? 10_000;
  let records = 0;
  let invalid = 0;
  const settings = { maxLineBytes: options.maxLineBytes, from: options.from, allowTrailingCall: options.allowTrailingCall };
  const events = options.workers
    ? validateFilesInWorkers(paths, { ...settings, workers: options.workers })
    : validateFiles(paths, settings);
  for await (const event of events) {
    records++;
    if (options.onProgress && records % every === 0) options.onProgress(records);
    if (event.ok) continue;
    invalid++;
    for (const issue of event.issues) counts.set(issue.code, (counts.get(issue.code) ?? 0) + 1);
    if (!options.quiet) options.write(options.json ? jsonLine(event) : textLines(event));
  }
  const summary: ValidationSummary = {
    files: paths.length,
    records,
    valid: records - invalid,
    invalid,
    issues_by_code: orderedCounts(counts),
  };
  options.write(options.json ? JSON.stringify({ type: "summary", ...summary }) + "\n" : summaryText(summary));
  return summary;
}

type InvalidEvent = Extract<VerdictEvent, { ok: false }>;

/**
 * `FILE:LINE ID REASON_CODE message`, one line per issue; ID is "-" when the line has none. Control
 * characters in the file name, id and message are escaped, so each issue stays one line.
 */
export function textLines(event: InvalidEvent): string {
  const where = `${escapeControls(event.file)}:${event.line} ${event.id == null ? "-" : escapeControls(event.id)}`;
  let out = "";
  for (const issue of event.issues) out += `${where} ${issue.code} ${escapeControls(issue.message)}\n`;
  return out;
}

export function jsonLine(event: InvalidEvent): string {
  return JSON.stringify({ type: "invalid", file: event.file, line: event.line, id: event.id ?? null, issues: event.issues }) + "\n";
}

function orderedCounts(counts: Map<string, number>): Record<string, number> {
  const ordered: Record<string, number> = {};
  for (const code of REASON_CODES) if (counts.has(code)) ordered[code] = counts.get(code) as number;
  for (const [code, n] of counts) if (!(code in ordered)) ordered[code] = n;
  return ordered;
}

export function summaryText(s: ValidationSummary): string {
  const files = `${s.files} file${s.files === 1 ? "" : "s"}`;
  let out = `${s.records} record${s.records === 1 ? "" : "s"} in ${files}: ${s.valid} valid, ${s.invalid} invalid\n`;
  const codes = Object.keys(s.issues_by_code);
  if (codes.length === 0) return out;
  const width = Math.max(...codes.map((c) => c.length));
  out += "issues by reason code:\n";
  for (const code of codes) out += `  ${code.padEnd(width)}  ${s.issues_by_code[code]}\n`;
  return out;
}
