// Reason codes of a line that cannot be converted to a record (stable: scripts match on them).
import type { ShapeErrorCode } from "./common.js";

export const SHAPE_REASONS: Record<ShapeErrorCode, { summary: string }> = {
  unknown_shape: { summary: "the line is none of the shapes datagen reads (native, openai, sharegpt, hermes, xlam)" },
  shape_mismatch: { summary: "the line does not have the fields of the shape forced with --from" },
  invalid_embedded_json: { summary: "JSON carried in a string field (tools, answers, a function_call value, <tools>) does not parse" },
  malformed_tool_call: { summary: "a Hermes <tool_call>/<tool_response> is unclosed, stray, or its body is not a JSON call {name, arguments}" },
  unsupported_content: { summary: "a content part is not text (image, audio, file): it cannot be rendered as text" },
  unknown_sender: { summary: "a ShareGPT turn's `from` is not system, human, gpt, function_call, observation or tool" },
};

/** The table as aligned text lines (for --help). */
export function shapeReasonTable(indent = "  "): string {
  const codes = Object.keys(SHAPE_REASONS) as ShapeErrorCode[];
  const width = Math.max(...codes.map((c) => c.length));
  return codes.map((code) => `${indent}${code.padEnd(width)}  ${SHAPE_REASONS[code].summary}`).join("\n");
}
