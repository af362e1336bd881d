// Chart specifications (Vega-Lite) for the HTML report, compiled to static SVG in Node:
// vega-lite compile → vega.View with renderer "none" → toSVG(). No browser, no network.
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { personaBars } from "./bars.js";
import { confusionHeatmap, substanceChart } from "./judged.js";
import type { ReportBundle } from "./report.js";
import { coverageCharts } from "./coverage.js";

export interface Chart {
  id: string;
  title: string;
  caption: string;
  svg: string;
}

const PALETTE = { primary: "#3b6ea8", secondary: "#d08c3a", muted: "#b8c4d2" };
/** Counts: integers (no 0.5 ticks on small data), SI-abbreviated when large (20k, 10M). */
function countAxis(max: number) {
  return { format: max < 10_000 ? ",d" : "~s", tickMinStep: 1 };
}
const maxOf = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);
const BASE_CONFIG = { font: "sans-serif", view: { stroke: null }, axis: { labelFontSize: 11, titleFontSize: 12 }, background: "white" };

/** Every chart that has data, in report order. */
export async function buildCharts(bundle: ReportBundle): Promise<Chart[]> {
  const specs = chartSpecs(bundle);
  const charts: Chart[] = [];
  for (const s of specs) charts.push({ id: s.id, title: s.title, caption: s.caption, svg: await renderSvg(s.spec) });
  return charts;
}

