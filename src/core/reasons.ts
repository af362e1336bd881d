// The one table of reason codes: every code a line, an item or a whole input can be reported with,
// by any command (validate, import, render, stats, pack, export, judge, generate), each documented
// here once. Codes are API: scripts match on them, so never rename one. A new code goes at the end
// of the table: the order of each view is API too (validate's REASON_CODES orders issues_by_code,
// and data/examples/invalid.jsonl has one line per code in that order). The per-layer tables
// (REASONS in src/validate/reasons.ts, SHAPE_REASONS, CONTAINER_REASONS) are views of this one.
// The judge's verdict reasons are another kind (src/judge/verdict.ts, JUDGE_REASONS).

/** The layer whose rule a code is (another layer may report it too: a JSON array's splitter says invalid_json). */
export type ReasonLayer =
  // The strict JSON parser (core/json.ts): a line's or an embedded string's JSON text.
  | "core/json"
  // The line reader (core/jsonl.ts, core/lines.ts): bytes and length of a line.
  | "core/jsonl"
  // The containers of the input layer (src/ingest/containers/, src/ingest/source.ts).
  | "ingest/containers"
  // The shape adapters (src/ingest/shapes/): an item that cannot be turned into a record.
  | "ingest/shapes"
  // The record's schema and rules (src/validate/).
  | "validate"
  // The text exports (src/export/text-export.ts).
  | "export"
  // The renderer threw on a record the validator accepts (pack, stats and export report the record and go on).
  | "render";

export interface ReasonInfo {
  /** What it means and what to do about it, in one line. */
  readonly summary: string;
  readonly layer: ReasonLayer;
  /** Said of the whole input (the command stops with exit 1, naming the file), not of one item. */
  readonly wholeInput?: true;
}

