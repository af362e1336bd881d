// Stable reason codes of `datagen validate`. Codes are API: scripts match on them, so never rename
// one; add new ones at the end of their group. `datagen validate --help` prints this table.

import { SHAPE_REASONS } from "../ingest/shapes/reasons.js";

export interface ReasonInfo {
  /** What it means and what to do about it, in one line. */
  readonly summary: string;
}

const VALIDATE_REASONS = {
  // The line itself (from the JSONL reader).
  invalid_json: { summary: "the line is not JSON; fix or drop the line" },
  invalid_utf8: { summary: "the line holds bytes that are not UTF-8; re-encode the file as UTF-8" },
  line_too_long: { summary: "the line is longer than --max-line-bytes; raise the limit or split the record" },
  // The record's shape (schemas/conversation.schema.json, schemas/tool.schema.json).
  schema_violation: { summary: "the record does not match schemas/conversation.schema.json (path in the message)" },
  unknown_role: { summary: "a message role is not one of system, developer, user, assistant, tool" },
  unknown_persona: { summary: "persona is not one of the 9 alignments (lawful_good ... chaotic_evil) or null" },
  invalid_date: { summary: "meta.date is not a real calendar date written YYYY-MM-DD" },
  // Tools.
  duplicate_tool_name: { summary: "two tools in `tools` have the same function name" },
  invalid_tool_parameters: { summary: "a tool's `parameters` is not a JSON Schema Ajv can compile" },
  unknown_tool: { summary: "a tool call names a function that `tools` does not declare" },
  invalid_arguments_json: { summary: "a tool call's `arguments` string is not a JSON object" },
  invalid_arguments: { summary: "a tool call's arguments do not validate against the tool's `parameters`" },
  duplicate_tool_call_id: { summary: "two tool calls in the record share an id" },
  // Tool results: each call gets exactly one `tool` message, in call order, right after its assistant message.
  missing_tool_result: { summary: "a tool call has no result before the next non-tool message (or the end)" },
  extra_tool_result: { summary: "a tool message answers no waiting call (unknown id, answered twice, or no call pending)" },
  out_of_order_tool_result: { summary: "tool results do not come in the order of the calls" },
  tool_result_name_mismatch: { summary: "a tool message's `name` differs from the function its call named" },
  // The conversation.
  empty_turn: { summary: "a message has empty content and no tool calls or thinking" },
  missing_final: { summary: "the conversation does not end with an assistant final answer (content, no tool calls)" },
  persona_mismatch: { summary: "persona and the `Persona: <alignment>` system message disagree (or one is missing)" },
  // Across a run.
  duplicate_record_id: { summary: "the record id was already used earlier in this run" },
  // The line's JSON beyond its syntax (src/core/json.ts, the parser every command shares).
  duplicate_key: { summary: "an object repeats a key (JSON.parse would keep the last silently); keep one (path in the message)" },
  number_out_of_range: { summary: "a number is beyond the range of a 64-bit float (e.g. 1e400); write it as a string or a smaller number" },
  too_deep: { summary: "arrays and objects are nested deeper than 256 levels; flatten the value" },
  key_order: {
    summary:
      'an integer-like key ("1") is written after another key or a larger one: JavaScript would move it first; write such keys first, ascending',
  },
} as const satisfies Record<string, ReasonInfo>;

// Listed after the input shapes' codes (src/ingest/shapes/reasons.ts), which came before them.
const LATER_REASONS = {
  // Text exports (datagen export --to harmony-text / hf-messages): text cannot mark what is a special token.
  special_token_text: {
    summary:
      "content spells an o200k_harmony special token (e.g. <|return|>); exported as text it would become that token, so the record is not exported",
  },
  text_roundtrip_mismatch: {
    summary: "the exported text would not tokenize back (specials allowed) to the rendered ids; the record is not exported",
  },
  // Long-context answers (docs/LONG_CONTEXT.md): the answers code knows travel with the record.
  expected_answer_missing: {
    summary: "the last assistant final does not contain a string of meta.expected_answers (compared without regard to case)",
  },
  // Security and robustness: text that is no text.
  lone_surrogate: {
    summary:
      "a string holds a lone UTF-16 surrogate (\\ud800 without its pair): no character, it would be trained as U+FFFD; write the character or its full pair",
  },
} as const satisfies Record<string, ReasonInfo>;

/**
 * Every reason code a record can be reported with, each documented once by the layer that raises
 * it: the input shapes' own codes live in src/ingest/shapes/reasons.ts.
 */
export const REASONS = { ...VALIDATE_REASONS, ...SHAPE_REASONS, ...LATER_REASONS } as const satisfies Record<string, ReasonInfo>;

export type ReasonCode = keyof typeof REASONS;

export const REASON_CODES = Object.keys(REASONS) as ReasonCode[];

/** The table as aligned text lines (for --help and docs). */
export function reasonTable(indent = "  "): string {
  const width = Math.max(...REASON_CODES.map((c) => c.length));
  return REASON_CODES.map((code) => `${indent}${code.padEnd(width)}  ${REASONS[code].summary}`).join("\n");
}