export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile({ ...spec, config: { ...BASE_CONFIG, ...(spec.config ?? {}) } } as TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

interface ChartSpec {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

function chartSpecs({ report, lengthSamples }: ReportBundle): ChartSpec[] {
  const out: ChartSpec[] = [];
  const raw = report.raw;
  if (raw && raw.records > 0) {
    out.push(personaBalance(raw.by_persona));
    out.push(lengthHistograms(lengthSamples, raw.tokens.per_conversation.total.p99));
    if (Object.keys(raw.tool_calls.by_tool).length > 0) out.push(toolUsage(raw.tool_calls.by_tool));
    out.push(trainedByPersona(raw.personas));
    out.push(channelShares(raw.tokens.channels));
  }
  if (raw?.judged) for (const chart of [confusionHeatmap(raw.judged), substanceChart(raw.judged)]) if (chart) out.push(chart);
  const packed = report.packed;
  if (packed && packed.samples > 0) {
    out.push(fillPerSample(packed.per_sample));
    out.push(trainedPerSample(packed.per_sample));
  }
  out.push(...coverageCharts(report.coverage));
  return out;
}

function personaBalance(byPersona: Record<string, number>): ChartSpec {
  const values = Object.entries(byPersona).map(([persona, records]) => ({ persona, records }));
  return {
    id: "persona-balance",
    title: "Persona balance",
    caption: 'Valid conversations per persona ("none": no persona system message).',
    spec: {
      data: { values },
      mark: { type: "bar", color: PALETTE.primary },
      width: 520,
      height: { step: 22 },
      encoding: {
        y: { field: "persona", type: "nominal", sort: null, title: null },
        x: { field: "records", type: "quantitative", title: "conversations", axis: countAxis(maxOf(values.map((v) => v.records))) },
        tooltip: [{ field: "persona" }, { field: "records" }],
      },
    },
  };
}

/** Histograms up to the 99th percentile: a long tail would squeeze everything into one bin. */
function lengthHistograms(samples: Map<string, Float64Array>, p99: number): ChartSpec {
  const values: { persona: string; tokens: number }[] = [];
  let above = 0;
  for (const [persona, lengths] of samples) {
    for (const tokens of lengths) {
      if (tokens <= p99) values.push({ persona, tokens });
      else above++;
    }
  }
  return {
    id: "length-histograms",
    title: "Conversation length per persona",
    caption:
      `Tokens per conversation (o200k_harmony, rendered), one histogram per persona, ` +
      `up to the 99th percentile (${Math.round(p99).toLocaleString("en-US")} tokens; ` +
      `${above.toLocaleString("en-US")} longer sampled conversations not shown); up to 5,000 sampled conversations per persona.`,
    spec: {
      data: { values },
      columns: 3,
      facet: { field: "persona", type: "nominal", sort: [...samples.keys()], title: null },
      spec: {
        width: 200,
        height: 110,
        mark: { type: "bar", color: PALETTE.primary },
        encoding: {
          x: { field: "tokens", type: "quantitative", bin: { maxbins: 24 }, title: "tokens", axis: countAxis(p99) },
          y: { aggregate: "count", type: "quantitative", title: "conversations", axis: countAxis(values.length) },
        },
      },
    },
  };
}

function toolUsage(byTool: Record<string, number>): ChartSpec {
  const values = Object.entries(byTool)
    .slice(0, 30)
    .map(([tool, calls]) => ({ tool, calls }));
  return {
    id: "tool-usage",
    title: "Tool usage",
    caption: "Tool calls per tool (the 30 most called).",
    spec: {
      data: { values },
      mark: { type: "bar", color: PALETTE.secondary },
      width: 520,
      height: { step: 18 },
      encoding: {
        y: { field: "tool", type: "nominal", sort: "-x", title: null },
        x: { field: "calls", type: "quantitative", title: "calls", axis: countAxis(maxOf(values.map((v) => v.calls))) },
      },
    },
  };
}

function trainedByPersona(personas: Record<string, { tokens_total: number; tokens_trained: number }>): ChartSpec {
  const values = Object.entries(personas).flatMap(([persona, p]) => [
    { persona, part: "trained", tokens: p.tokens_trained },
    { persona, part: "not trained", tokens: p.tokens_total - p.tokens_trained },
  ]);
  return {
    id: "trained-by-persona",
    title: "Trained fraction per persona",
    caption: "Share of rendered tokens with loss mask 1 under the report's mask mode.",
    spec: personaBars(
      values,
      { field: "tokens", type: "quantitative", stack: "normalize", title: "share of tokens", axis: { format: "%" } },
      {
        field: "part",
        type: "nominal",
        scale: { domain: ["trained", "not trained"], range: [PALETTE.primary, PALETTE.muted] },
        title: null,
      },
    ),
  };
}

function channelShares(channels: { analysis: number; commentary: number; final: number }): ChartSpec {
  const values = Object.entries(channels).map(([channel, tokens]) => ({ channel, tokens }));
  return {
    id: "channel-shares",
    title: "Assistant tokens by channel",
    caption: "Assistant message tokens (header through terminator) on the analysis, commentary and final channels.",
    spec: {
      data: { values },
      mark: { type: "bar", color: PALETTE.primary },
      width: 520,
      height: { step: 26 },
      encoding: {
        y: { field: "channel", type: "nominal", sort: ["analysis", "commentary", "final"], title: null },
        x: { field: "tokens", type: "quantitative", title: "tokens", axis: countAxis(maxOf(values.map((v) => v.tokens))) },
      },
    },
  };
}

function perSampleValues(rows: { fill: number; trained_fraction: number; documents: number }[]) {
  return rows.map((r, index) => ({ index, fill: r.fill, trained_fraction: r.trained_fraction, documents: r.documents }));
}

function fillPerSample(rows: { fill: number; trained_fraction: number; documents: number }[]): ChartSpec {
  return {
    id: "fill-per-sample",
    title: "Fill rate per sample",
    caption: "Real (non-padding) tokens / sequence length, per packed sample in file order.",
    spec: {
      data: { values: perSampleValues(rows) },
      mark: { type: "bar", color: PALETTE.primary },
      width: 640,
      height: 160,
      encoding: {
        x: { field: "index", type: "ordinal", title: "sample", axis: rows.length > 40 ? { labels: false, ticks: false } : {} },
        y: { field: "fill", type: "quantitative", title: "fill", scale: { domain: [0, 1] }, axis: { format: "%" } },
        tooltip: [{ field: "index" }, { field: "fill", format: ".2%" }, { field: "documents" }],
      },
    },
  };
}

function trainedPerSample(rows: { fill: number; trained_fraction: number; documents: number }[]): ChartSpec {
  return {
    id: "trained-per-sample",
    title: "Trained fraction per sample",
    caption: "Tokens with loss mask 1 / real tokens, per packed sample.",
    spec: {
      data: { values: perSampleValues(rows) },
      mark: { type: "bar", color: PALETTE.secondary },
      width: 640,
      height: 160,
      encoding: {
        x: { field: "index", type: "ordinal", title: "sample", axis: rows.length > 40 ? { labels: false, ticks: false } : {} },
        y: { field: "trained_fraction", type: "quantitative", title: "trained", scale: { domain: [0, 1] }, axis: { format: "%" } },
      },
    },
  };
}
