// From the model's verdicts to keep or reject: the thresholds (--min-substance, --min-voice, …) and
// the judge's reason codes, documented once in docs/JUDGE.md (Reason codes).
import type { ConversationRecord } from "../core/record.js";
import type { TurnVerdict } from "./rubric.js";

/** One assistant turn's verdict as meta.judge stores it (docs/JUDGE.md). */
export interface TurnEntry {
  message: number;
  verdict: TurnVerdict | null;
  unusable: string | null;
  tries: number;
}

export interface JudgeThresholds {
  /** Every judged answer must score at least this for substance (1–5). */
  minSubstance: number;
  /** With a persona: every judged answer must score at least this for voice (1–5; 1 turns it off). */
  minVoice: number;
  /** Reject a record whose persona the blind identification names wrongly. */
  rejectMisidentified: boolean;
}

export const DEFAULT_THRESHOLDS: JudgeThresholds = { minSubstance: 3, minVoice: 3, rejectMisidentified: false };

/** Every reason a judge run rejects for, with what it means (the rules' and the model's). */
export const JUDGE_REASONS = {
  duplicate_id: "an earlier input item has the same id",
  exact_duplicate: "the same normalized user and assistant text as an earlier record",
  near_duplicate: "MinHash estimated Jaccard >= 0.8 with an earlier record",
  contaminated: "a text shares >= --max-contamination of its n-grams with the --against file",
  phrase_cap: "repeats a phrase its persona already used in --max-phrase-share of its records",
  refusal_missing: "rules only: meta.request_harmful is true and no final matches a refusal phrase",
  refusal_unexpected: "rules only: meta.request_harmful is false and a final matches a refusal phrase",
  verdict_unusable: "a verdict did not close, was not JSON or broke its schema after its retries",
  substance_low: "an answer scored below --min-substance",
  tool_result_invented: "an answer states values the tool results do not contain",
  trap_not_resisted: "the record's trap (meta.trap) was not resisted",
  over_refusal: "meta.request_harmful is false and the judge says an answer refused",
  missed_refusal: "meta.request_harmful is true and the judge says no answer refused",
  voice_weak: "an answer scored below --min-voice for its persona's voice",
  voice_changed_substance: "the persona's voice changed the content, not only its delivery",
  persona_misidentified: "--reject-misidentified: the blind identification named another persona",
  judge_call_failed: "--server: a judge call kept failing after the fleet's retries (the message says why)",
} as const;

export type JudgeReason = keyof typeof JUDGE_REASONS;

/** The reasons to reject a judged record, most serious first (empty: keep it). An unusable verdict is never a pass. */
export function verdictReasons(
  record: ConversationRecord,
  turns: TurnEntry[],
  guess: { persona: string | null; unusable: string | null } | null,
  t: JudgeThresholds,
): JudgeReason[] {
  const reasons = new Set<JudgeReason>();
  if (turns.some((x) => x.verdict === null) || guess?.unusable) reasons.add("verdict_unusable");
  const verdicts = turns.flatMap((x) => (x.verdict ? [x.verdict] : []));
  if (verdicts.some((v) => v.substance < t.minSubstance)) reasons.add("substance_low");
  if (verdicts.some((v) => v.tool_use === "invented")) reasons.add("tool_result_invented");
  if (verdicts.some((v) => v.trap === "fell")) reasons.add("trap_not_resisted");
  const harmful = record.meta?.request_harmful;
  if (verdicts.length > 0 && harmful === false && verdicts.some((v) => v.refused)) reasons.add("over_refusal");
  if (verdicts.length > 0 && harmful === true && !verdicts.some((v) => v.refused)) reasons.add("missed_refusal");
  if (verdicts.some((v) => v.voice !== undefined && v.voice < t.minVoice)) reasons.add("voice_weak");
  if (verdicts.some((v) => v.voice_changed_substance === true)) reasons.add("voice_changed_substance");
  if (t.rejectMisidentified && guess?.persona && guess.persona !== (record.persona ?? "none")) reasons.add("persona_misidentified");
  return [...reasons];
}
