// Stats stage: `dataset stats report`. Entry point: statsReport() (read inputs, write outputs).
import { renameSync, writeFileSync } from "node:fs";
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
  const bundle = await buildReport(paths, options);
  if (outputs.json) writeAtomically(outputs.json, JSON.stringify(bundle.report, null, 2) + "\n");
  // The charting libraries are large: loaded only when an HTML report is asked for.
  if (outputs.html) writeAtomically(outputs.html, await (await import("./html.js")).renderHtml(bundle));
  return { bundle, text: formatTerminal(bundle.report) };
}

function writeAtomically(path: string, content: string): void {
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, content);
  renameSync(temp, path);
}
