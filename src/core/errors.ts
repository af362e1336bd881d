// Named errors. The CLI's single top-level catch maps them to exit codes:
// 0 ok, 1 invalid data / failed check, 2 usage error.

/** Where a problem is: file, 1-based line, and record id when known. */
export interface Location {
  file?: string;
  line?: number;
  id?: string;
}

export function formatLocation(loc: Location): string {
  const where = loc.file ? (loc.line ? `${loc.file}:${loc.line}` : loc.file) : loc.line ? `line ${loc.line}` : "";
  return [where, loc.id].filter(Boolean).join(" ");
}

export class DatagenError extends Error {
  readonly exitCode: number = 1;

  /**
   * `details`: lines printed under the one-line message, indented (a compiler's output, a list of
   * schema errors). The message itself is always printed as one line, its control characters escaped.
   */
  constructor(
    message?: string,
    readonly details: readonly string[] = [],
  ) {
    super(message);
  }
}

/** Bad flags or arguments: exit 2. */
export class UsageError extends DatagenError {
  override readonly exitCode = 2;
}

/** Invalid input data, with a stable reason code and its location: exit 1. */
export class DataError extends DatagenError {
  constructor(
    // Not ReasonCode alone: besides the whole-input reason codes (core/reasons.ts, wholeInput) each
    // stage has its own (invalid_manifest, id_not_found, GGUF checks, …).
    readonly code: string,
    message: string,
    readonly location: Location = {},
  ) {
    super(`${formatLocation(location)}${formatLocation(location) ? " " : ""}${code} ${message}`);
  }
}

/** A check that failed (verify, eval): exit 1. */
export class CheckFailedError extends DatagenError {}

/** A command stopped by SIGINT/SIGTERM before its end (src/cli/run.ts exits 130/143 after it). */
export class InterruptedError extends DatagenError {}

/**
 * A command ran on its input and produced nothing usable (no record, no document, no trained
 * token): exit 1 with what was missing, never an empty result that looks like success.
 */
export class NothingUsableError extends DatagenError {}
