// One parsed JSONL value → a validated record's facts, or the reason it is invalid.
// Pure and self-contained so that worker threads (pool.ts) can run it.
import type { ReasonCode } from "../core/reasons.js";
import { validateRecord, type ValidateOptions } from "../validate/index.js";
import { describeIssue } from "../validate/types.js";
import { recordFacts, type RecordFacts, type TokenCounter } from "./facts.js";

export type Outcome = { ok: true; facts: RecordFacts } | { ok: false; id?: string; code: ReasonCode; message: string };

export function analyzeValue(value: unknown, countTokens: TokenCounter, options: ValidateOptions = {}): Outcome {
  const result = validateRecord(value, options);
  if (!result.ok) {
    const first = result.issues[0];
    return { ok: false, id: result.id, code: first.code, message: describeIssue(first) };
  }
  try {
    return { ok: true, facts: recordFacts(result.record, countTokens) };
  } catch (e) {
    // A record the validator accepts but the renderer cannot render: report it, keep going.
    return { ok: false, id: result.record.id, code: "render_failed", message: (e as Error).message };
  }
}
