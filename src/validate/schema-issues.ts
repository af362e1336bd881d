// Ajv errors → our issues: a stable reason code, a message that names the field, and the JSON path.
import type { ReasonCodeOf } from "../core/reasons.js";
import type { ErrorObject } from "./schemas.js";
import type { ValidationIssue } from "./types.js";

const ROLE_PATH = /^\/messages\/\d+\/role$/;

export function schemaIssues(errors: readonly ErrorObject[], record: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    // "if"/"then" wrappers only repeat the inner error; a role's "then" may repeat a type error.
    if (error.keyword === "if") continue;
    const key = `${error.keyword} ${error.instancePath}`;
    if (error.keyword === "type" && seen.has(key)) continue;
    seen.add(key);
    issues.push({ code: codeFor(error), message: messageFor(error, record), path: error.instancePath || "/" });
  }
  // A failed record always has an issue (ValidationResult), even if Ajv named no error we report.
  if (issues.length === 0) issues.push({ code: "schema_violation", message: "record: does not match the schema", path: "/" });
  return issues;
}

function codeFor(error: ErrorObject): ReasonCodeOf<"validate"> {
  if (error.keyword === "enum" && ROLE_PATH.test(error.instancePath)) return "unknown_role";
  if (error.keyword === "enum" && error.instancePath === "/persona") return "unknown_persona";
  if (error.keyword === "format" && error.instancePath === "/meta/date") return "invalid_date";
  return "schema_violation";
}

function messageFor(error: ErrorObject, record: unknown): string {
  const at = error.instancePath || "record";
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case "required":
      return `${at}: missing required field "${String(params.missingProperty)}"`;
    case "additionalProperties":
      return `${at}: unknown field "${String(params.additionalProperty)}"`;
    case "false schema":
      return `${at}: field not allowed on a ${roleAt(record, error.instancePath) ?? "this"} message`;
    case "enum":
      return `${at}: ${JSON.stringify(valueAt(record, error.instancePath))} is not one of ${(params.allowedValues as unknown[])
        .map((v) => JSON.stringify(v))
        .join(", ")}`;
    case "format":
      return `${at}: ${JSON.stringify(valueAt(record, error.instancePath))} is not a valid ${String(params.format)} (YYYY-MM-DD)`;
    default:
      return `${at}: ${error.message ?? error.keyword}`;
  }
}

/** The value at a JSON pointer (Ajv's instancePath), or undefined. */
export function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === "") return root;
  let node = root;
  for (const raw of pointer.slice(1).split("/")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[raw.replace(/~1/g, "/").replace(/~0/g, "~")];
  }
  return node;
}

function roleAt(record: unknown, pointer: string): string | undefined {
  const match = /^(\/messages\/\d+)\//.exec(pointer);
  const role = match ? valueAt(record, `${match[1]}/role`) : undefined;
  return typeof role === "string" ? role : undefined;
}
