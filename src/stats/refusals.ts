// Refusal detection: a documented heuristic, not a classifier.
//
// An assistant final message (an assistant message with text content and no tool calls) is a
// refusal when its normalized text (see normalizeText: lower case, straight apostrophes,
// collapsed whitespace) contains one of the phrases below. A conversation counts as refusing
// when any of its final messages is a refusal. Phrases are first-person declines; generic
// apologies ("sorry for the delay") are deliberately absent to keep false positives down.
import { normalizeText } from "./text.js";

export const REFUSAL_PHRASES: readonly string[] = [
  "i can't help with",
  "i cannot help with",
  "i can't assist with",
  "i cannot assist with",
  "i can't help you with",
  "i cannot help you with",
  "i can't provide",
  "i cannot provide",
  "i can't do that",
  "i cannot do that",
  "i won't help",
  "i will not help",
  "i won't do that",
  "i will not do that",
  "i won't provide",
  "i will not provide",
  "i'm not able to help",
  "i am not able to help",
  "i'm unable to help",
  "i am unable to help",
  "i'm unable to assist",
  "i am unable to assist",
  "i must decline",
  "i have to decline",
  "i refuse to",
  "i'm sorry, but i can't",
  "i'm sorry, but i cannot",
  "sorry, i can't",
  "sorry, i cannot",
  "i can't comply",
  "i cannot comply",
  "as an ai, i can't",
  "as an ai, i cannot",
];

/** True when the text contains one of REFUSAL_PHRASES (after normalization). */
export function isRefusal(text: string): boolean {
  const normalized = normalizeText(text);
  return REFUSAL_PHRASES.some((phrase) => normalized.includes(phrase));
}
