// The render stage over an input file (any container: src/ingest/source.ts): read (streaming), validate, render. Bad lines are yielded
// with their location and reason, and the rest of the file proceeds.
import { DataError } from "../core/errors.js";
import { displayName, readSource, type ReadSourceOptions } from "../ingest/source.js";
import type { ConversationRecord } from "../core/record.js";
import type { ReasonCode } from "../core/reasons.js";
import { validateRecord, type ValidateOptions } from "../validate/index.js";
import { renderDocuments, checkRenderOptions, type RecordDocuments, type RenderOptions } from "./index.js";

export interface RenderedItem {
  ok: true;
  line: number;
  id: string;
  record: ConversationRecord;
  /** The record's documents under --documents (one, or one per turn), and what the mode dropped. */
  rendered: RecordDocuments;
}

export interface BadLine {
  ok: false;
  line: number;
  id?: string;
  code: ReasonCode;
  message: string;
}

export interface RenderFileOptions extends RenderOptions, ReadSourceOptions, ValidateOptions {
  /** Only this record; reading stops at it. Not found: DataError id_not_found. */
  id?: string;
}

const idOf = (value: unknown): string | undefined =>
  value !== null && typeof value === "object" && typeof (value as { id?: unknown }).id === "string"
    ? (value as { id: string }).id
    : undefined;

/** Renders every valid record of `file` (or the one with `options.id`). */
export async function* renderFile(file: string, options: RenderFileOptions = {}): AsyncGenerator<RenderedItem | BadLine> {
  const renderOptions = checkRenderOptions(options);
  let found = false;
  for await (const item of readSource(file, options)) {
    if ("error" in item) {
      yield { ok: false, line: item.line, code: item.error.code, message: item.error.message };
      continue;
    }
    // With --id, other records are neither validated nor reported.
    if (options.id !== undefined && idOf(item.value) !== options.id) continue;
    const result = validateRecord(item.value, { allowTrailingCall: options.allowTrailingCall });
    if (!result.ok) {
      for (const issue of result.issues) {
        const where = issue.path && !issue.message.includes(issue.path) ? ` (at ${issue.path})` : "";
        yield { ok: false, line: item.line, id: result.id, code: issue.code, message: `${issue.message}${where}` };
      }
    } else {
      const { dialect = "harmony", mask = "assistant", documents = "auto" } = renderOptions;
      const rendered = renderDocuments(result.record, { dialect, mask, documents });
      yield { ok: true, line: item.line, id: result.record.id, record: result.record, rendered };
    }
    if (options.id !== undefined) {
      found = true;
      break;
    }
  }
  if (options.id !== undefined && !found) {
    throw new DataError("id_not_found", `no record with id "${options.id}" (check the id, or run without --id to see them all)`, {
      file: displayName(file),
    });
  }
}
