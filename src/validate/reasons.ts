// The reason codes `datagen validate --help` lists: a view of the one table, src/core/reasons.ts
// (every code but the containers' and render_failed), in its order. REASON_CODES is API: it orders
// issues_by_code, and data/examples/invalid.jsonl has one line per code in this order.
import { reasonLines, reasonsOf, type ReasonCodeOf } from "../core/reasons.js";

export { RECORD_REASONS, type ReasonCode, type ReasonInfo } from "../core/reasons.js";

/** The codes a record can get from validate or from a text export, each documented once in src/core/reasons.ts. */
export const REASONS = reasonsOf("core/json", "core/jsonl", "validate", "ingest/shapes", "export");

export type ListedReasonCode = ReasonCodeOf<"core/json" | "core/jsonl" | "validate" | "ingest/shapes" | "export">;

export const REASON_CODES = Object.keys(REASONS) as ListedReasonCode[];

/** The table as aligned text lines (for --help and docs). */
export function reasonTable(indent = "  "): string {
  return reasonLines(REASON_CODES, indent);
}
