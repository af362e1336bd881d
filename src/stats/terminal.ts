// Compact terminal tables for `dataset stats report`.
import { table } from "./format.js";
import type { StatsReport } from "./report.js";
import { reportSections } from "./sections.js";

export function formatTerminal(report: StatsReport): string {
  const parts = reportSections(report).map((s) => `${s.title}\n${table(s.header, s.rows)}`);
  const warnings = report.packed?.warnings ?? [];
  if (warnings.length > 0) parts.push(`Warnings\n${warnings.map((w) => `  ${w}`).join("\n")}`);
  return parts.join("\n\n") + "\n";
}
