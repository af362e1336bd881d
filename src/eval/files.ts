// The eval run folder (rules in src/core/output.ts): items.jsonl (written whole, atomically, before
// anything is asked), answers.jsonl (appended and synced one answer at a time, so kill -9 loses at
// most the line being written), run.json, and what `eval score` writes: verdicts.jsonl (the judge's
// verdicts, appended), report.json and report.html.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { DataError, UsageError } from "../core/errors.js";
import { stringifyJson, toPlainJson } from "../core/json.js";
import { readJsonl } from "../core/jsonl.js";
import { foreignError, inspectOutputDir, makeDirs, PARTIAL_FILE_SUFFIX, type OutputKind } from "../core/output.js";
import { checkMessages } from "./content.js";
import { SUITE_NAMES, type EvalAnswer, type EvalItem } from "./types.js";

export const ITEMS_FILE = "items.jsonl";
export const ANSWERS_FILE = "answers.jsonl";
export const RUN_FILE = "run.json";
export const VERDICTS_FILE = "verdicts.jsonl";
export const REPORT_JSON = "report.json";
export const REPORT_HTML = "report.html";

export const CONTAMINATION_FILE = "contamination.json";

const OURS = [ITEMS_FILE, ANSWERS_FILE, RUN_FILE, VERDICTS_FILE, REPORT_JSON, REPORT_HTML, CONTAMINATION_FILE];

export const EVAL_RUN: OutputKind = {
  what: "an eval run",
  isOurs: (name) => OURS.includes(name) || OURS.some((f) => name === f + PARTIAL_FILE_SUFFIX),
  isComplete: (names) => names.includes(ITEMS_FILE),
  howToReplace: "rerun the same command to resume it, or choose another --out",
};

/** --out must be missing, empty, or an eval run of ours (it has items.jsonl); answers without items are someone else's. */
export function claimEvalDir(dir: string): void {
  const state = inspectOutputDir(dir, EVAL_RUN);
  if (state.kind === "foreign") throw foreignError(dir, state.foreign);
  if (state.kind === "ours" && !state.names.includes(ITEMS_FILE)) {
    const data = state.names.find((n) => n === ANSWERS_FILE && statSync(join(dir, n)).size > 0);
    if (data)
      throw new UsageError(
        `${join(dir, data)} has no ${ITEMS_FILE} beside it: it is not resumed or appended to; move it away or choose another --out`,
      );
  }
  makeDirs(dir);
}

export const itemsText = (items: EvalItem[]): string => items.map((i) => stringifyJson(i) + "\n").join("");

/** Reads items.jsonl, checking each line (another tool, or a hand, may have written it). */
export async function readItems(file: string): Promise<EvalItem[]> {
  if (!existsSync(file))
    throw new UsageError(`${file} does not exist: an eval folder holds the items.jsonl that \`datagen eval run\` writes`);
  const items: EvalItem[] = [];
  const ids = new Set<string>();
  for await (const line of readJsonl(file)) {
    const where = { file, line: line.line };
    if ("error" in line) throw new DataError(line.error.code, line.error.message, where);
    const v = toPlainJson(line.value) as Record<string, unknown> | null;
    const fail = (why: string): never => {
      throw new DataError("bad_item", why, { ...where, ...(typeof v?.id === "string" ? { id: v.id } : {}) });
    };
    if (!v || typeof v !== "object" || Array.isArray(v)) fail("an item must be a JSON object");
    const item = v as Record<string, unknown>;
    if (typeof item.id !== "string" || item.id === "") fail(`"id" must be a non-empty string`);
    if (ids.has(item.id as string)) fail(`id "${String(item.id)}" repeats an earlier item`);
    ids.add(item.id as string);
    if (!SUITE_NAMES.includes(item.suite as never)) fail(`"suite" must be one of ${SUITE_NAMES.join(", ")}`);
    if (item.persona !== null && typeof item.persona !== "string") fail(`"persona" must be a string or null`);
    // "prompt" (one user message) is accepted for items written by hand or by another tool.
    if (item.messages === undefined && typeof item.prompt === "string") item.messages = [{ role: "user", content: item.prompt }];
    checkMessages(item.messages, "messages", file, item.id as string);
    if (item.followups !== undefined && (!Array.isArray(item.followups) || item.followups.some((f) => typeof f !== "string" || f === "")))
      fail(`"followups" must be an array of non-empty strings`);
    if (item.expected !== undefined && (!Array.isArray(item.expected) || item.expected.some((e) => typeof e !== "string")))
      fail(`"expected" must be an array of strings`);
    if (item.suite === "ruler" && !Array.isArray(item.expected))
      fail(`a ruler item needs "expected" (the strings its answer must contain)`);
    if (item.meta === undefined) item.meta = { prompt_id: item.id, source: "unknown" };
    if (!item.meta || typeof item.meta !== "object" || Array.isArray(item.meta)) fail(`"meta" must be an object`);
    items.push(item as unknown as EvalItem);
  }
  return items;
}

export interface AnswersRead {
  answers: Map<string, EvalAnswer>;
  /** Lines naming an id that is not an item (a foreign answers file may have extra ones). */
  unknown: string[];
}

/** Reads answers (ours or another tool's JSONL of {id, answer}); a repeated id is an error, never a silent pick. */
export async function readAnswers(file: string, itemIds: Set<string>): Promise<AnswersRead> {
  if (!existsSync(file)) return { answers: new Map(), unknown: [] };
  const answers = new Map<string, EvalAnswer>();
  const unknown: string[] = [];
  for await (const line of readJsonl(file)) {
    const where = { file, line: line.line };
    if ("error" in line) throw new DataError(line.error.code, line.error.message, where);
    const v = line.value as Record<string, unknown> | null;
    if (!v || typeof v !== "object" || Array.isArray(v))
      throw new DataError("bad_answer", "an answer must be a JSON object {id, answer}", where);
    if (typeof v.id !== "string") throw new DataError("bad_answer", `"id" must be a string`, where);
    if (typeof v.answer !== "string") throw new DataError("bad_answer", `"answer" must be a string`, { ...where, id: v.id });
    if (v.turns !== undefined && (!Array.isArray(v.turns) || v.turns.some((t) => typeof t !== "string")))
      throw new DataError("bad_answer", `"turns" must be an array of strings`, { ...where, id: v.id });
    if (answers.has(v.id)) throw new DataError("duplicate_answer", `item "${v.id}" is answered twice`, { ...where, id: v.id });
    if (!itemIds.has(v.id)) unknown.push(v.id);
    else answers.set(v.id, v as unknown as EvalAnswer);
  }
  return { answers, unknown };
}
