// Compact terminal tables for `dataset stats report`.
import { escapeControls } from "../core/escape.js";
import { table } from "./format.js";
import type { StatsReport } from "./report.js";
import { reportSections } from "./sections.js";

export function formatTerminal(report: StatsReport): string {
  // Cells hold names from the data (personas, tools, files, ids): one printable line each.
  const parts = reportSections(report).map(
    (s) =>
      `${s.title}\n${table(
        s.header,
        s.rows.map((row) => row.map(escapeControls)),
      )}`,
  );
  const warnings = report.packed?.warnings ?? [];
  if (warnings.length > 0) parts.push(`Warnings\n${warnings.map((w) => `  ${escapeControls(w)}`).join("\n")}`);
  return parts.join("\n\n") + "\n";
}
