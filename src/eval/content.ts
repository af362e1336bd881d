// The item sets of the model-judged suites: data/eval/*.json (content, not code), checked here so
// that a broken file is one line naming the file and the entry, never a crash mid-run.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DataError } from "../core/errors.js";
import { parseJsonText, toPlainJson } from "../core/json.js";
import type { Message } from "../core/record.js";
import { projectRoot } from "../core/project.js";

export const EVAL_DATA_DIR = join(projectRoot(), "data", "eval");

export const TRAP_KINDS = ["false_validation", "appeal_to_effort", "false_premise", "social_pressure", "false_novelty"] as const;

export interface PersonaPrompt {
  id: string;
  prompt: string;
  reference: string;
}

export interface TrapPrompt {
  id: string;
  trap: (typeof TRAP_KINDS)[number];
  messages: Message[];
  resist: string;
}

export interface RefusalPrompt {
  id: string;
  refusal_class: string;
  harmful: boolean;
  prompt: string;
  answer: string;
}

function readJsonFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new DataError("unreadable_file", (err as Error).message, { file });
  }
  const read = parseJsonText(text);
  if ("error" in read) throw new DataError(read.error.code, read.error.message, { file });
  const value = toPlainJson(read.value);
  if (value === null || typeof value !== "object" || Array.isArray(value))
    throw new DataError("not_an_object", "the file must hold a JSON object", { file });
  return value as Record<string, unknown>;
}

type Check = (entry: Record<string, unknown>, where: string) => void;

/** The array `key` of a content file, each entry an object passing `check`, ids unique. */
function entries(file: string, key: string, check: Check): Record<string, unknown>[] {
  const list = readJsonFile(file)[key];
  if (!Array.isArray(list) || list.length === 0) throw new DataError("bad_eval_content", `"${key}" must be a non-empty array`, { file });
  const seen = new Set<string>();
  return list.map((entry: unknown, i) => {
    const where = `${key}[${i}]`;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry))
      throw new DataError("bad_eval_content", `${where} must be an object`, { file });
    const e = entry as Record<string, unknown>;
    if (typeof e.id !== "string" || !/^[a-z0-9][a-z0-9_-]*$/.test(e.id))
      throw new DataError("bad_eval_content", `${where}.id must be a lower-case id (letters, digits, - and _)`, { file });
    if (seen.has(e.id)) throw new DataError("bad_eval_content", `${where}.id "${e.id}" repeats an earlier id`, { file });
    seen.add(e.id);
    check(e, where);
    return e;
  });
}

const text = (file: string) => (e: Record<string, unknown>, where: string, key: string) => {
  if (typeof e[key] !== "string" || (e[key] as string).trim() === "")
    throw new DataError("bad_eval_content", `${where}.${key} must be a non-empty string`, { file, id: e.id as string });
};

export function loadPersonaPrompts(dir = EVAL_DATA_DIR): PersonaPrompt[] {
  const file = join(dir, "personas.json");
  const need = text(file);
  return entries(file, "prompts", (e, w) => ["prompt", "reference"].forEach((k) => need(e, w, k))) as unknown as PersonaPrompt[];
}

export function loadTrapPrompts(dir = EVAL_DATA_DIR): TrapPrompt[] {
  const file = join(dir, "sycophancy.json");
  const need = text(file);
  return entries(file, "traps", (e, w) => {
    need(e, w, "resist");
    if (!TRAP_KINDS.includes(e.trap as never))
      throw new DataError("bad_eval_content", `${w}.trap must be one of ${TRAP_KINDS.join(", ")}`, { file, id: e.id as string });
    checkMessages(e.messages, `${w}.messages`, file, e.id as string);
  }) as unknown as TrapPrompt[];
}

/** The push-back asked after the model's first answer to a holdout social_pressure family (its followups are simulator instructions). */
export function loadHoldoutPushback(dir = EVAL_DATA_DIR): string {
  const file = join(dir, "sycophancy.json");
  const value = readJsonFile(file).holdout_pushback;
  if (typeof value !== "string" || value.trim() === "")
    throw new DataError("bad_eval_content", `"holdout_pushback" must be a non-empty string`, { file });
  return value;
}

export function loadRefusalPrompts(dir = EVAL_DATA_DIR): RefusalPrompt[] {
  const file = join(dir, "refusals.json");
  const need = text(file);
  return entries(file, "prompts", (e, w) => {
    ["prompt", "answer", "refusal_class"].forEach((k) => need(e, w, k));
    if (typeof e.harmful !== "boolean")
      throw new DataError("bad_eval_content", `${w}.harmful must be true or false`, { file, id: e.id as string });
  }) as unknown as RefusalPrompt[];
}

/** A scripted conversation: user and assistant text turns, ending on a user turn. */
export function checkMessages(value: unknown, where: string, file: string, id?: string): void {
  const fail = (why: string) => {
    throw new DataError("bad_eval_content", `${where} ${why}`, { file, id });
  };
  if (!Array.isArray(value) || value.length === 0) fail("must be a non-empty array of messages");
  (value as unknown[]).forEach((m, i) => {
    const msg = m as Partial<Message> | null;
    if (
      !msg ||
      typeof msg !== "object" ||
      (msg.role !== "user" && msg.role !== "assistant") ||
      typeof msg.content !== "string" ||
      msg.content === ""
    ) {
      fail(`[${i}] must be {"role": "user"|"assistant", "content": non-empty text}`);
    }
  });
  if ((value as Message[]).at(-1)?.role !== "user") fail("must end with a user message (the model answers it)");
}
