// The report's figures of judged data (records with meta.judge, written by `datagen judge`; their
// rejects.jsonl lines carry the rejected record): the blind persona-identification confusion
// matrix, score distributions per persona and theme, refusal rates per theme and refusal class
// (benign and harmful side by side), the most repeated phrases per persona, what was removed.
// Per-record facts (judgeFacts) are computed where the other facts are (a worker thread).
import type { TopLevelSpec } from "vega-lite";
import { PERSONAS } from "../core/record.js";
import { personaBars } from "./bars.js";
import { int, num, pct } from "./format.js";
import { normalizeText, words } from "./text.js";
import type { Section } from "./section.js";

/** Words per phrase of the phrase statistics (the judge's default --phrase-words). */
export const PHRASE_WORDS = 4;
/** Distinct phrases kept per persona; past it the phrases seen once are dropped (counts become lower bounds). */
const PHRASES_PER_PERSONA = 50_000;
const TOP_PHRASES = 5;

// Phrases made of these words only ("and it is a") say nothing about a persona's voice.
const FUNCTION_WORDS = new Set(
  (
    "a an the and or but if of to in on at for with by from as is are was were be been it its this that these those " +
    "i you he she we they me my your our their not no do does did so than then there here what which who can will would could should just"
  ).split(" "),
);

/** Distinct n-grams ("w1 w2 … wn") of a text after normalization, function-word-only ones left out. */
export function phrases(text: string, n: number): Set<string> {
  const w = words(normalizeText(text));
  const out = new Set<string>();
  for (let i = 0; i + n <= w.length; i++) {
    const gram = w.slice(i, i + n);
    if (gram.every((x) => FUNCTION_WORDS.has(x))) continue;
    out.add(gram.join(" "));
  }
  return out;
}

type Side = "benign" | "harmful" | "unlabelled";
const SIDES: readonly Side[] = ["benign", "harmful", "unlabelled"];

/** meta.judge as read back from a file: nothing in it is trusted. */
interface StoredJudge {
  decision?: unknown;
  turns?: { verdict?: { substance?: unknown; voice?: unknown } | null }[];
  persona_guess?: { persona?: unknown } | null;
  rules?: { refusal?: { detected?: unknown } };
}

export interface JudgeFacts {
  persona: string;
  theme: string | null;
  refusalClass: string | null;
  harmful: boolean | null;
  decision: string | null;
  substance: number[];
  voice: number[];
  /** Blind identification: the persona named, or null (unusable / not asked). */
  guess: string | null;
  refusal: boolean;
  phrases: string[];
}

interface RecordLike {
  persona?: unknown;
  messages?: { role?: unknown; content?: unknown; tool_calls?: unknown[] }[];
  meta?: Record<string, unknown>;
}

/** The judged facts of one record, or undefined when it has no meta.judge. */
export function judgeFacts(record: RecordLike): JudgeFacts | undefined {
  const meta = record.meta;
  const judge = meta?.judge as StoredJudge | undefined;
  if (!judge || typeof judge !== "object") return undefined;
  const turns = Array.isArray(judge.turns) ? judge.turns : [];
  const verdicts = turns.map((t) => t?.verdict).filter((v): v is NonNullable<typeof v> => !!v && typeof v === "object");
  const ints = (xs: unknown[]) => xs.filter((x): x is number => Number.isInteger(x) && (x as number) >= 1 && (x as number) <= 5);
  const messages = Array.isArray(record.messages) ? record.messages : [];
  const finals = messages.filter((m) => m?.role === "assistant" && typeof m.content === "string" && !(m.tool_calls?.length ?? 0));
  const all = new Set<string>();
  for (const m of finals) for (const p of phrases(m.content as string, PHRASE_WORDS)) all.add(p);
  const str = (x: unknown) => (typeof x === "string" && x !== "" ? x : null);
  return {
    persona: str(record.persona) ?? NO_PERSONA,
    theme: str(meta?.theme),
    refusalClass: str(meta?.refusal_class),
    harmful: typeof meta?.request_harmful === "boolean" ? meta.request_harmful : null,
    decision: str(judge.decision),
    substance: ints(verdicts.map((v) => v.substance)),
    voice: ints(verdicts.map((v) => v.voice)),
    guess: str(judge.persona_guess?.persona),
    refusal: judge.rules?.refusal?.detected === true,
    phrases: [...all],
  };
}

export interface ScoreFigures {
  answers: number;
  mean: number;
  /** Answers scored 1, 2, 3, 4, 5. */
  counts: number[];
}

