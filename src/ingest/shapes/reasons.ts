// The reason codes of a line that cannot be converted to a record: a view of the one table,
// src/core/reasons.ts, where they are documented (validate, render, stats and pack report them too).
import { reasonLines, reasonsOf, type ReasonCodeOf } from "../../core/reasons.js";

export const SHAPE_REASONS = reasonsOf("ingest/shapes");

export type ShapeErrorCode = ReasonCodeOf<"ingest/shapes">;

export const SHAPE_REASON_CODES = Object.keys(SHAPE_REASONS) as ShapeErrorCode[];

/** The conversion codes as aligned text lines (for import's --help). */
export function shapeReasonTable(indent = "  "): string {
  return reasonLines(SHAPE_REASON_CODES, indent);
}
