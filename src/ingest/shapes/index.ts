// The shapes of chat data datagen takes, and the one adapter every command uses to turn a parsed
// line into our record (src/core/record.ts). Pure and synchronous: pack runs it in worker threads.
// The adapter only converts; whether the record is valid is still for validation to say.
import { carryJsonNumbers, markJsonNumbers } from "../../core/json.js";
import type { ConversationRecord } from "../../core/record.js";
import { Conversion, isObject, ShapeReject, type AdaptResult, type Obj, type ShapeName } from "./common.js";
import { adaptHermes, hasHermesTags } from "./hermes.js";
import { isNative } from "./native.js";
import { adaptOpenAI } from "./openai.js";
import { adaptShareGpt } from "./sharegpt.js";
import { adaptXlam } from "./xlam.js";

export type { AdaptResult, ShapeError, ShapeErrorCode, ShapeName } from "./common.js";

export type ShapeOption = "auto" | ShapeName;

export interface AdaptOptions {
  /** "auto" (default) detects the shape of each record; a name forces it. */
  shape?: ShapeOption;
  /** Where the record came from: a record without an id gets "FILE:LINE". */
  file: string;
  line: number;
}

type Adapter = (value: Obj, conv: Conversion) => ConversationRecord;

/**
 * The registry of input shapes: one entry per shape, in the order --from lists them. A new shape is
 * an entry here (its adapter in its own file) plus a branch in detectShape and a section in
 * docs/INPUTS.md. "native" records pass through unchanged (adapt: null).
 */
export const SHAPES: Readonly<Record<ShapeName, { adapt: Adapter | null }>> = {
  native: { adapt: null },
  openai: { adapt: adaptOpenAI },
  sharegpt: { adapt: adaptShareGpt },
  hermes: { adapt: adaptHermes },
  xlam: { adapt: adaptXlam },
};

export const SHAPE_NAMES = Object.keys(SHAPES) as ShapeName[];

/** --from: the input's shape, or auto to detect it per record. */
export const FROM_SHAPES: readonly ShapeOption[] = ["auto", ...SHAPE_NAMES];

/** The shape of one parsed line, or undefined when it is none we know. */
export function detectShape(value: unknown): ShapeName | undefined {
  if (!isObject(value)) return undefined;
  if (Array.isArray(value.conversations)) {
    const turns = value.conversations.map((t) => (isObject(t) ? { role: t.from, text: t.value } : { role: undefined, text: undefined }));
    const llamaFactory = turns.some((t) => t.role === "function_call" || t.role === "observation");
    return !llamaFactory && hasHermesTags(turns) ? "hermes" : "sharegpt";
  }
  if (Array.isArray(value.messages)) {
    if (isNative(value)) return "native";
    // Structured calls or results make it OpenAI even if some text mentions a Hermes tag.
    const structured = value.messages.some(
      (m) => isObject(m) && (m.tool_calls != null || m.function_call != null || m.tool_call_id != null),
    );
    const turns = value.messages.map((m) => (isObject(m) ? { role: m.role, text: m.content } : { role: undefined, text: undefined }));
    return !structured && hasHermesTags(turns) ? "hermes" : "openai";
  }
  if (value.query !== undefined && value.answers !== undefined) return "xlam";
  return undefined;
}

/**
 * One parsed line → our record and what the conversion left out, or the reason it cannot be
 * converted. A native record is returned as the same object (no copy, no change).
 */
export function adaptRecord(value: unknown, options: AdaptOptions): AdaptResult {
  const shape = options.shape === undefined || options.shape === "auto" ? detectShape(value) : options.shape;
  if (shape === undefined) {
    return {
      error: {
        code: "unknown_shape",
        message:
          `not a record of any known shape (${SHAPE_NAMES.join(", ")}): ` +
          `expected "messages", "conversations", or "query" and "answers"`,
      },
    };
  }
  const adapt = SHAPES[shape].adapt;
  if (adapt === null) return { record: value as ConversationRecord, shape, dropped: [] };
  if (!isObject(value)) return { error: { code: "shape_mismatch", message: `a ${shape} record must be a JSON object` }, shape };
  const conv = new Conversion(options.file, options.line);
  try {
    // The rebuilt record keeps the input's mark that it holds numbers kept as written (core/json.ts).
    const record = carryJsonNumbers(value, adapt(value, conv));
    // Numbers kept as written inside embedded JSON (xLAM answers, ShareGPT calls): mark their holders too.
    if (conv.holdsJsonNumbers) markJsonNumbers(record);
    return { record, shape, dropped: conv.dropped };
  } catch (e) {
    if (e instanceof ShapeReject) return { error: { code: e.code, message: e.message }, shape };
    throw e;
  }
}
