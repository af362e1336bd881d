// The refusal detector eval (src/eval) and the judge share: the heuristic of src/stats/refusals.ts
// (stock phrases + the persona's in-voice refusals, templates/rubrics/refusal-phrases.json).
import { isRefusal, matchRefusal } from "../stats/refusals.js";

/** True when `text` refuses, in the voice of `persona` (null: any persona's voice counts). */
export function detectRefusal(text: string, persona: string | null): boolean {
  return isRefusal(text, persona);
}

export { matchRefusal };
