// The one place where an input item becomes a record, shared by every command: the strict JSON
// parser of core/jsonl.ts, then the shape adapter (--from). Runs on the main thread for validate,
// render and stats (through readSource) and inside pack's worker threads (process-record.ts).
import { parseJsonLine } from "../core/jsonl.js";
import type { ItemError } from "./containers/item.js";

/** --from: the input's shape, or auto to detect it. */
export const FROM_SHAPES = ["auto", "native", "openai", "sharegpt", "hermes", "xlam"] as const;
export type FromShape = (typeof FROM_SHAPES)[number];

export interface RecordContext {
  /** The input as named in messages ("<stdin>" for standard input); made-up ids are FILE:LINE. */
  file: string;
  line: number;
  from: FromShape;
}

export type RecordResult = { value: unknown } | { error: ItemError };

/** One item's JSON text (a JSONL line, a JSON array element, a Parquet row) → a record or the reason it is none. */
export function recordFromBytes(bytes: Uint8Array, context: RecordContext): RecordResult {
  const parsed = parseJsonLine(bytes);
  if ("error" in parsed) return parsed;
  return adaptValue(parsed.value, context);
}

/** The shape adapter's call site. Native records pass through unchanged. */
export function adaptValue(value: unknown, _context: RecordContext): RecordResult {
  return { value };
}
