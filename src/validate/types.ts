import type { ConversationRecord } from "../core/record.js";
import type { ReasonCode } from "../core/reasons.js";

/** One problem in a record: a stable reason code (the one table, src/core/reasons.ts), a message, the JSON path. */
export interface ValidationIssue {
  code: ReasonCode;
  message: string;
  path?: string;
}

/** On success the record is normalized: every tool call's `arguments` is an object. On failure `issues` holds at least one issue. */
export type ValidationResult = { ok: true; record: ConversationRecord } | { ok: false; id?: string; issues: ValidationIssue[] };

/** An issue as one phrase: its JSON pointer first, unless the message already starts with it. */
export function describeIssue(issue: ValidationIssue): string {
  return issue.path && !issue.message.startsWith(issue.path) ? `${issue.path}: ${issue.message}` : issue.message;
}
