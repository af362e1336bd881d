// The model-judged rubric: one assistant answer → a verdict, produced under a JSON-schema grammar
// (in-process: the model interface's `schema` becomes a grammar; over --server: each server's own
// schema field), read by the strict JSON parser and checked with Ajv against the schema it was
// asked for. Never parsed out of free text: an answer that did not close its JSON, is not JSON or
// breaks the schema is retried with a new seed, then reported as unusable (never a pass).
// Prompts are harmony token arrays built like generate's (generate/prompt.ts: text never becomes
// a special token). The rubric texts are content: templates/rubrics/*.md, versioned by file name.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ValidateFunction } from "ajv/dist/2020.js";
import { DataError } from "../core/errors.js";
import { parseJsonText, stringifyJson, toPlainJson } from "../core/json.js";
import { projectRoot } from "../core/project.js";
import { PERSONAS, type JsonSchema, type Message } from "../core/record.js";
import { fillTemplate } from "../generate/catalog.js";
import type { GenerationModel, ModelSession, Sampling } from "../generate/model/types.js";
import * as P from "../generate/prompt.js";
import { stableHash } from "../generate/seed.js";
import { ownSchemasAjv } from "../validate/schemas.js";

export const RUBRIC_VERSION = "v1";
export const NO_PERSONA_GUESS = "none";

export interface Rubric {
  /** "turn.v1": the name recorded in meta.judge.rubric. */
  name: string;
  sha256: string;
  text: string;
  personaName: string;
  personaSha256: string;
  personaText: string;
  /** Persona → its card (the rubric's voice check); persona → its Voice line (blind identification). */
  cards: Map<string, string>;
  voices: Map<string, string>;
}

export interface TurnVerdict {
  rationale: string;
  substance: 1 | 2 | 3 | 4 | 5;
  refused: boolean;
  tool_use?: "faithful" | "invented";
  trap?: "resisted" | "fell";
  voice?: 1 | 2 | 3 | 4 | 5;
  voice_changed_substance?: boolean;
}

/** What went wrong with a verdict (docs/JUDGE.md, reason codes). */
export type UnusableCode = "verdict_incomplete" | "verdict_not_json" | "verdict_invalid" | "verdict_context_overflow";

export type Judged<T> = { ok: true; value: T; tries: number } | { ok: false; unusable: UnusableCode; message: string; tries: number };

export interface JudgeCallOptions {
  /** Seed of the first try; retry i uses stableHash(seed, i). Default: a hash of the answer text. */
  seed?: number;
  /** Budget of one verdict (default 256 tokens). */
  maxTokens?: number;
  /** Extra tries after an unusable verdict (default 2). */
  retries?: number;
  sampling?: Sampling;
  /** Date in the harmony system message (default 2025-01-01: prompts must not depend on the clock). */
  date?: string;
  signal?: AbortSignal;
  /** Reuse an open session (the caller holds it); else one is taken with model.withSession. */
  session?: ModelSession;
  /** Record id, for the trace. */
  tag?: string;
}

export interface JudgeAnswerInput {
  /** The conversation before the answer (system and developer messages are not shown to the judge). */
  messages: Message[];
  answer: string;
  persona: string | null;
  rubric: Rubric;
  /** meta.trap of the record: asks whether the trap was resisted. */
  trap?: string | null;
}

export const DEFAULT_JUDGE_SAMPLING: Sampling = { temperature: 0.2, topK: 40, topP: 0.95, minP: 0.05 };
const DEFAULT_DATE = "2025-01-01";

