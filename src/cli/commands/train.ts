// `datagen train`: feed a packed dataset to the bundled native trainer (CPU reference).
import { statSync } from "node:fs";
import { InvalidArgumentError, type Command } from "commander";
import { RECIPE } from "../../train/recipe.js";
import type { EvalProgress, StepProgress } from "../../train/index.js";
import { scheduleWarning } from "../../train/schedule.js";
import { UsageError } from "../../core/errors.js";
import { escapeControls, jsonLine } from "../../core/escape.js";
import { StderrProgress } from "../progress.js";
import { gracefulStopSignal, positiveInt, threadCount } from "../run.js";

interface TrainFlags {
  data: string;
  model?: string;
  out?: string;
  steps?: number;
  resume?: boolean;
  force?: boolean;
  evalOnly?: boolean;
  json?: boolean;
  lr: number;
  minLrFactor: number;
  warmup: number;
  decayRatio: number;
  weightDecay: number;
  clip: number;
  gradAccum: number;
  seed: number;
  threads?: number;
  saveEvery?: number;
  ropeUntruncated?: boolean;
  f32?: boolean;
}

const HELP_AFTER = `
Trains a gpt-oss GGUF on a packed dataset (\`datagen pack\` output) with the bundled C++ trainer:
block-causal attention per document, loss on the mask's targets only, normalized by trained tokens.
Defaults are the kappa_20b_131k model card's recipe: AdamW lr 1e-5, 20 warmup steps, cosine decay over
the last half of the steps to 0.3 x lr, weight decay 0.01 (embeddings and norms exempt), grad-norm clip 1.0.
The warmup is a step count (torchtitan's schedule): a run too short to reach --lr after it gets a warning
on stderr; pass a smaller --warmup for short runs.

Progress goes to stderr and every step is appended to OUT/metrics.jsonl. OUT/checkpoint.gguf loads in
llama.cpp / node-llama-cpp; OUT/optimizer.bin holds the f32 master weights and AdamW moments for
--resume. Ctrl-C (or SIGTERM) stops after the current step, writes a checkpoint and exits 130
(143); a second one stops at once. A non-empty OUT is refused unless --resume (continue it) or
--force (train a new run beside it, swapped in when it ends). A dataset with no trained token is
refused (no_trained_tokens): a loss over no token is undefined; a step whose samples have none
logs "loss": null.

Without --model the embedded smoke model is used (random weights: useful to check a dataset end to end).
The trainer is built by \`make -C trainer\` (the install step runs it).

Examples:
  $ datagen train --data packed/ --model gpt-oss-20b.gguf --out run1 --steps 441
  $ datagen train --data packed/ --out run1 --steps 441 --resume
  $ datagen train --data heldout/ --model run1/checkpoint.gguf --eval-only --json
`;

function number(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min) throw new InvalidArgumentError(`${name} must be a number >= ${min}, got "${value}"`);
    return n;
  };
}

function nonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${value}"`);
    return n;
  };
}

/** A typo'd --data is a usage error (exit 2), not a dataset that a killed pack run left without its manifest (exit 1). */
function requireDataFolder(dir: string): void {
  let isDirectory = false;
  try {
    isDirectory = statSync(dir).isDirectory();
  } catch {
    throw new UsageError(`--data ${dir}: no such folder`);
  }
  if (!isDirectory) throw new UsageError(`--data ${dir}: not a folder (give the folder that datagen pack --out wrote)`);
}

function progressLine(p: StepProgress, total: number): string {
  return (
    `step ${p.step}/${total}  loss ${p.loss === null ? "n/a (no trained token)" : p.loss.toFixed(4)}  lr ${p.lr.toExponential(2)}  ` +
    `grad_norm ${p.grad_norm.toFixed(3)}  ${Math.round(p.tokens_per_s)} trained tokens/s`
  );
}

function evalProgressLine(p: EvalProgress): string {
  return `eval: ${p.sample}/${p.samples} samples, ${p.tokens_trained} trained tokens so far`;
}

