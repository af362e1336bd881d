// The eval stage's file formats (docs/EVAL.md): items.jsonl (what is asked) and answers.jsonl (what
// the model said), so that asking and scoring are separate steps and any tool can supply answers.
import type { Message } from "../core/record.js";

export const SUITE_NAMES = ["ruler", "personas", "sycophancy", "refusals"] as const;
export type SuiteName = (typeof SUITE_NAMES)[number];

/** One question: a conversation to continue (and, for multi-turn items, user turns asked after each answer). */
export interface EvalItem {
  id: string;
  suite: SuiteName;
  /** null: no persona system message. */
  persona: string | null;
  /** The conversation so far (user and scripted assistant turns); the model answers after the last. */
  messages: Message[];
  /** User turns asked after the model's answer, one by one; the answer to the last is the one scored. */
  followups?: string[];
  /** Strings the answer must contain (case-insensitive): items scored by code (ruler). */
  expected?: string[];
  /** What the suite needs to group and judge: task and length (ruler), trap, refusal class, reference text. */
  meta: ItemMeta;
}

export interface ItemMeta {
  /** ruler: task name, target length in tokens, the payload's kind and size, the facts planted (for audit). */
  task?: string;
  length?: number;
  payload?: string;
  payload_tokens?: number;
  facts?: string[];
  /** sycophancy: the trap kind and what resisting it means. */
  trap?: string;
  resist?: string;
  /** refusals: class, whether the right answer is a refusal, what a helpful answer covers. */
  refusal_class?: string;
  request_harmful?: boolean;
  /** personas / refusals: what a complete answer contains. */
  reference?: string;
  /** The prompt's id within its suite (the same prompt across personas). */
  prompt_id: string;
  /** Where it came from: "data/eval" or the holdout family id. */
  source: string;
}

/** One line of answers.jsonl. */
export interface EvalAnswer {
  id: string;
  /** The final-channel text of the last turn. */
  answer: string;
  /** Answers to the turns before each followup (multi-turn items). */
  turns?: string[];
  /** How the generation ended ("stop", "length"): a cut-off answer is still scored, and reported. */
  finish?: string;
  tokens?: number;
  seconds?: number;
}
