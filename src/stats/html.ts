// The self-contained HTML report: inline CSS, inline SVG charts (charts.ts), no scripts and
// no external resources, so it opens offline and makes no network requests.
import { buildCharts, type Chart } from "./charts.js";
import type { ReportBundle } from "./report.js";
import { reportSections, type Section } from "./sections.js";

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; color: #1d2733; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .2rem; } h2 { font-size: 1.15rem; margin-top: 2rem; border-bottom: 1px solid #dde3ea; }
.inputs { color: #5b6878; font-size: .9rem; }
.tables { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 1.2rem 2.5rem; }
table { border-collapse: collapse; font-size: .85rem; } caption { text-align: left; font-weight: 600; padding: .3rem 0; }
th, td { padding: .15rem .6rem; border-bottom: 1px solid #edf0f4; white-space: nowrap; } td:not(:first-child), th:not(:first-child) { text-align: right; }
th { color: #5b6878; font-weight: 500; }
figure.chart { margin: 1.2rem 0; } figcaption { color: #5b6878; font-size: .85rem; margin-bottom: .4rem; }
figcaption strong { color: #1d2733; font-size: 1rem; display: block; }
.warnings { color: #9a3412; }`;

export async function renderHtml(bundle: ReportBundle): Promise<string> {
  const { report } = bundle;
  const charts = await buildCharts(bundle);
  const inputs = [...report.inputs.raw, ...report.inputs.packed, ...report.inputs.rejects];
  const warnings = report.packed?.warnings ?? [];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>datagen stats report</title>
<style>${STYLE}</style>
</head>
<body>
<h1>Dataset statistics</h1>
<p class="inputs">Inputs: ${inputs.map(escapeHtml).join(", ")} · mask ${escapeHtml(report.mask)} · dialect ${escapeHtml(report.dialect)} · tokenizer o200k_harmony</p>
${warnings.length ? `<ul class="warnings">${warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join("")}</ul>` : ""}
<h2>Figures</h2>
<div class="tables">
${reportSections(report).map(tableHtml).join("\n")}
</div>
<h2>Charts</h2>
${charts.map(chartHtml).join("\n")}
</body>
</html>
`;
}

function chartHtml(chart: Chart): string {
  return `<figure class="chart" data-chart="${chart.id}"><figcaption><strong>${escapeHtml(chart.title)}</strong>${escapeHtml(chart.caption)}</figcaption>${chart.svg}</figure>`;
}

function tableHtml(section: Section): string {
  const head = `<tr>${section.header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr>`;
  const body = section.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("");
  return `<table><caption>${escapeHtml(section.title)}</caption>${head}${body}</table>`;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}