export const RECORD_REASONS = {
  // The line itself.
  invalid_json: { layer: "core/json", summary: "the line is not JSON; fix or drop the line" },
  invalid_utf8: { layer: "core/jsonl", summary: "the line holds bytes that are not UTF-8; re-encode the file as UTF-8" },
  line_too_long: { layer: "core/jsonl", summary: "the line is longer than --max-line-bytes; raise the limit or split the record" },
  // The record's shape (schemas/conversation.schema.json, schemas/tool.schema.json).
  schema_violation: { layer: "validate", summary: "the record does not match schemas/conversation.schema.json (path in the message)" },
  unknown_role: { layer: "validate", summary: "a message role is not one of system, developer, user, assistant, tool" },
  unknown_persona: { layer: "validate", summary: "persona is not one of the 9 alignments (lawful_good ... chaotic_evil) or null" },
  invalid_date: { layer: "validate", summary: "meta.date is not a real calendar date written YYYY-MM-DD" },
  // Tools.
  duplicate_tool_name: { layer: "validate", summary: "two tools in `tools` have the same function name" },
  invalid_tool_parameters: { layer: "validate", summary: "a tool's `parameters` is not a JSON Schema Ajv can compile" },
  unknown_tool: { layer: "validate", summary: "a tool call names a function that `tools` does not declare" },
  invalid_arguments_json: { layer: "validate", summary: "a tool call's `arguments` string is not a JSON object" },
  invalid_arguments: { layer: "validate", summary: "a tool call's arguments do not validate against the tool's `parameters`" },
  duplicate_tool_call_id: { layer: "validate", summary: "two tool calls in the record share an id" },
  // Tool results: each call gets exactly one `tool` message, in call order, right after its assistant message.
  missing_tool_result: { layer: "validate", summary: "a tool call has no result before the next non-tool message (or the end)" },
  extra_tool_result: {
    layer: "validate",
    summary: "a tool message answers no waiting call (unknown id, answered twice, or no call pending)",
  },
  out_of_order_tool_result: { layer: "validate", summary: "tool results do not come in the order of the calls" },
  tool_result_name_mismatch: { layer: "validate", summary: "a tool message's `name` differs from the function its call named" },
  // The conversation.
  empty_turn: { layer: "validate", summary: "a message has empty content and no tool calls or thinking" },
  missing_final: {
    layer: "validate",
    summary: "the conversation does not end with an assistant final answer (content, no tool calls)",
  },
  persona_mismatch: {
    layer: "validate",
    summary: "persona and the `Persona: <alignment>` system message disagree (or one is missing)",
  },
  // Across a run.
  duplicate_record_id: { layer: "validate", summary: "the record id was already used earlier in this run" },
  // The line's JSON beyond its syntax (the parser every command shares).
  duplicate_key: {
    layer: "core/json",
    summary: "an object repeats a key (JSON.parse would keep the last silently); keep one (path in the message)",
  },
  number_out_of_range: {
    layer: "core/json",
    summary: "a number is beyond the range of a 64-bit float (e.g. 1e400); write it as a string or a smaller number",
  },
  too_deep: { layer: "core/json", summary: "arrays and objects are nested deeper than 256 levels; flatten the value" },
  key_order: {
    layer: "core/json",
    summary:
      'an integer-like key ("1") is written after another key or a larger one: JavaScript would move it first; ' +
      "write such keys first, ascending",
  },
  // An item that is none of the shapes we read, or cannot be converted (docs/INPUTS.md).
  unknown_shape: {
    layer: "ingest/shapes",
    summary: "the line is none of the shapes datagen reads (native, openai, sharegpt, hermes, xlam); see docs/INPUTS.md",
  },
  shape_mismatch: {
    layer: "ingest/shapes",
    summary: "the line lacks the fields of its shape (forced with --from, or a turn that is not an object)",
  },
  invalid_embedded_json: {
    layer: "ingest/shapes",
    summary: "JSON carried in a string field (tools, answers, a function_call value, <tools>) does not parse or is not a list/object",
  },
  malformed_tool_call: {
    layer: "ingest/shapes",
    summary:
      "a Hermes <tool_call>/<tool_response> is unclosed or stray, or a call body is not {name, arguments} in JSON or a Python literal",
  },
  unsupported_content: {
    layer: "ingest/shapes",
    summary: "a content part is not text (image, audio, file): it cannot be rendered as text",
  },
  unknown_sender: {
    layer: "ingest/shapes",
    summary: "a ShareGPT turn's `from` is not system, human, gpt, function_call, observation or tool",
  },
  // Text exports (datagen export --to harmony-text / hf-messages): text cannot mark what is a special token.
  special_token_text: {
    layer: "export",
    summary:
      "content spells an o200k_harmony special token (e.g. <|return|>); exported as text it would become that token, " +
      "so the record is not exported",
  },
  text_roundtrip_mismatch: {
    layer: "export",
    summary: "the exported text would not tokenize back (specials allowed) to the rendered ids; the record is not exported",
  },
  // Long-context answers (docs/LONG_CONTEXT.md): the answers code knows travel with the record.
  expected_answer_missing: {
    layer: "validate",
    summary: "the last assistant final does not contain a string of meta.expected_answers (compared without regard to case)",
  },
  // Security and robustness: text that is no text.
  lone_surrogate: {
    layer: "core/json",
    summary:
      "a string holds a lone UTF-16 surrogate (\\ud800 without its pair): no character, it would be trained as U+FFFD; " +
      "write the character or its full pair",
  },
  // The input's container: per item, like invalid_json: empty_input and unsupported_value; for the
  // whole input (exit 1, naming the file): corrupt_input and unsupported_input.
  empty_input: {
    layer: "ingest/containers",
    summary:
      "the input holds no record at all (empty file, only blank lines, an empty JSON array, a Parquet file without rows); " +
      "reported at line 0",
  },
  unsupported_value: {
    layer: "ingest/containers",
    summary: "a Parquet value JSON cannot hold (NaN, Infinity, binary bytes); fix or drop the row",
  },
  corrupt_input: {
    layer: "ingest/containers",
    wholeInput: true,
    summary: "gzip, zstd or Parquet data is damaged or truncated; the items before it were read, the rest cannot be",
  },
  unsupported_input: {
    layer: "ingest/containers",
    wholeInput: true,
    summary: "a container datagen does not read (zip, bzip2, xz, 7z, LZ4, Arrow IPC; Parquet on stdin or compressed); unpack or convert it",
  },
  // A valid record the renderer could not render (a bug in a stage, reported instead of ending the run).
  render_failed: {
    layer: "render",
    summary: "the record is valid but rendering it failed (the message says why); the record is skipped and the run goes on",
  },
} as const satisfies Record<string, ReasonInfo>;

type Table = typeof RECORD_REASONS;

/** Every code a line, item or input can be reported with. A misspelt code does not typecheck. */
export type ReasonCode = keyof Table;

/** The codes of some layers. */
export type ReasonCodeOf<L extends ReasonLayer> = { [K in ReasonCode]: Table[K]["layer"] extends L ? K : never }[ReasonCode];

/** The codes in table order. */
export const ALL_REASON_CODES = Object.keys(RECORD_REASONS) as ReasonCode[];

/** The view of the table holding only these layers' codes, in table order. */
export function reasonsOf<L extends ReasonLayer>(...layers: L[]): { readonly [K in ReasonCodeOf<L>]: Table[K] } {
  const keep = new Set<ReasonLayer>(layers);
  return Object.fromEntries(Object.entries(RECORD_REASONS).filter(([, info]) => keep.has(info.layer))) as {
    readonly [K in ReasonCodeOf<L>]: Table[K];
  };
}

/** Codes and their summaries as aligned text lines (for --help). */
export function reasonLines(codes: readonly ReasonCode[], indent = "  "): string {
  const width = Math.max(...codes.map((c) => c.length));
  return codes.map((code) => `${indent}${code.padEnd(width)}  ${RECORD_REASONS[code].summary}`).join("\n");
}
