// The reason codes of a line that cannot be converted to a record, documented here, by the layer
// that raises them; src/validate/reasons.ts lists them with every other code (validate, render,
// stats and pack report them too).

export const SHAPE_REASONS = {
  unknown_shape: { summary: "the line is none of the shapes datagen reads (native, openai, sharegpt, hermes, xlam); see docs/INPUTS.md" },
  shape_mismatch: { summary: "the line lacks the fields of its shape (forced with --from, or a turn that is not an object)" },
  invalid_embedded_json: {
    summary: "JSON carried in a string field (tools, answers, a function_call value, <tools>) does not parse or is not a list/object",
  },
  malformed_tool_call: {
    summary:
      "a Hermes <tool_call>/<tool_response> is unclosed or stray, or a call body is not {name, arguments} in JSON or a Python literal",
  },
  unsupported_content: { summary: "a content part is not text (image, audio, file): it cannot be rendered as text" },
  unknown_sender: { summary: "a ShareGPT turn's `from` is not system, human, gpt, function_call, observation or tool" },
} as const satisfies Record<string, { readonly summary: string }>;

export type ShapeErrorCode = keyof typeof SHAPE_REASONS;

export const SHAPE_REASON_CODES = Object.keys(SHAPE_REASONS) as ShapeErrorCode[];

/** The conversion codes as aligned text lines (for import's --help). */
export function shapeReasonTable(indent = "  "): string {
  const width = Math.max(...SHAPE_REASON_CODES.map((c) => c.length));
  return SHAPE_REASON_CODES.map((code) => `${indent}${code.padEnd(width)}  ${SHAPE_REASONS[code].summary}`).join("\n");
}
