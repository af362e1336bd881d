// The self-contained HTML report: inline CSS, inline SVG charts (charts.ts), no scripts and
// no external resources, so it opens offline and makes no network requests.
import { chartFigure, escapeHtml, htmlPage, htmlTable } from "../core/html.js";
import { buildCharts } from "./charts.js";
import type { ReportBundle } from "./report.js";
import { reportSections, type Section } from "./sections.js";

const STYLE = `
.inputs { color: #5b6878; font-size: .9rem; }
.tables { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 1.2rem 2.5rem; }
caption { font-weight: 600; }
.warnings { color: #9a3412; }`;

export async function renderHtml(bundle: ReportBundle): Promise<string> {
  const { report } = bundle;
  const charts = await buildCharts(bundle);
  const inputs = [...report.inputs.raw, ...report.inputs.packed, ...report.inputs.rejects];
  const warnings = report.packed?.warnings ?? [];
  const inputsLine =
    `<p class="inputs">Inputs: ${inputs.map(escapeHtml).join(", ")} · mask ${escapeHtml(report.mask)} · ` +
    `dialect ${escapeHtml(report.dialect)} · tokenizer o200k_harmony</p>`;
  const body = `<h1>Dataset statistics</h1>
${inputsLine}
${warnings.length ? `<ul class="warnings">${warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join("")}</ul>` : ""}
<h2>Figures</h2>
<div class="tables">
${reportSections(report).map(tableHtml).join("\n")}
</div>
<h2>Charts</h2>
${charts.map((c) => chartFigure(c, c.svg)).join("\n")}`;
  return htmlPage({ title: "datagen stats report", style: STYLE, body });
}

const tableHtml = (section: Section): string => htmlTable(section.title, section.header, section.rows);