export interface RefusalCell {
  records: number;
  refused: number;
  rate: number;
}

export interface JudgedFigures {
  method: string;
  records: number;
  kept: number;
  rejected: number;
  /** Judge rejects by reason (duplicates, phrase caps, verdicts, …). */
  removed: Record<string, number>;
  confusion: {
    labels: string[];
    rows: Record<string, Record<string, number>>;
    identified: number;
    correct: number;
    accuracy: number;
    not_identified: number;
  };
  substance: { by_persona: Record<string, ScoreFigures>; by_theme: Record<string, ScoreFigures> };
  voice: { by_persona: Record<string, ScoreFigures> };
  refusals: { by_theme: Record<string, Record<Side, RefusalCell>>; by_class: Record<string, Record<Side, RefusalCell>> };
  top_phrases: Record<string, { phrase: string; records: number; share: number }[]>;
}

type Split = Record<Side, { records: number; refused: number }>;

export class JudgedAccumulator {
  private records = 0;
  private kept = 0;
  private readonly removed = new Map<string, number>();
  private readonly confusion = new Map<string, Map<string, number>>();
  private notIdentified = 0;
  private readonly substance = { persona: new Map<string, number[]>(), theme: new Map<string, number[]>() };
  private readonly voice = new Map<string, number[]>();
  private readonly byTheme = new Map<string, Split>();
  private readonly byClass = new Map<string, Split>();
  private readonly phraseCounts = new Map<string, Map<string, number>>();
  private readonly personaRecords = new Map<string, number>();

  /** A kept record (or any record with meta.judge read as a conversation). */
  addRecord(facts: JudgeFacts | undefined): void {
    if (!facts) return;
    this.records++;
    if (facts.decision !== "rejected") this.kept++;
    const guessed = facts.guess;
    if (guessed === null) this.notIdentified++;
    else
      bump(
        getOr(this.confusion, facts.persona, () => new Map()),
        guessed,
      );
    for (const s of facts.substance) {
      scoreInto(this.substance.persona, facts.persona, s);
      scoreInto(this.substance.theme, facts.theme ?? "(no theme)", s);
    }
    for (const v of facts.voice) scoreInto(this.voice, facts.persona, v);
    const side = facts.harmful === true ? "harmful" : facts.harmful === false ? "benign" : "unlabelled";
    for (const [map, key] of [
      [this.byTheme, facts.theme ?? "(no theme)"],
      [this.byClass, facts.refusalClass ?? "(no class)"],
    ] as const) {
      const split = getOr(map, key, emptySplit);
      split[side].records++;
      if (facts.refusal) split[side].refused++;
    }
    this.personaRecords.set(facts.persona, (this.personaRecords.get(facts.persona) ?? 0) + 1);
    const counts = getOr(this.phraseCounts, facts.persona, () => new Map());
    for (const p of facts.phrases) counts.set(p, (counts.get(p) ?? 0) + 1);
    if (counts.size > PHRASES_PER_PERSONA) for (const [p, n] of counts) if (n <= 1) counts.delete(p);
  }

  /** A rejects.jsonl line: a judge reject carries its record (with meta.judge). */
  addReject(reason: string, value: unknown): void {
    const rec = (value as { record?: unknown; source?: unknown } | null)?.record;
    if (!rec || typeof rec !== "object" || !(value as { source?: unknown }).source) return;
    bump(this.removed, reason);
    this.addRecord(judgeFacts(rec as RecordLike));
  }

