// The one place where an input item becomes a record, shared by every command: the strict JSON
// parser of core/jsonl.ts, then the shape adapter of shapes/ (--from). Runs on the main thread for
// validate, render, stats and import (through readSource) and inside pack's worker threads
// (pack/process-record.ts), so every command sees the same record, id and verdict for an item.
import { parseJsonLine } from "../core/jsonl.js";
import type { ItemError } from "./containers/item.js";
import { adaptRecord, type ShapeName, type ShapeOption } from "./shapes/index.js";

export { FROM_SHAPES } from "./shapes/index.js";
export type FromShape = ShapeOption;

export interface RecordContext {
  /** The input as named in messages ("<stdin>" for standard input); made-up ids are FILE:LINE. */
  file: string;
  line: number;
  /** Default auto. */
  from?: FromShape;
}

export type RecordResult =
  | {
      value: unknown;
      /** The shape the item was read as, and what its conversion left out (e.g. "messages[].refusal"). */
      shape: ShapeName;
      dropped: string[];
      /** False when the record had no id and got FILE:LINE (such ids never collide). */
      ownId: boolean;
    }
  | { error: ItemError; shape?: ShapeName; id?: string };

/** One item's JSON text (a JSONL line, a JSON array element, a Parquet row) → a record or the reason it is none. */
export function recordFromBytes(bytes: Uint8Array, context: RecordContext): RecordResult {
  const parsed = parseJsonLine(bytes);
  if ("error" in parsed) return parsed;
  return adaptValue(parsed.value, context);
}

/** The shape adapter's call site. A native record comes back as the same object. */
export function adaptValue(value: unknown, context: RecordContext): RecordResult {
  const adapted = adaptRecord(value, { shape: context.from ?? "auto", file: context.file, line: context.line });
  if ("error" in adapted) return { error: adapted.error, shape: adapted.shape, id: ownId(value) };
  return { value: adapted.record, shape: adapted.shape, dropped: adapted.dropped, ownId: ownId(value) !== undefined };
}

function ownId(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const id = (value as { id?: unknown }).id;
  return typeof id === "string" && id !== "" ? id : typeof id === "number" ? String(id) : undefined;
}