/** Loads templates/rubrics/{turn,persona-id}.<version>.md and the persona cards. */
export function loadRubric(version = RUBRIC_VERSION, templatesDir = join(projectRoot(), "templates")): Rubric {
  const read = (rel: string): string => {
    try {
      return readFileSync(join(templatesDir, rel), "utf8").trim();
    } catch {
      throw new DataError("template_missing", "rubric template not found", { file: join(templatesDir, rel) });
    }
  };
  const text = read(join("rubrics", `turn.${version}.md`));
  const personaText = read(join("rubrics", `persona-id.${version}.md`));
  const cards = new Map<string, string>(PERSONAS.map((p) => [p, read(join("personas", `${p}.md`))]));
  const voices = new Map([...cards].map(([p, card]) => [p, /\*\*Voice\.\*\*\s*(.+)/.exec(card)?.[1]?.trim() ?? card.split("\n")[0]]));
  return {
    name: `turn.${version}`,
    sha256: sha256(text),
    text,
    personaName: `persona-id.${version}`,
    personaSha256: sha256(personaText),
    personaText,
    cards,
    voices,
  };
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** The verdict schema of one answer: only the fields that apply to it (docs/JUDGE.md). */
export function turnVerdictSchema(applies: { tools: boolean; trap: boolean; persona: boolean }): JsonSchema {
  const p = verdictDefs().turn_verdict.properties as Record<string, JsonSchema>;
  const keys = ["rationale", "substance", ...(applies.tools ? ["tool_use"] : []), ...(applies.trap ? ["trap"] : []), "refused"];
  if (applies.persona) keys.push("voice", "voice_changed_substance");
  return { type: "object", properties: Object.fromEntries(keys.map((k) => [k, p[k]])), required: keys, additionalProperties: false };
}

/** The blind identification schema: one of the personas, or "none". */
export function personaGuessSchema(): JsonSchema {
  const persona = { enum: [...PERSONAS, NO_PERSONA_GUESS] };
  return { type: "object", properties: { persona }, required: ["persona"], additionalProperties: false };
}

let defs: Record<string, JsonSchema> | undefined;
function verdictDefs(): Record<string, JsonSchema> {
  const path = join(projectRoot(), "schemas", "judge-verdict.schema.json");
  defs ??= (JSON.parse(readFileSync(path, "utf8")) as { $defs: Record<string, JsonSchema> }).$defs;
  return defs;
}

const ajv = ownSchemasAjv({ strict: false, allErrors: false });
const validators = new Map<string, ValidateFunction>();
function validatorFor(schema: JsonSchema): ValidateFunction {
  const key = JSON.stringify(schema);
  let v = validators.get(key);
  if (!v) {
    v = ajv.compile(schema);
    validators.set(key, v);
  }
  return v;
}

/** Grades one assistant answer with the turn rubric. The contract eval (src/eval) calls. */
export async function judgeAnswer(
  model: GenerationModel,
  input: JudgeAnswerInput,
  options: JudgeCallOptions = {},
): Promise<Judged<TurnVerdict>> {
  const applies = {
    tools: input.messages.some((m) => m.role === "tool"),
    trap: Boolean(input.trap),
    persona: input.persona !== null && input.rubric.cards.has(input.persona),
  };
  const schema = turnVerdictSchema(applies);
  const personaSection = applies.persona
    ? `The persona of this assistant (${input.persona}), as its card describes it:\n\n${input.rubric.cards.get(input.persona as string)}`
    : "This assistant has no persona: leave the voice out of your grading.";
  const rubricText = fillTemplate(input.rubric.text, { trap: input.trap ?? "none", persona_section: personaSection });
  const developer = `${rubricText}\n\n${outputFormat(schema)}`;
  const ask = (history: string) => `${history}\n\nANSWER TO GRADE:\n${input.answer}`;
  const seed = options.seed ?? stableHash("judge", input.answer);
  return askForJson<TurnVerdict>(model, developer, input.messages, ask, schema, { ...options, seed });
}

/** Blind persona identification: the judge sees the answer only (no system message, no history). */
export async function identifyPersona(
  model: GenerationModel,
  input: { answer: string; rubric: Rubric },
  options: JudgeCallOptions = {},
): Promise<Judged<string>> {
  const schema = personaGuessSchema();
  const list = [...input.rubric.voices].map(([p, voice]) => `- ${p}: ${voice}`).join("\n");
  const developer = `${fillTemplate(input.rubric.personaText, { persona_list: list })}\n\n${outputFormat(schema)}`;
  const seed = options.seed ?? stableHash("persona", input.answer);
  const ask = () => `ANSWER:\n${input.answer}`;
  const result = await askForJson<{ persona: string }>(model, developer, [], ask, schema, { ...options, seed });
  return result.ok ? { ok: true, value: result.value.persona, tries: result.tries } : result;
}

const outputFormat = (schema: JsonSchema): string =>
  `# Output format\n\nOne JSON object matching this JSON Schema:\n${JSON.stringify(schema)}`;

async function askForJson<T>(
  model: GenerationModel,
  developer: string,
  history: Message[],
  ask: (history: string) => string,
  schema: JsonSchema,
  options: JudgeCallOptions & { seed: number },
): Promise<Judged<T>> {
  const run = async (session: ModelSession): Promise<Judged<T>> => {
    const maxTokens = options.maxTokens ?? 256;
    const prompt = fitPrompt(developer, history, ask, options.date ?? DEFAULT_DATE, session.contextSize - maxTokens);
    if (!prompt) {
      const message = `the answer alone does not fit the context (${session.contextSize} tokens, ${maxTokens} kept for the verdict)`;
      return { ok: false, unusable: "verdict_context_overflow", message, tries: 0 };
    }
    const validate = validatorFor(schema);
    let last: Judged<T> = { ok: false, unusable: "verdict_incomplete", message: "", tries: 0 };
    const tries = 1 + (options.retries ?? 2);
    for (let i = 0; i < tries; i++) {
      if (options.signal?.aborted) break;
      const sampling = options.sampling ?? DEFAULT_JUDGE_SAMPLING;
      const request = { prompt, maxTokens, seed: stableHash(options.seed, "try", i), sampling, schema, tag: options.tag };
      const out = await session.generate(request, options.signal);
      last = readVerdict<T>(out.finish, out.text, validate, maxTokens, i + 1);
      if (last.ok) return last;
    }
    return last;
  };
  return options.session ? run(options.session) : model.withSession(run);
}

function readVerdict<T>(finish: string, text: string, validate: ValidateFunction, maxTokens: number, tries: number): Judged<T> {
  if (finish !== "json") {
    const why = finish === "length" ? `did not close within ${maxTokens} tokens` : "ended before its JSON closed";
    return { ok: false, unusable: "verdict_incomplete", message: `the verdict ${why}`, tries };
  }
  const read = parseJsonText(text);
  if ("error" in read) {
    return { ok: false, unusable: "verdict_not_json", message: `the verdict is not acceptable JSON: ${read.error.message}`, tries };
  }
  const value = toPlainJson(read.value);
  if (!validate(value)) {
    const e = validate.errors?.[0];
    const message = `the verdict breaks its schema: ${e?.instancePath || "/"} ${e?.message ?? ""}`.trim();
    return { ok: false, unusable: "verdict_invalid", message, tries };
  }
  return { ok: true, value: value as T, tries };
}

/** The prompt with as much of the conversation (newest first) as fits `budget` tokens; null if not even the answer fits. */
function fitPrompt(developer: string, history: Message[], ask: (history: string) => string, date: string, budget: number): number[] | null {
  // system, developer, one user message, then the final's header: src/render writes it (generate/prompt.ts).
  const build = (lines: string[]) => P.simulatorPrompt(date, developer, ask(lines.join("\n")));
  const lines = transcriptLines(history);
  const prompt = build(lines.length ? ["CONVERSATION:", ...lines] : []);
  if (prompt.length <= budget) return prompt;
  // Drop the oldest messages until it fits, saying so: the fewest dropped, by bisection (a prompt only shrinks as more are dropped).
  const from = (start: number) => build(start < lines.length ? ["CONVERSATION (earlier messages left out):", ...lines.slice(start)] : []);
  if (from(lines.length).length > budget) return null;
  let lo = 1;
  let hi = lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (from(mid).length <= budget) hi = mid;
    else lo = mid + 1;
  }
  return from(lo);
}

/** The conversation as the judge reads it: users, tool calls and results, earlier answers. */
export function transcriptLines(messages: Message[]): string[] {
  return messages.flatMap((m) => {
    if (m.role === "user") return [`User: ${m.content ?? ""}`];
    if (m.role === "tool") return [`Tool result (${m.name ?? "tool"}): ${m.content ?? ""}`];
    if (m.role !== "assistant") return [];
    const args = (a: unknown) => (typeof a === "string" ? a : stringifyJson(a));
    const calls = (m.tool_calls ?? []).map((c) => `Assistant called ${c.function.name}(${args(c.function.arguments)})`);
    return m.content ? [...calls, `Assistant: ${m.content}`] : calls;
  });
}
