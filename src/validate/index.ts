// Validation stage: schema (Ajv, compiled once) then the semantic rules, with stable reason codes
// (reasons.ts). Three entry points: one record (validateRecord), a run that also catches duplicate
// ids (createValidator), and streaming over JSONL files of any size (validateFiles).
import { FirstSeenIds } from "../core/first-seen-ids.js";
import { toPlainJson } from "../core/json.js";
import type { ConversationRecord } from "../core/record.js";
import { readSource, type ReadSourceOptions } from "../ingest/source.js";
import { conversationValidator } from "./schemas.js";
import { schemaIssues } from "./schema-issues.js";
import { checkSemantics, type SemanticOptions } from "./semantics.js";
import type { ValidationIssue, ValidationResult } from "./types.js";

export type { ValidationIssue, ValidationResult } from "./types.js";
export { REASONS, REASON_CODES, reasonTable, type ReasonCode } from "./reasons.js";

/** Options of the rules (shared by validate, render, pack and stats through --allow-trailing-call). */
export type ValidateOptions = SemanticOptions;

/**
 * Checks one record against the schema and the semantic rules. On success the record is normalized
 * in place (tool-call `arguments` strings become objects) and returned; on failure the input is
 * left as it was. Does not know about other records: use createValidator() for duplicate ids.
 */
export function validateRecord(value: unknown, options: ValidateOptions = {}): ValidationResult {
  const validate = conversationValidator();
  // Ajv sees numbers kept as written (core/json.ts JsonNumber) as the numbers they are.
  const view = toPlainJson(value);
  if (!validate(view)) return { ok: false, id: idOf(value), issues: schemaIssues(validate.errors ?? [], view) };
  const record = value as ConversationRecord;
  const issues: ValidationIssue[] = [];
  const parsed = checkSemantics(record, issues, options);
  if (issues.length > 0) return { ok: false, id: record.id, issues };
  for (let i = 0; i < parsed.length; i++) parsed[i].call.function.arguments = parsed[i].value;
  return { ok: true, record };
}

function idOf(value: unknown): string | undefined {
  if (value === null || typeof value !== "object") return undefined;
  const id = (value as { id?: unknown }).id;
  return typeof id === "string" ? id : undefined;
}

export interface RecordLocation {
  file?: string;
  line?: number;
}

/** A validation run: validateRecord plus duplicate record ids across everything checked so far. */
export interface Validator {
  check(value: unknown, location?: RecordLocation): ValidationResult;
  /** Distinct record ids seen so far. */
  readonly idCount: number;
}

export function createValidator(options: ValidateOptions = {}): Validator {
  return new RunValidator(options);
}

class RunValidator implements Validator {
  private readonly seen = new FirstSeenIds();

  constructor(private readonly options: ValidateOptions) {}

  get idCount(): number {
    return this.seen.size;
  }

  check(value: unknown, location: RecordLocation = {}): ValidationResult {
    const result = validateRecord(value, this.options);
    const id = result.ok ? result.record.id : result.id;
    const issue = id === undefined ? undefined : duplicateId(this.seen, id, location);
    if (issue === undefined) return result;
    return result.ok ? { ok: false, id, issues: [issue] } : { ok: false, id, issues: [...result.issues, issue] };
  }
}

/** The duplicate_record_id issue when `id` was seen before in the run; else `seen` remembers where it is. */
export function duplicateId(seen: FirstSeenIds, id: string, location: RecordLocation): ValidationIssue | undefined {
  const previous = seen.claim(id, location.file ?? "", location.line ?? 0);
  return previous === undefined
    ? undefined
    : { code: "duplicate_record_id", message: `id "${id}" was already used at ${previous}`, path: "/id" };
}

/** One line's outcome. Line-level problems (invalid_json, invalid_utf8, line_too_long) come as issues. */
export type FileValidationEvent =
  | { file: string; line: number; ok: true; record: ConversationRecord }
  | { file: string; line: number; ok: false; id?: string; issues: ValidationIssue[] };

export interface ValidateFilesOptions extends ReadSourceOptions, ValidateOptions {
  /** Share a run across calls (duplicate ids); a fresh one by default. */
  validator?: Validator;
}

/**
 * Streams every record of `paths` (any container: src/ingest/source.ts), in order, as a validation event. Memory stays bounded
 * by the longest line (capped by maxLineBytes) plus one entry per distinct record id.
 */
export async function* validateFiles(paths: readonly string[], options: ValidateFilesOptions = {}): AsyncGenerator<FileValidationEvent> {
  const validator = options.validator ?? createValidator(options);
  for (const path of paths) {
    for await (const item of readSource(path, options)) {
      const { file } = item; // "<stdin>" for "-"
      if ("error" in item) {
        yield { file, line: item.line, ok: false, id: item.id, issues: [{ code: item.error.code, message: item.error.message }] };
        continue;
      }
      const result = validator.check(item.value, { file, line: item.line });
      yield result.ok
        ? { file, line: item.line, ok: true, record: result.record }
        : { file, line: item.line, ok: false, id: result.id, issues: result.issues };
    }
  }
}
