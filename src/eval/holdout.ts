// generate's holdout file (docs/GENERATE.md, --holdout F): one reserved scenario family a line, never
// used for training. The model-judged suites ask their openings instead of data/eval's prompts.
import { DataError } from "../core/errors.js";
import { readJsonl } from "../core/jsonl.js";
import { toPlainJson } from "../core/json.js";
import { TRAP_KINDS } from "./content.js";

export interface HoldoutFamily {
  family: string;
  theme: string;
  trap: (typeof TRAP_KINDS)[number] | null;
  refusal_class: string | null;
  request_harmful: boolean | null;
  opening: string;
  /** What the family is about (its brief), shown to the judge as the reference when present. */
  brief: string | null;
}

/** Reads and checks every line; a bad one is an error naming the file and line. */
export async function readHoldout(file: string): Promise<HoldoutFamily[]> {
  const out: HoldoutFamily[] = [];
  const seen = new Set<string>();
  for await (const item of readJsonl(file)) {
    const where = { file, line: item.line };
    if ("error" in item) throw new DataError(item.error.code, item.error.message, where);
    const v = toPlainJson(item.value) as Record<string, unknown> | null;
    if (!v || typeof v !== "object" || Array.isArray(v)) throw new DataError("bad_holdout", "a line must be a JSON object", where);
    const fail = (why: string): never => {
      throw new DataError("bad_holdout", why, where);
    };
    if (typeof v.family !== "string" || v.family === "") fail(`"family" must be a non-empty string`);
    // A refusal pair may list its benign and its harmful side under one family id.
    const side = `${String(v.family)}\0${String(v.request_harmful ?? null)}`;
    if (seen.has(side)) fail(`family "${String(v.family)}" is listed twice`);
    seen.add(side);
    if (typeof v.opening !== "string" || v.opening.trim() === "") fail(`"opening" must be a non-empty string (the user's first message)`);
    const trap = v.trap ?? null;
    if (trap !== null && !TRAP_KINDS.includes(trap as never)) fail(`"trap" must be null or one of ${TRAP_KINDS.join(", ")}`);
    const refusalClass = v.refusal_class ?? null;
    if (refusalClass !== null && typeof refusalClass !== "string") fail(`"refusal_class" must be a string or null`);
    const harmful = v.request_harmful ?? null;
    if (harmful !== null && typeof harmful !== "boolean") fail(`"request_harmful" must be true, false or null`);
    out.push({
      family: v.family as string,
      theme: typeof v.theme === "string" ? v.theme : "",
      trap: trap as HoldoutFamily["trap"],
      refusal_class: refusalClass as string | null,
      request_harmful: harmful as boolean | null,
      opening: v.opening as string,
      brief: typeof v.brief === "string" ? v.brief : null,
    });
  }
  if (out.length === 0) throw new DataError("bad_holdout", "the holdout file lists no family", { file });
  return out;
}

/** Which model-judged suite a family belongs to. */
export function suiteOfFamily(f: HoldoutFamily): "sycophancy" | "refusals" | "personas" {
  if (f.trap !== null) return "sycophancy";
  if (f.refusal_class !== null || f.request_harmful !== null) return "refusals";
  return "personas";
}
