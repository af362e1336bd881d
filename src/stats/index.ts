// Stats stage: `dataset stats report`. Entry point: statsReport() (read inputs, write outputs).
import { closeSync, openSync, readSync } from "node:fs";
import { UsageError } from "../core/errors.js";
import { checkOutputFile, realPathOf, writeFileAtomic } from "../core/output.js";
import { buildReport, type ReportBundle, type ReportOptions } from "./report.js";
import { formatTerminal } from "./terminal.js";

export { buildReport, defaultWorkers, type ReportBundle, type ReportOptions, type StatsReport } from "./report.js";
export { formatTerminal } from "./terminal.js";
export { REFUSAL_PHRASES, isRefusal } from "./refusals.js";
export { MINHASH } from "./minhash.js";

export interface StatsReportOutputs {
  /** Write every figure as JSON here. */
  json?: string;
  /** Write the self-contained HTML report here. */
  html?: string;
}

/** Builds the report, writes the requested files (temp + rename), returns the bundle and the terminal text. */
export async function statsReport(
  paths: string[],
  options: ReportOptions,
  outputs: StatsReportOutputs = {},
): Promise<{ bundle: ReportBundle; text: string }> {
  // Checked before the work: not a folder, not an input; a missing folder is created at the end.
  if (outputs.json) checkOutputFile(outputs.json, "--json", paths);
  if (outputs.html) checkOutputFile(outputs.html, "--html", paths);
  if (outputs.json) refuseForeignFile(outputs.json, "--json", /^\{\s*"format":\s*"datagen\.stats"/);
  if (outputs.html) refuseForeignFile(outputs.html, "--html", /<title>datagen stats report<\/title>/);
  if (outputs.json && outputs.html && realPathOf(outputs.json) === realPathOf(outputs.html))
    throw new UsageError("--json and --html name the same file");
  const bundle = await buildReport(paths, options);
  if (outputs.json) writeFileAtomic(outputs.json, JSON.stringify(bundle.report, null, 2) + "\n", "--json");
  // The charting libraries are large: loaded only when an HTML report is asked for.
  if (outputs.html) writeFileAtomic(outputs.html, await (await import("./html.js")).renderHtml(bundle), "--html");
  return { bundle, text: formatTerminal(bundle.report) };
}

/**
 * A report replaces only an earlier report (or an empty file): `--json notes.json` naming the
 * user's own file would otherwise be renamed over, and stats has no --force to ask first.
 */
function refuseForeignFile(path: string, flag: string, ours: RegExp): void {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return; // missing: nothing to lose (other failures are reported when the report is written)
  }
  const head = Buffer.alloc(4096);
  let length: number;
  try {
    length = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const text = head.subarray(0, length).toString("utf8");
  if (length > 0 && !ours.test(text))
    throw new UsageError(`${flag} ${path} exists and is not a datagen stats report; move it away or name another file`);
}
