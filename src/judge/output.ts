// The judge's output folder: conversations.jsonl (kept records), rejects.jsonl (every other input
// item, with its reason) and run.json, under generate's rules (generate/output.ts): lines appended
// and synced one at a time, a half-written last line cut off on resume, run.json by rename.
// Every line names its input position (meta.judge.source / source), so a resumed run skips exactly
// the items already written, whatever their ids.
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { DataError, UsageError } from "../core/errors.js";
import { readJsonl } from "../core/jsonl.js";
import { foreignError, inspectOutputDir, makeDirs, PARTIAL_FILE_SUFFIX, type OutputKind } from "../core/output.js";
import { truncatePartialLine } from "../generate/output.js";

export { JsonlAppender, writeJsonAtomic } from "../generate/output.js";

export const KEPT_FILE = "conversations.jsonl";
export const REJECTS_FILE = "rejects.jsonl";
export const RUN_FILE = "run.json";

export const JUDGE_RUN: OutputKind = {
  what: "a judge run",
  isOurs: (name) => [KEPT_FILE, REJECTS_FILE, RUN_FILE, RUN_FILE + PARTIAL_FILE_SUFFIX].includes(name),
  isComplete: (names) => names.includes(RUN_FILE),
  howToReplace: "rerun with the same inputs and settings to resume it, or choose another --out",
};

export interface SourceRef {
  /** Index of the input in the command line (0-based). */
  input: number;
  file: string;
  line: number;
}

export const sourceKey = (s: { input: number; line: number }): string => `${s.input}:${s.line}`;

/** Refuses a foreign folder (or records without run.json) before any work; creates it. */
export function claimJudgeDir(dir: string): void {
  const state = inspectOutputDir(dir, JUDGE_RUN);
  if (state.kind === "foreign") throw foreignError(dir, state.foreign);
  if (state.kind === "ours" && !state.names.includes(RUN_FILE)) {
    const data = state.names.find((n) => (n === KEPT_FILE || n === REJECTS_FILE) && statSync(join(dir, n)).size > 0);
    if (data) {
      const why = `was not written by a datagen judge run (there is no ${RUN_FILE} beside it): it is not resumed or appended to`;
      throw new UsageError(`${join(dir, data)} ${why}; move it away or choose another --out`);
    }
  }
  makeDirs(dir);
}

export interface JudgeResume {
  /** sourceKey of every input item already written. */
  done: Set<string>;
  kept: number;
  rejected: number;
  truncatedBytes: number;
}

export async function prepareJudgeOutput(dir: string): Promise<JudgeResume> {
  claimJudgeDir(dir);
  const kept = join(dir, KEPT_FILE);
  const rejects = join(dir, REJECTS_FILE);
  const truncatedBytes = truncatePartialLine(kept) + truncatePartialLine(rejects);
  const done = new Set<string>();
  const keptCount = await readKeys(kept, done, (v) => (v as { meta?: { judge?: { source?: unknown } } } | null)?.meta?.judge?.source);
  const rejectCount = await readKeys(rejects, done, (v) => (v as { source?: unknown } | null)?.source);
  return { done, kept: keptCount, rejected: rejectCount, truncatedBytes };
}

async function readKeys(path: string, into: Set<string>, sourceOf: (value: unknown) => unknown): Promise<number> {
  if (!existsSync(path)) return 0;
  let count = 0;
  for await (const item of readJsonl(path)) {
    const source = "value" in item ? (sourceOf(item.value) as Partial<SourceRef> | undefined) : undefined;
    if (!source || !Number.isInteger(source.input) || !Number.isInteger(source.line)) {
      const reason = "error" in item ? item.error.code : "missing_source";
      const why = "a complete line of a previous judge run is unreadable or names no input position; move the file away or fix the line";
      throw new DataError(reason, why, { file: path, line: item.line });
    }
    const key = sourceKey(source as SourceRef);
    if (into.has(key)) {
      throw new DataError("judged_twice", `input item ${key} is written twice in the output`, { file: path, line: item.line });
    }
    into.add(key);
    count++;
  }
  return count;
}
