// One JSONL line → a rendered document (tokens + mask) or a reject with a reason code.
// Runs inside the render worker threads (and in-process for `dataset verify --source`).
import { lineTooLong, parseJsonLine } from "../core/jsonl.js";
import { renderRecord, type Dialect, type MaskMode } from "../render/index.js";
import { validateRecord } from "../validate/index.js";
import { adaptRecord, hasOwnId } from "./adapter.js";

export interface RenderedDocument {
  kind: "document";
  line: number;
  id: string;
  /** False when the id was made up from file:line (input without an id): such ids never collide. */
  ownId: boolean;
  tokens: Uint32Array;
  mask: Uint8Array;
  trained: number;
}

export interface RejectedLine {
  kind: "reject";
  line: number;
  id?: string;
  code: string;
  message: string;
  issues?: { code: string; message: string; path?: string }[];
}

export type LineResult = RenderedDocument | RejectedLine;

export interface RenderSettings {
  dialect: Dialect;
  mask: MaskMode;
}

export function processLine(bytes: Uint8Array | null, file: string, line: number, settings: RenderSettings): LineResult {
  const parsed = bytes === null ? { error: lineTooLong() } : parseJsonLine(bytes);
  if ("error" in parsed) return { kind: "reject", line, code: parsed.error.code, message: parsed.error.message };
  return processValue(parsed.value, file, line, settings);
}

export function processValue(value: unknown, file: string, line: number, settings: RenderSettings): LineResult {
  try {
    return renderValue(value, file, line, settings);
  } catch (e) {
    // A bug in a stage must not take the whole run down with it: the record is reported instead.
    return { kind: "reject", line, code: "render_failed", message: (e as Error).message };
  }
}

function renderValue(value: unknown, file: string, line: number, settings: RenderSettings): LineResult {
  const checked = validateRecord(adaptRecord(value, file, line));
  if (!checked.ok) {
    const first = checked.issues[0] ?? { code: "invalid_record", message: "record is invalid" };
    return { kind: "reject", line, id: checked.id, code: first.code, message: first.message, issues: checked.issues };
  }
  let rendered;
  try {
    rendered = renderRecord(checked.record, settings);
  } catch (e) {
    return { kind: "reject", line, id: checked.record.id, code: "render_failed", message: (e as Error).message };
  }
  const tokens = Uint32Array.from(rendered.tokens);
  const mask = new Uint8Array(rendered.mask); // own buffer, so it can be transferred
  let trained = 0;
  for (let i = 0; i < mask.length; i++) trained += mask[i];
  return { kind: "document", line, id: checked.record.id, ownId: hasOwnId(value), tokens, mask, trained };
}
