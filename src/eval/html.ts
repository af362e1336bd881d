// The eval report as one self-contained HTML page: the card's tables and Vega-Lite charts compiled
// to static SVG in Node (src/stats/charts.ts renderSvg), no scripts, no network.
import type { TopLevelSpec } from "vega-lite";
import { chartFigure, escapeHtml, htmlPage, htmlTable } from "../core/html.js";
import { personaBars } from "../stats/bars.js";
import { renderSvg } from "../stats/charts.js";
import { NO_JUDGE, type EvalReport } from "./score.js";
import { evalSections, type EvalSection } from "./sections.js";

interface EvalChart {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

const STYLE = `
.meta { color: #5b6878; font-size: .9rem; } .notes { color: #9a3412; }
table { margin: .4rem 0; } caption { color: #5b6878; }
td.none { color: #8a96a6; font-style: italic; }`;

const lengthLabel = (n: number) => (n % 1024 === 0 ? `${n / 1024}K` : String(n));

function charts(report: EvalReport): EvalChart[] {
  const out: EvalChart[] = [];
  const { ruler, personas, sycophancy, refusals } = report.suites;
  if (ruler) {
    out.push({
      id: "ruler",
      title: "RULER score by length",
      caption: "Share of expected strings found, per task and target length (tokens).",
      spec: {
        data: { values: ruler.cells.map((c) => ({ task: c.task, length: lengthLabel(c.length), order: c.length, score: c.score })) },
        mark: { type: "line", point: true },
        width: 520,
        height: 240,
        encoding: {
          x: { field: "length", type: "ordinal", sort: { field: "order" }, title: "length" },
          y: { field: "score", type: "quantitative", scale: { domain: [0, 1] }, axis: { format: "%" }, title: "score" },
          color: { field: "task", type: "nominal" },
        },
      },
    });
  }
  if (personas) {
    const values = personas.rows.flatMap((r) => [
      { persona: r.persona, measure: "refused (code)", share: r.items ? r.refused_by_code / r.items : 0 },
      ...(r.judged
        ? [
            { persona: r.persona, measure: "substance complete", share: (r.substance_complete ?? 0) / r.judged },
            { persona: r.persona, measure: "identified blind", share: (r.identified ?? 0) / r.judged },
          ]
        : []),
    ]);
    out.push({
      id: "personas",
      title: "Personas",
      caption: personas.rows.some((r) => r.judged)
        ? "Share of items per persona."
        : `Refusals found by code per persona; substance and identification: ${NO_JUDGE}.`,
      spec: {
        data: { values },
        mark: "bar",
        width: 520,
        height: { step: 12 },
        encoding: {
          y: { field: "persona", type: "nominal", sort: null, title: null },
          yOffset: { field: "measure" },
          x: { field: "share", type: "quantitative", scale: { domain: [0, 1] }, axis: { format: "%" }, title: "share of items" },
          color: { field: "measure", type: "nominal" },
        },
      },
    });
  }
  if (sycophancy) {
    const values = sycophancy.rows.flatMap((r) =>
      sycophancy.traps.map((t) => ({ persona: r.persona, trap: t, outcome: r.traps[t] ?? "-" })),
    );
    out.push({
      id: "sycophancy",
      title: "Sycophancy traps",
      caption: "Outcome of each trap per persona.",
      spec: {
        data: { values },
        mark: "rect",
        width: { step: 90 },
        height: { step: 22 },
        encoding: {
          x: { field: "trap", type: "nominal", sort: null, title: null },
          y: { field: "persona", type: "nominal", sort: null, title: null },
          color: {
            field: "outcome",
            type: "nominal",
            scale: {
              domain: ["resisted", "caved", "unusable", "unanswered", NO_JUDGE],
              range: ["#3b8f5a", "#c0392b", "#d08c3a", "#b8c4d2", "#dde3ea"],
            },
          },
        },
      },
    });
  }
  if (refusals) {
    const values = refusals.rows.flatMap((r) => [
      { persona: r.persona, outcome: "legitimate answered", items: r.answered - (r.partial ?? 0) },
      { persona: r.persona, outcome: "legitimate borderline", items: r.partial ?? 0 },
      { persona: r.persona, outcome: "legitimate refused", items: r.over_refused },
      { persona: r.persona, outcome: "harmful refused", items: r.refused },
      { persona: r.persona, outcome: "harmful complied", items: r.complied },
    ]);
    out.push({
      id: "refusals",
      title: "Refusal calibration",
      caption: `Outcomes per persona (classified by ${refusals.classifier === "judge" ? "the judge" : "code"}).`,
      spec: personaBars(
        values,
        { field: "items", type: "quantitative", stack: "zero", title: "items", axis: { tickMinStep: 1, format: "d" } },
        {
          field: "outcome",
          type: "nominal",
          scale: {
            domain: ["legitimate answered", "legitimate borderline", "legitimate refused", "harmful refused", "harmful complied"],
            range: ["#3b8f5a", "#d08c3a", "#c0392b", "#3b6ea8", "#7d3c98"],
          },
        },
      ),
    });
  }
  if (report.timing.length > 0) {
    out.push({
      id: "timing",
      title: "Answer time",
      caption: "Mean seconds per item by suite (and ruler length).",
      spec: {
        data: {
          values: report.timing.map((t) => ({
            group: t.length === null ? t.suite : `${t.suite} ${lengthLabel(t.length)}`,
            seconds: t.seconds / t.items,
          })),
        },
        mark: { type: "bar", color: "#3b6ea8" },
        width: 520,
        height: { step: 20 },
        encoding: {
          y: { field: "group", type: "nominal", sort: null, title: null },
          x: { field: "seconds", type: "quantitative", title: "seconds per item" },
        },
      },
    });
  }
  return out;
}

function sectionHtml(s: EvalSection): string {
  const table = htmlTable(s.caption, s.header, s.rows, (c) => (c.includes(NO_JUDGE) ? "none" : null));
  const lines = s.lines.length ? `<ul>${s.lines.map((l) => `<li>${escapeHtml(l)}</li>`).join("")}</ul>` : "";
  return `<section data-section="${s.id}"><h2>${escapeHtml(s.title)}</h2>${table}${lines}</section>`;
}

export async function renderEvalHtml(report: EvalReport): Promise<string> {
  const figures: string[] = [];
  for (const c of charts(report)) figures.push(chartFigure(c, await renderSvg(c.spec)));
  const model = report.model ? `${report.model.identity}${report.model.smoke ? " (smoke model: random noise)" : ""}` : "not recorded";
  const body = `<h1>Evaluation report</h1>
<p class="meta">${escapeHtml(report.items_file)} · ${report.counts.items} items, ${report.counts.answered} answered
· model ${escapeHtml(model)} · judge ${escapeHtml(report.judge ?? "none")}</p>
${report.notes.length ? `<ul class="notes">${report.notes.map((n) => `<li>${escapeHtml(n)}</li>`).join("")}</ul>` : ""}
${evalSections(report).map(sectionHtml).join("\n")}
<h2>Charts</h2>
${figures.join("\n")}`;
  return htmlPage({ title: "datagen eval report", style: STYLE, body });
}
