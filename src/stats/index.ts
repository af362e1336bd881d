// Stats stage: `dataset stats report`. Entry point: statsReport() (read inputs, write outputs).
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
export async function statsReport(paths: string[], options: ReportOptions, outputs: StatsReportOutputs = {}): Promise<{ bundle: ReportBundle; text: string }> {
  // Checked before the work: not a folder, not an input; a missing folder is created at the end.
  if (outputs.json) checkOutputFile(outputs.json, "--json", paths);
  if (outputs.html) checkOutputFile(outputs.html, "--html", paths);
  if (outputs.json && outputs.html && realPathOf(outputs.json) === realPathOf(outputs.html)) throw new UsageError("--json and --html name the same file");
  const bundle = await buildReport(paths, options);
  if (outputs.json) writeFileAtomic(outputs.json, JSON.stringify(bundle.report, null, 2) + "\n", "--json");
  // The charting libraries are large: loaded only when an HTML report is asked for.
  if (outputs.html) writeFileAtomic(outputs.html, await (await import("./html.js")).renderHtml(bundle), "--html");
  return { bundle, text: formatTerminal(bundle.report) };
}
