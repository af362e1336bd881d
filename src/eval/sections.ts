// The report's tables in the model card's layout, as header + rows (+ the card's sentences), shared
// by the terminal output and the HTML page.
import { escapeControls } from "../core/escape.js";
import { table } from "../stats/format.js";
import { NO_JUDGE, type EvalReport, type PersonaRow, type RefusalRow, type RulerCell, type SycophancyRow } from "./score.js";

export interface EvalSection {
  id: string;
  title: string;
  /** One line under the title: how the figures were made. */
  caption: string;
  header: string[];
  rows: string[][];
  /** The card's sentences ("No persona: 3/5 resisted (caved on …)"). */
  lines: string[];
}

const TASK_NAMES: Record<string, string> = {
  single_needle: "Single Needle",
  multi_needle: "Multi Needle",
  variable_tracking: "Variable Tracking",
  aggregation: "Aggregation (common-words style)",
  common_words: "Common Words Extraction",
  not_found: "Not Found",
};

const lengthLabel = (n: number) => (n % 1024 === 0 ? `${n / 1024}K` : String(n));
const percent = (x: number) => `${Math.round(x * 100)}%`;
const ratio = (n: number | null, d: number | null) => (n === null || d === null ? NO_JUDGE : `${n}/${d}`);

export function evalSections(report: EvalReport): EvalSection[] {
  const out: EvalSection[] = [];
  const { ruler, personas, sycophancy, refusals } = report.suites;
  if (ruler) out.push(rulerSection(ruler.lengths, ruler.tasks, ruler.cells));
  if (personas) out.push(personaGrid(personas.rows), personaTable(personas.rows));
  if (sycophancy) out.push(sycophancySection(sycophancy.traps, sycophancy.rows));
  if (refusals) out.push(refusalSection(refusals.classifier, refusals.rows));
  if (report.timing.length > 0) out.push(timingSection(report.timing));
  return out;
}

function rulerSection(lengths: number[], tasks: string[], cells: RulerCell[]): EvalSection {
  const rows = tasks.map((task) => [
    TASK_NAMES[task] ?? task,
    ...lengths.map((l) => {
      const c = cells.find((x) => x.task === task && x.length === l);
      return c ? percent(c.score) : "-";
    }),
  ]);
  const unanswered = cells.reduce((n, c) => n + c.items - c.answered, 0);
  return {
    id: "ruler",
    title: "RULER Long-Context Benchmark",
    caption:
      `Share of expected strings found in the answer (case-insensitive), averaged over ${cells.reduce((n, c) => n + c.items, 0)} items; ` +
      `scored by code.${unanswered ? ` ${unanswered} unanswered items count as 0.` : ""}`,
    header: ["Test Type", ...lengths.map(lengthLabel)],
    rows,
    lines: [],
  };
}

const GRID = [
  ["Good", "lawful_good", "neutral_good", "chaotic_good"],
  ["Neutral", "lawful_neutral", "true_neutral", "chaotic_neutral"],
  ["Evil", "lawful_evil", "neutral_evil", "chaotic_evil"],
];

function personaCell(row: PersonaRow | undefined): string {
  if (!row) return "-";
  if (row.judged === null) return `refused ${row.refused_by_code}/${row.items}; ${NO_JUDGE}`;
  return `substance ${row.substance_complete}/${row.judged}, identified ${row.identified}/${row.judged}, degraded ${row.degraded}`;
}

function personaGrid(rows: PersonaRow[]): EvalSection {
  const by = new Map(rows.map((r) => [r.persona, r]));
  const none = by.get("none");
  return {
    id: "persona-grid",
    title: "Persona Alignment Grid",
    caption:
      "Identical prompts in every persona: substance complete and correct, persona identified blind by the judge, help degraded; " +
      "refusals by code.",
    header: ["", "Lawful", "Neutral", "Chaotic"],
    rows: GRID.filter((g) => g.slice(1).some((p) => by.has(p))).map(([axis, ...ps]) => [axis, ...ps.map((p) => personaCell(by.get(p)))]),
    lines: none ? [`No persona: ${personaCell(none)}`] : [],
  };
}

function personaTable(rows: PersonaRow[]): EvalSection {
  return {
    id: "personas",
    title: "Personas, per persona",
    caption: "Items, answers, refusals found by code (refusal phrases) and the judge's verdicts.",
    header: ["persona", "items", "answered", "refused (code)", "substance complete", "identified blind", "degraded", "judge unusable"],
    rows: rows.map((r) => [
      r.persona,
      String(r.items),
      String(r.answered),
      String(r.refused_by_code),
      ratio(r.substance_complete, r.judged),
      ratio(r.identified, r.judged),
      r.degraded === null ? NO_JUDGE : String(r.degraded),
      r.unusable === null ? NO_JUDGE : String(r.unusable),
    ]),
    lines: [],
  };
}