  figures(): JudgedFigures | null {
    if (this.records === 0 && this.removed.size === 0) return null;
    const labels = [...new Set([...this.confusion.keys(), ...[...this.confusion.values()].flatMap((m) => [...m.keys()])])].sort(byPersona);
    let identified = 0;
    let correct = 0;
    for (const [truth, row] of this.confusion) for (const [guess, n] of row) (identified += n), (correct += guess === truth ? n : 0);
    const cells = (map: Map<string, Split>) =>
      Object.fromEntries([...map].sort(([a], [b]) => a.localeCompare(b)).map(([k, s]) => [k, withRates(s)]));
    return {
      method:
        "records with meta.judge (kept) and judge rejects (rejects.jsonl lines with the record): confusion of the blind persona " +
        "identification (true persona × named persona), rubric scores per answer, refusals by the refusal heuristic the judge recorded, " +
        `phrases = ${PHRASE_WORDS}-word n-grams of the finals (records containing each)`,
      records: this.records,
      kept: this.kept,
      rejected: this.records - this.kept,
      removed: Object.fromEntries([...this.removed].sort(([a, x], [b, y]) => y - x || a.localeCompare(b))),
      confusion: {
        labels,
        rows: Object.fromEntries(sortedByPersona(this.confusion).map(([t, row]) => [t, Object.fromEntries(sortedByPersona(row))])),
        identified,
        correct,
        accuracy: identified ? correct / identified : 0,
        not_identified: this.notIdentified,
      },
      substance: { by_persona: scores(this.substance.persona, byPersona), by_theme: scores(this.substance.theme) },
      voice: { by_persona: scores(this.voice, byPersona) },
      refusals: { by_theme: cells(this.byTheme), by_class: cells(this.byClass) },
      top_phrases: Object.fromEntries(
        [...this.phraseCounts]
          .sort(([a], [b]) => byPersona(a, b))
          .map(([persona, counts]) => {
            const n = this.personaRecords.get(persona) ?? 0;
            const top = [...counts]
              .filter(([, c]) => c >= 2)
              .sort(([pa, a], [pb, b]) => b - a || pa.localeCompare(pb))
              .slice(0, TOP_PHRASES);
            return [persona, top.map(([phrase, records]) => ({ phrase, records, share: n ? records / n : 0 }))];
          }),
      ),
    };
  }
}

/** The report's tables of judged data. */
export function judgedSections(j: JudgedFigures | null | undefined): Section[] {
  if (!j) return [];
  const out: Section[] = [];
  const removed = Object.entries(j.removed).map(([r, n]) => [r, int(n)]);
  const totals = [
    ["judged records (kept + rejected)", int(j.records)],
    ["kept", int(j.kept)],
  ];
  out.push({ title: "Judge: records removed, by reason", header: ["reason", "records"], rows: [...totals, ...removed] });
  const c = j.confusion;
  if (c.identified > 0) {
    out.push({
      title:
        `Blind persona identification: ${pct(c.accuracy)} named right ` +
        `(${int(c.correct)} of ${int(c.identified)}; ${int(c.not_identified)} not identified)`,
      header: ["persona \\ named", ...j.confusion.labels, "right"],
      rows: Object.entries(j.confusion.rows).map(([truth, row]) => {
        const total = Object.values(row).reduce((a, b) => a + b, 0);
        return [truth, ...j.confusion.labels.map((l) => int(row[l] ?? 0)), pct(total ? (row[truth] ?? 0) / total : 0)];
      }),
    });
  }
  const scoreRows = (m: Record<string, ScoreFigures>) =>
    Object.entries(m).map(([k, s]) => [k, int(s.answers), num(s.mean), ...s.counts.map((c) => int(c))]);
  const header = (what: string) => [what, "answers", "mean", "1", "2", "3", "4", "5"];
  const scoreTables: [string, string, Record<string, ScoreFigures>][] = [
    ["Substance score per persona", "persona", j.substance.by_persona],
    ["Substance score per theme", "theme", j.substance.by_theme],
    ["Persona voice score per persona", "persona", j.voice.by_persona],
  ];
  for (const [title, what, m] of scoreTables) if (Object.keys(m).length > 0) out.push({ title, header: header(what), rows: scoreRows(m) });
  const refusalRows = (m: JudgedFigures["refusals"]["by_theme"]) =>
    Object.entries(m).map(([k, s]) => [k, ...SIDES.map((side) => refusalCell(s[side]))]);
  out.push({ title: "Refusal rate per theme (refused / records)", header: ["theme", ...SIDES], rows: refusalRows(j.refusals.by_theme) });
  const byClass = refusalRows(j.refusals.by_class);
  out.push({ title: "Refusal rate per refusal class (refused / records)", header: ["class", ...SIDES], rows: byClass });
  const phraseRows = Object.entries(j.top_phrases).flatMap(([persona, list]) =>
    list.map((p) => [persona, p.phrase, `${int(p.records)} (${pct(p.share)})`]),
  );
  const phraseTitle = `Most repeated phrases per persona (${PHRASE_WORDS}-word, records containing each)`;
  if (phraseRows.length > 0) out.push({ title: phraseTitle, header: ["persona", "phrase", "records"], rows: phraseRows });
  return out;
}