async function runTrain(flags: TrainFlags): Promise<void> {
  const { evaluate, train } = await import("../../train/index.js"); // loads when the command runs
  requireDataFolder(flags.data);
  if (flags.evalOnly) {
    const progress = new StderrProgress();
    const onProgress = (p: EvalProgress) => progress.report(() => evalProgressLine(p));
    const result = await evaluate({
      data: flags.data,
      model: flags.model,
      threads: flags.threads,
      ropeUntruncated: flags.ropeUntruncated,
      onProgress,
    }).finally(() => progress.done());
    process.stdout.write(flags.json ? jsonLine(result) : `loss ${result.loss.toFixed(6)} over ${result.tokens_trained} trained tokens\n`);
    return;
  }
  if (!flags.out || !flags.steps) throw new UsageError("--out and --steps are required unless --eval-only");
  // SIGINT/SIGTERM: the trainer finishes the current step and writes a checkpoint; exit 130/143 (run.ts).
  const signal = gracefulStopSignal();
  const steps = flags.steps;
  const warning = scheduleWarning(
    { lr: flags.lr, warmup: flags.warmup, decayRatio: flags.decayRatio, minLrFactor: flags.minLrFactor },
    steps,
  );
  if (warning) process.stderr.write(`${warning}\n`);
  // Steps are seconds apart: without a terminal, one plain line per step (no 5 s spacing).
  const progress = new StderrProgress(process.stderr, 0);
  try {
    const summary = await train({
      data: flags.data,
      model: flags.model,
      out: flags.out,
      steps,
      resume: flags.resume,
      force: flags.force,
      threads: flags.threads,
      saveEvery: flags.saveEvery,
      ropeUntruncated: flags.ropeUntruncated,
      f32: flags.f32,
      hyper: {
        lr: flags.lr,
        minLrFactor: flags.minLrFactor,
        warmup: flags.warmup,
        decayRatio: flags.decayRatio,
        weightDecay: flags.weightDecay,
        clip: flags.clip,
        gradAccum: flags.gradAccum,
        seed: flags.seed,
      },
      onStep: (p) => progress.report(() => progressLine(p, steps)),
      signal,
    });
    progress.done();
    const verb = summary.stopped ? `stopped at step ${summary.steps} (continue with --resume)` : `done: ${summary.steps} steps`;
    if (flags.json) process.stdout.write(jsonLine(summary));
    else process.stdout.write(`${verb}; checkpoint ${escapeControls(summary.checkpoint)}, metrics ${escapeControls(summary.metrics)}\n`);
  } finally {
    progress.done();
  }
}

export function register(program: Command): void {
  program
    .command("train")
    .description("Train a gpt-oss GGUF on a packed dataset with the bundled native trainer (or --eval-only).")
    .requiredOption("--data <dir>", "packed dataset directory (datagen pack --out)")
    .option("--model <gguf>", "GGUF to start from (default: the embedded smoke model)")
    .option("--out <dir>", "run directory: checkpoint.gguf, optimizer.bin, metrics.jsonl (a non-empty one needs --resume or --force)")
    .option("--steps <n>", "total optimizer steps (the schedule's length)", positiveInt("--steps"))
    .option("--resume", "continue the run in --out from its optimizer.bin")
    .option("--force", "replace the run in --out (kept until the new run ends)")
    .option("--eval-only", "print the mean masked loss over the dataset; update nothing")
    .option("--json", "machine-readable result on stdout")
    .option("--lr <x>", `peak learning rate`, number("--lr", 0), RECIPE.lr)
    .option("--min-lr-factor <x>", `final lr as a fraction of --lr`, number("--min-lr-factor", 0), RECIPE.minLrFactor)
    .option("--warmup <n>", `linear warmup steps`, nonNegativeInt("--warmup"), RECIPE.warmup)
    .option("--decay-ratio <x>", `fraction of the steps that decay, cosine`, number("--decay-ratio", 0), RECIPE.decayRatio)
    .option("--weight-decay <x>", `AdamW weight decay; embeddings and norms exempt`, number("--weight-decay", 0), RECIPE.weightDecay)
    .option("--clip <x>", `max gradient norm, 0 = off`, number("--clip", 0), RECIPE.clip)
    .option("--grad-accum <n>", `samples per optimizer step`, positiveInt("--grad-accum"), RECIPE.gradAccum)
    .option("--seed <n>", "sample-order seed; 0 keeps file order", nonNegativeInt("--seed"), RECIPE.seed)
    .option("--threads <n>", "CPU threads (default: all cores)", threadCount())
    .option("--save-every <n>", "also checkpoint every N steps (default: at the end and on Ctrl-C)", positiveInt("--save-every"))
    .option("--rope-untruncated", "Hugging Face / OpenAI YaRN correction range (default: llama.cpp's truncated one)")
    .option("--f32", "write every checkpoint tensor as F32 (default: keep the input's types)")
    .addHelpText("after", HELP_AFTER)
    .showHelpAfterError("(run 'datagen train --help' for usage)")
    .action(async (flags: TrainFlags) => runTrain(flags));
}
