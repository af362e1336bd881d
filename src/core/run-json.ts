// The resume check every resumable stage (generate, judge, eval) makes against the run.json it left
// in its output folder: the previous run must be this stage's, made with the same model and the
// same settings (its fingerprint). Each stage words its own refusals; the rule is this one.
import { existsSync, readFileSync } from "node:fs";
import { DataError, UsageError } from "./errors.js";

export interface ResumeExpectation {
  /** This run's settings fingerprint. */
  fingerprint: string;
  /** Required: a run.json without a fingerprint (or format) is refused, not trusted. */
  strict?: boolean;
  /** The stage's run.json format; a run.json of another format is another stage's folder. */
  format?: string;
  /** This run's model identity, when the stage has one. */
  identity?: string | null;
  /** The refusal when the models differ. */
  modelMismatch?: (before: string, now: string) => string;
  /** The refusal when the settings differ. */
  settingsMismatch: string;
}

interface PreviousRun {
  format?: unknown;
  fingerprint?: unknown;
  model?: { identity?: unknown } | null;
}

/** Throws when the run.json at `path` (if any) was written by a run this one must not resume. */
export function checkResumable(path: string, out: string, expect: ResumeExpectation): void {
  if (!existsSync(path)) return;
  let previous: PreviousRun;
  try {
    previous = JSON.parse(readFileSync(path, "utf8")) as PreviousRun;
  } catch (err) {
    // run.json is written by rename, so it is never torn by us; without it the settings cannot be checked.
    throw new DataError(
      "unreadable_run_json",
      `cannot check that this run's settings match the previous run's: ${(err as Error).message}; move the file away to resume anyway`,
      { file: path },
    );
  }
  if (expect.format !== undefined && (expect.strict || previous.format !== undefined) && previous.format !== expect.format) {
    throw new UsageError(`${out} holds a run of another stage (${String(previous.format)}); choose another --out`);
  }
  const before = previous.model?.identity;
  if (typeof before === "string" && before && expect.identity && before !== expect.identity) {
    throw new UsageError(expect.modelMismatch?.(before, expect.identity) ?? expect.settingsMismatch);
  }
  if ((expect.strict || previous.fingerprint !== undefined) && previous.fingerprint !== expect.fingerprint) {
    throw new UsageError(expect.settingsMismatch);
  }
}
