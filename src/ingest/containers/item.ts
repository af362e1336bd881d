// What every container yields per item, before parsing.
import type { ReasonCodeOf } from "../../core/reasons.js";

/** Why an item is not a record: a stable reason code of the input layer (src/core/reasons.ts) and a one-line message. */
export interface ItemError {
  code: ReasonCodeOf<"core/json" | "core/jsonl" | "ingest/containers" | "ingest/shapes">;
  message: string;
}

/** An item's JSON bytes, a marker that it was over --max-line-bytes, or why it is no item. */
export type SourceLine = { line: number; bytes: Buffer } | { line: number; tooLong: true } | { line: number; error: ItemError };