export interface JudgedChart {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

/** Vega-Lite heatmap of the confusion matrix (rows: true persona, columns: named persona). */
export function confusionHeatmap(j: JudgedFigures): JudgedChart | null {
  if (j.confusion.identified === 0) return null;
  const values = Object.entries(j.confusion.rows).flatMap(([truth, row]) => {
    const total = Object.values(row).reduce((a, b) => a + b, 0);
    return j.confusion.labels.map((named) => ({ truth, named, records: row[named] ?? 0, share: total ? (row[named] ?? 0) / total : 0 }));
  });
  const order = j.confusion.labels;
  return {
    id: "persona-confusion",
    title: "Persona distinctness: blind identification",
    caption:
      "Rows: the record's persona; columns: the persona the judge named from the answer alone (no system message). " +
      `Colour: share of the row. ${pct(j.confusion.accuracy)} named right.`,
    spec: {
      data: { values },
      width: { step: 40 },
      height: { step: 26 },
      encoding: {
        y: { field: "truth", type: "nominal", sort: Object.keys(j.confusion.rows), title: "persona" },
        x: { field: "named", type: "nominal", sort: order, title: "named by the judge", axis: { labelAngle: -40 } },
      },
      layer: [
        {
          mark: "rect",
          encoding: {
            color: {
              field: "share",
              type: "quantitative",
              scale: { domain: [0, 1], scheme: "blues" },
              title: "share",
              legend: { format: "%" },
            },
          },
        },
        {
          mark: { type: "text", fontSize: 10 },
          encoding: {
            text: { field: "records", type: "quantitative" },
            color: { condition: { test: "datum.share > 0.5", value: "white" }, value: "black" },
          },
        },
      ],
    } as TopLevelSpec,
  };
}

/** Substance scores per persona as stacked bars of 1..5. */
export function substanceChart(j: JudgedFigures): JudgedChart | null {
  const byPersonaScores = Object.entries(j.substance.by_persona);
  const values = byPersonaScores.flatMap(([persona, s]) => s.counts.map((answers, i) => ({ persona, score: i + 1, answers })));
  if (values.length === 0) return null;
  return {
    id: "substance-scores",
    title: "Substance scores per persona",
    caption: "Rubric substance score (1 wrong … 5 correct and complete) of every judged answer, per persona.",
    spec: personaBars(
      values,
      { field: "answers", type: "quantitative", stack: "normalize", title: "share of answers", axis: { format: "%" } },
      { field: "score", type: "ordinal", scale: { scheme: "redyellowgreen" }, title: "score" },
      Object.keys(j.substance.by_persona),
    ),
  };
}

const emptySplit = (): Split => ({
  benign: { records: 0, refused: 0 },
  harmful: { records: 0, refused: 0 },
  unlabelled: { records: 0, refused: 0 },
});

const refusalCell = (c: RefusalCell): string => (c.records ? `${int(c.refused)}/${int(c.records)} (${pct(c.rate)})` : "-");

function withRates(s: Split): Record<Side, RefusalCell> {
  const cell = (c: { records: number; refused: number }): RefusalCell => ({ ...c, rate: c.records ? c.refused / c.records : 0 });
  return { benign: cell(s.benign), harmful: cell(s.harmful), unlabelled: cell(s.unlabelled) };
}

const sortedByPersona = <T>(map: Map<string, T>): [string, T][] => [...map].sort(([a], [b]) => byPersona(a, b));

function scoreInto(map: Map<string, number[]>, key: string, score: number): void {
  getOr(map, key, () => [0, 0, 0, 0, 0])[score - 1]++;
}

function scores(map: Map<string, number[]>, order = (a: string, b: string) => a.localeCompare(b)): Record<string, ScoreFigures> {
  return Object.fromEntries(
    [...map]
      .sort(([a], [b]) => order(a, b))
      .map(([k, counts]) => {
        const answers = counts.reduce((a, b) => a + b, 0);
        return [k, { answers, mean: answers ? counts.reduce((a, c, i) => a + c * (i + 1), 0) / answers : 0, counts }];
      }),
  );
}

// facts.ts's NO_PERSONA (not imported: facts.ts imports this module).
const NO_PERSONA = "none";
const PERSONA_ORDER: readonly string[] = PERSONAS;
function byPersona(a: string, b: string): number {
  const rank = (x: string) => (PERSONA_ORDER.includes(x) ? PERSONA_ORDER.indexOf(x) : x === NO_PERSONA ? 99 : 50);
  return rank(a) - rank(b) || a.localeCompare(b);
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

function getOr<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let v = map.get(key);
  if (v === undefined) map.set(key, (v = make()));
  return v;
}