function sycophancySection(traps: string[], rows: SycophancyRow[]): EvalSection {
  // Without a judge the table already says so in every cell: one sentence, not one per persona.
  const lines = rows.every((r) => r.resisted === null)
    ? [`Every persona: ${NO_JUDGE}`]
    : rows.map((r) => {
        const label = r.persona === "none" ? "No persona" : r.persona;
        if (r.resisted === null || r.scored === null) return `${label}: ${NO_JUDGE}`;
        const caved = traps.filter((t) => r.traps[t] === "caved");
        const unscored = r.scored < r.items ? `, ${r.items - r.scored} not scored (unanswered or unusable verdict)` : "";
        return `${label}: ${r.resisted}/${r.items} resisted${caved.length ? ` (caved on ${caved.join(", ")})` : ""}${unscored}`;
      });
  return {
    id: "sycophancy",
    title: "Sycophancy Resistance",
    caption: `${traps.length} trap kinds per persona; resisted or caved as the judge decides.`,
    header: ["persona", ...traps, "resisted"],
    rows: rows.map((r) => [r.persona, ...traps.map((t) => r.traps[t] ?? "-"), r.resisted === null ? NO_JUDGE : `${r.resisted}/${r.items}`]),
    lines,
  };
}

function refusalSection(classifier: "judge" | "code", rows: RefusalRow[]): EvalSection {
  const lines = rows.flatMap((r) => {
    const label = r.persona === "none" ? "No persona" : r.persona;
    const borderline = r.partial
      ? `; ${r.partial} borderline over-refusal${r.partial > 1 ? "s" : ""} ` +
        `(${r.partial_classes.join(", ")}: refused the framing but still helped)`
      : "";
    const over = r.over_refused ? `; ${r.over_refused} over-refused (${r.over_refused_classes.join(", ")})` : "";
    return [
      `${label}: correctly answered ${r.answered}/${r.legitimate} legitimate requests, correctly refused ${r.refused}/${r.harmful} ` +
        `harmful requests${over}${borderline}`,
    ];
  });
  return {
    id: "refusals",
    title: "Refusal Calibration",
    caption:
      classifier === "judge"
        ? "Answered / refused / borderline as the judge decides."
        : `Answered or refused by code (refusal phrases, the personas' in-voice ones included); borderline over-refusals: ${NO_JUDGE}.`,
    header: ["persona", "legitimate answered", "over-refused", "borderline", "harmful refused", "harmful complied", "unanswered"],
    rows: rows.map((r) => [
      r.persona,
      `${r.answered}/${r.legitimate}`,
      String(r.over_refused),
      r.partial === null ? NO_JUDGE : String(r.partial),
      `${r.refused}/${r.harmful}`,
      String(r.complied),
      String(r.unanswered),
    ]),
    lines,
  };
}

function timingSection(timing: EvalReport["timing"]): EvalSection {
  return {
    id: "timing",
    title: "Answer time",
    caption: "Seconds spent answering, summed over items (from answers.jsonl), per suite and ruler length.",
    header: ["suite", "length", "items", "seconds", "s/item"],
    rows: timing.map((t) => [
      t.suite,
      t.length === null ? "" : lengthLabel(t.length),
      String(t.items),
      t.seconds.toFixed(1),
      (t.seconds / t.items).toFixed(2),
    ]),
    lines: [],
  };
}

export function formatEvalTerminal(report: EvalReport): string {
  const noise = report.model?.smoke ? " (smoke model: random noise)" : "";
  const model = report.model ? escapeControls(report.model.identity) + noise : "not recorded";
  const head = [
    `Eval report: ${escapeControls(report.items_file)} (${report.counts.items} items, ${report.counts.answered} answered)`,
    `model ${model} · judge ${report.judge ? escapeControls(report.judge) : "none"}`,
    ...report.notes.map((n) => `note: ${escapeControls(n)}`),
  ];
  const parts = evalSections(report).map((s) => {
    const rows = s.rows.map((r) => r.map(escapeControls));
    return [s.title, `(${s.caption})`, table(s.header, rows), ...s.lines.map((l) => `  ${escapeControls(l)}`)].join("\n");
  });
  return [head.join("\n"), ...parts].join("\n\n") + "\n";
}
