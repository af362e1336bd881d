// One input item (JSONL line, JSON array element, Parquet row) → its rendered documents (tokens +
// mask; one per assistant turn when --documents cuts the record, src/render/documents.ts) or a
// reject with a reason code. Runs inside the render worker threads, or in the main thread with
// --workers 0. Parsing and the shape adapter are the ones every command uses
// (src/ingest/source-record.ts).
import { lineTooLong, parseJsonLine } from "../core/jsonl.js";
import { adaptValue, type FromShape } from "../ingest/source-record.js";
import type { LineBatch } from "../ingest/line-batches.js";
import { renderDocuments, type Dialect, type DocumentMode, type MaskMode } from "../render/index.js";
import type { ReasonCode } from "../core/reasons.js";
import { validateRecord, type ValidationIssue } from "../validate/index.js";

export interface RenderedDocument {
  /** The record's id, or `ID#k` for turn k when the record is cut into several documents. */
  id: string;
  tokens: Uint32Array;
  mask: Uint8Array;
  trained: number;
  /** Tokens at its start that an earlier document of the same record also holds (0 for the first). */
  repeatedPrefix: number;
}

export interface RenderedRecord {
  kind: "record";
  line: number;
  /** The record's own id (documents carry theirs). */
  id: string;
  /** False when the id was made up from file:line (input without an id): such ids never collide. */
  ownId: boolean;
  documents: RenderedDocument[];
  /** Tokens of the record's analysis that no document trains (src/render/documents.ts). */
  analysisTokensDropped: number;
}

export interface RejectedLine {
  kind: "reject";
  line: number;
  id?: string;
  code: ReasonCode;
  message: string;
  issues?: ValidationIssue[];
}

export type LineResult = RenderedRecord | RejectedLine;

export interface RenderSettings {
  dialect: Dialect;
  mask: MaskMode;
  /** --documents: how a record becomes documents (default auto). */
  documents?: DocumentMode;
  /** --from: the records' shape (default auto). */
  from?: FromShape;
  /** --allow-trailing-call: a record may end with an assistant tool call. */
  allowTrailingCall?: boolean;
}

/** Every item of a batch, in order: the container's own verdict where it found one, else processLine. */
export function renderBatch(batch: LineBatch, settings: RenderSettings): LineResult[] {
  const results: LineResult[] = [];
  const errors = new Map(batch.errors.map((e) => [e.index, e]));
  for (let k = 0; k < batch.lines.length; k++) {
    const error = errors.get(k);
    const bytes = batch.tooLong[k] ? null : batch.data.subarray(batch.starts[k], batch.starts[k + 1]);
    results.push(
      error
        ? { kind: "reject", line: batch.lines[k], code: error.code, message: error.message }
        : processLine(bytes, batch.file, batch.lines[k], settings),
    );
  }
  return results;
}

/** The token and mask buffers of rendered results: moved, not copied, back to the main thread. */
export function transferablesOf(results: readonly LineResult[]): ArrayBuffer[] {
  const transfer: ArrayBuffer[] = [];
  for (const r of results)
    if (r.kind === "record") for (const d of r.documents) transfer.push(d.tokens.buffer as ArrayBuffer, d.mask.buffer as ArrayBuffer);
  return transfer;
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
  const adapted = adaptValue(value, { file, line, from: settings.from });
  if ("error" in adapted) return { kind: "reject", line, id: adapted.id, code: adapted.error.code, message: adapted.error.message };
  const checked = validateRecord(adapted.value, { allowTrailingCall: settings.allowTrailingCall });
  if (!checked.ok) {
    const first = checked.issues[0];
    return { kind: "reject", line, id: checked.id, code: first.code, message: first.message, issues: checked.issues };
  }
  let rendered;
  try {
    rendered = renderDocuments(checked.record, { dialect: settings.dialect, mask: settings.mask, documents: settings.documents ?? "auto" });
  } catch (e) {
    return { kind: "reject", line, id: checked.record.id, code: "render_failed", message: (e as Error).message };
  }
  const documents = rendered.documents.map((d, k): RenderedDocument => {
    const tokens = Uint32Array.from(d.tokens);
    const mask = new Uint8Array(d.mask); // own buffer, so it can be transferred
    let trained = 0;
    for (let i = 0; i < mask.length; i++) trained += mask[i];
    return { id: d.id, tokens, mask, trained, repeatedPrefix: k === 0 ? 0 : d.prefixTokens };
  });
  return {
    kind: "record",
    line,
    id: checked.record.id,
    ownId: adapted.ownId,
    documents,
    analysisTokensDropped: rendered.analysisTokensDropped,
  };
}
