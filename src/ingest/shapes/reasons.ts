// The reason codes of a line that cannot be converted to a record. Their summaries live with every
// other code in src/validate/reasons.ts (validate, render, stats and pack report them too).
import { REASONS } from "../../validate/reasons.js";
import type { ShapeErrorCode } from "./common.js";

export const SHAPE_REASON_CODES: readonly ShapeErrorCode[] = [
  "unknown_shape",
  "shape_mismatch",
  "invalid_embedded_json",
  "malformed_tool_call",
  "unsupported_content",
  "unknown_sender",
];

/** The conversion codes as aligned text lines (for import's --help). */
export function shapeReasonTable(indent = "  "): string {
  const width = Math.max(...SHAPE_REASON_CODES.map((c) => c.length));
  return SHAPE_REASON_CODES.map((code) => `${indent}${code.padEnd(width)}  ${REASONS[code].summary}`).join("\n");
}
