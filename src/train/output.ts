// A training run's folder as an output (rules in src/core/output.ts): ours when every entry is a
// file the trainer or `datagen train` writes. A non-empty run is continued only with --resume and
// replaced only with --force (a run that never checkpointed is simply started again); the
// replacement is trained beside it and swapped in when the trainer ends (finished, or stopped by
// Ctrl-C with a checkpoint), so the old run survives a failed one.
import { openOutputDir, PARTIAL_FILE_SUFFIX, type OutputDir, type OutputKind } from "../core/output.js";

export const CHECKPOINT_FILE = "checkpoint.gguf";
export const OPTIMIZER_FILE = "optimizer.bin";
export const METRICS_FILE = "metrics.jsonl";

const RUN_FILES = [CHECKPOINT_FILE, OPTIMIZER_FILE, METRICS_FILE];

export const TRAINING_RUN: OutputKind = {
  what: "a training run",
  // ".tmp": the trainer's checkpoint temp files (and metrics.jsonl.tmp of earlier versions)
  isOurs: (name) => RUN_FILES.some((f) => name === f || name === f + ".tmp" || name === f + PARTIAL_FILE_SUFFIX),
  isComplete: (names) => names.includes(CHECKPOINT_FILE) && names.includes(OPTIMIZER_FILE),
  // A run killed before its first checkpoint (kill -9, SIGHUP while loading) left only metrics of
  // steps nothing can resume from: the same command starts it again, without --force.
  isDisposable: (names) => !names.includes(CHECKPOINT_FILE) && !names.includes(OPTIMIZER_FILE),
  howToReplace: "pass --resume to continue it or --force to replace it (the old run stays until the new one ends)",
};

/** Opens --out for a run; the inputs (dataset, model) may not lie inside a folder that --force replaces. */
export function openRunDir(options: { out: string; data: string; model?: string; resume?: boolean; force?: boolean }): OutputDir {
  const inputs = options.resume ? [] : [options.data, ...(options.model ? [options.model] : [])];
  return openOutputDir(options.out, TRAINING_RUN, { force: options.force, resume: options.resume, inputs });
}
