// `datagen train`: check a packed dataset against the model, run the bundled native trainer
// (trainer/train_gpt_oss.cpp) on it, stream its progress and append it to OUT/metrics.jsonl.
import { spawn } from "node:child_process";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import { constants as osConstants } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { DataError, DatagenError, InterruptedError, UsageError } from "../core/errors.js";
import { writeFileAtomic } from "../core/output.js";
import { checkModelFile } from "../model/check.js";
import { ensureSmokeModel } from "../model/smoke.js";
import type { Manifest } from "../pack/format.js";
import { datasetFile, readManifest } from "../pack/manifest.js";
import { requireTrainerBinary, TRAINER_BUILD_COMMAND } from "./binary.js";
import { CHECKPOINT_FILE, METRICS_FILE, OPTIMIZER_FILE, openRunDir } from "./output.js";

export { buildTrainer, trainerBinaryPath, trainerTestBinaryPath, TRAINER_BUILD_COMMAND } from "./binary.js";

import { RECIPE } from "./recipe.js";
export { RECIPE } from "./recipe.js";

export type Hyperparameters = { -readonly [K in keyof typeof RECIPE]: number };

export interface ModelInfo {
  architecture: string;
  n_vocab: number;
  context_length: number;
  n_embd: number;
  n_layer: number;
  n_head: number;
  n_head_kv: number;
  head_dim: number;
  n_expert: number;
  n_expert_used: number;
  n_ff: number;
  sliding_window: number;
  parameters: number;
}

/** One optimizer step as the trainer reports it (also one line of OUT/metrics.jsonl). */
export interface StepProgress {
  step: number;
  /** null for a step whose samples have no trained token (a mean over nothing). */
  loss: number | null;
  lr: number;
  grad_norm: number;
  tokens_trained: number;
  tokens_per_s: number;
  seconds: number;
}

export interface TrainOptions {
  data: string;
  /** GGUF to start from; default: the embedded smoke model. */
  model?: string;
  out: string;
  steps: number;
  /** Continue the run in `out` (its optimizer.bin). */
  resume?: boolean;
  /** Replace the run in `out`; it stays until the new run ends. */
  force?: boolean;
  hyper?: Partial<Hyperparameters>;
  threads?: number;
  /** Also checkpoint every N steps (0: only at the end or on SIGINT). */
  saveEvery?: number;
  /** Use the Hugging Face / OpenAI YaRN correction range instead of llama.cpp's truncated one. */
  ropeUntruncated?: boolean;
  /** Write checkpoints with every tensor in F32 (default: each tensor keeps the input's type). */
  f32?: boolean;
  onStep?: (step: StepProgress) => void;
  /** Aborting asks the trainer to stop after the current step and checkpoint (what SIGINT does). */
  signal?: AbortSignal;
}

export interface TrainSummary {
  steps: number;
  stopped: boolean;
  checkpoint: string;
  optimizerState: string;
  metrics: string;
}

export interface EvalResult {
  /** Never null here: evaluate() refuses a dataset with no trained token. */
  loss: number;
  tokens_trained: number;
}

/** Runs the trainer binary with args; each stdout line is JSON and goes to onLine. */
async function runTrainer(args: string[], onLine: (value: Record<string, unknown>) => void, signal?: AbortSignal): Promise<void> {
  const child = spawn(requireTrainerBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  const stop = () => child.kill("SIGINT");
  // Stopped while the model and dataset were being checked: the trainer must not start a whole run.
  if (signal?.aborted) stop();
  else signal?.addEventListener("abort", stop, { once: true });
  // If this process ends first (a second Ctrl-C, an error elsewhere), the trainer must not run on.
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  // A line that is not JSON, or a handler that throws (e.g. metrics.jsonl not writable), stops the
  // trainer and is reported after it exits, instead of escaping as an uncaught exception.
  let failure: unknown;
  const lines = createInterface({ input: child.stdout });
  lines.on("line", (line) => {
    if (failure !== undefined || !line.trim()) return;
    try {
      onLine(parseTrainerLine(line));
    } catch (err) {
      failure = err;
      child.kill("SIGTERM");
    }
  });
  const { code, signal: killedBy } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal }));
  });
  signal?.removeEventListener("abort", stop);
  process.off("exit", killOnExit);
  if (failure !== undefined) throw failure;
  // A trainer stopped before it installed its handler (while loading) dies by the signal: no checkpoint.
  if (code !== 0 && signal?.aborted) throw new InterruptedError("stopped before the trainer's first checkpoint");
  if (code !== 0) throw trainerError(code, killedBy, stderr);
}

function parseTrainerLine(line: string): Record<string, unknown> {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new DatagenError(
      `the trainer printed a line that is not JSON (is ${requireTrainerBinary()} from another build? rebuild with ` +
        `\`${TRAINER_BUILD_COMMAND}\`): ${line.slice(0, 200)}`,
    );
  }
}

/** The binary reports bad data as one JSON line {"error": {code, file, message}}; anything else is plain text. */
function trainerError(code: number | null, signal: NodeJS.Signals | null, stderr: string): DatagenError {
  const last = stderr.trim().split("\n").pop() ?? "";
  if (last.startsWith('{"error"')) {
    try {
      const e = (JSON.parse(last) as { error: { code: string; file: string; message: string } }).error;
      return new DataError(String(e.code), String(e.message), e.file ? { file: String(e.file) } : {});
    } catch {
      // not JSON after all (a trainer from an older build): reported as text below
    }
  }
  const message = stderr.trim().replace(/^(error|usage error): /, "");
  if (signal !== null) {
    const number = osConstants.signals[signal];
    return new DatagenError(
      `trainer killed by ${signal}${number ? ` (signal ${number})` : ""}${message ? `: ${message}` : " with no message"}`,
    );
  }
  return code === 2 ? new UsageError(`trainer: ${message}`) : new DatagenError(`trainer failed (exit ${code}): ${message}`);
}

export async function readModelInfo(model: string): Promise<ModelInfo> {
  let info: ModelInfo | undefined;
  await runTrainer(["info", "--model", model], (v) => {
    info = v as unknown as ModelInfo;
  });
  if (!info) throw new DatagenError(`trainer printed no model info for ${model}`);
  return info;
}

/** The dataset must use the model's vocabulary and fit its context. */
export function checkDatasetMatchesModel(dir: string, manifest: Manifest, info: ModelInfo, model: string): void {
  const file = join(dir, "manifest.json");
  if (manifest.vocab_size !== info.n_vocab) {
    throw new DataError(
      "vocab_mismatch",
      `the dataset's vocab_size is ${manifest.vocab_size} but ${model} has ${info.n_vocab} tokens; ` +
        `pack with the model's tokenizer or pass the matching --model`,
      { file },
    );
  }
  if (manifest.seq_len > info.context_length) {
    throw new DataError(
      "seq_len_too_long",
      `the dataset's seq_len ${manifest.seq_len} exceeds ${model}'s context length ${info.context_length}; ` +
        `repack with --seq-len ${info.context_length} or less`,
      { file },
    );
  }
  if (manifest.samples === 0 || manifest.shards.length === 0) {
    throw new DataError("empty_dataset", "the dataset has no samples; pack some records first", { file });
  }
  if (manifest.tokens.trained === 0) {
    throw new DataError(
      "no_trained_tokens",
      `the dataset has no trained token (mask "${manifest.mask}" selects nothing), so there is no loss to train on or measure; ` +
        `repack with another --mask or records that have assistant replies`,
      { file },
    );
  }
}

/** `--shard PREFIX` arguments: each shard's tokens path without ".tokens.u32". */
function shardArgs(dir: string, manifest: Manifest): string[] {
  // readManifest checked that the four files of a shard share this prefix and stay inside the dataset.
  return manifest.shards.flatMap((s) => ["--shard", datasetFile(dir, s.files.tokens.path).replace(/\.tokens\.u32$/, "")]);
}

async function resolveModel(model: string | undefined): Promise<string> {
  if (model === undefined) return ensureSmokeModel();
  checkModelFile(model);
  return model;
}

function hyperArgs(h: Hyperparameters): string[] {
  return [
    "--lr",
    String(h.lr),
    "--warmup",
    String(h.warmup),
    "--decay-ratio",
    String(h.decayRatio),
    "--min-lr-factor",
    String(h.minLrFactor),
    "--weight-decay",
    String(h.weightDecay),
    "--clip",
    String(h.clip),
    "--grad-accum",
    String(h.gradAccum),
    "--seed",
    String(h.seed),
  ];
}

/**
 * On resume, steps after the optimizer state's step were lost with the run that logged them (killed
 * before its next checkpoint) and will run again: drop their lines so metrics.jsonl has no duplicates.
 */
function dropMetricsAfter(metrics: string, step: number): void {
  if (!existsSync(metrics)) return;
  const lines = readFileSync(metrics, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "");
  const kept = lines.filter((l) => {
    try {
      return (JSON.parse(l) as { step?: number }).step! <= step;
    } catch {
      return false; // a line torn by kill -9
    }
  });
  if (kept.length === lines.length) return;
  writeFileAtomic(metrics, kept.map((l) => l + "\n").join(""));
}

export async function train(options: TrainOptions): Promise<TrainSummary> {
  // Refused before any work: a non-empty --out needs --resume or --force (src/train/output.ts).
  const output = openRunDir(options);
  try {
    const summary = await trainIn(output.dir, options);
    output.commit();
    return summary;
  } catch (err) {
    output.abort();
    throw err;
  }
}

/** Trains into `dir`: --out itself, or the folder beside it that replaces it (--force). */
async function trainIn(dir: string, options: TrainOptions): Promise<TrainSummary> {
  const manifest = readManifest(options.data);
  const model = await resolveModel(options.model);
  checkDatasetMatchesModel(options.data, manifest, await readModelInfo(model), model);
  const optimizerState = join(dir, OPTIMIZER_FILE);
  if (options.resume && !existsSync(optimizerState)) {
    throw new UsageError(
      `--resume: ${optimizerState} does not exist: the run in ${options.out} never checkpointed: ` +
        `run the same command without --resume to start it again`,
    );
  }
  const metrics = join(dir, METRICS_FILE);
  const hyper: Hyperparameters = { ...RECIPE, ...options.hyper };
  const args = [
    "train",
    "--model",
    model,
    "--out",
    dir,
    "--seq-len",
    String(manifest.seq_len),
    "--steps",
    String(options.steps),
    ...hyperArgs(hyper),
    ...shardArgs(options.data, manifest),
  ];
  if (options.threads) args.push("--threads", String(options.threads));
  if (options.saveEvery) args.push("--save-every", String(options.saveEvery));
  if (options.resume) args.push("--resume");
  if (options.ropeUntruncated) args.push("--rope-untruncated");
  if (options.f32) args.push("--f32");

  let steps = 0;
  let stopped = false;
  await runTrainer(
    args,
    (line) => {
      if (typeof line.step === "number" && (typeof line.loss === "number" || line.loss === null)) {
        const step = line as unknown as StepProgress;
        steps = step.step;
        // append + flush per step: a kill -9 loses at most the step in flight
        appendFileSync(metrics, JSON.stringify({ ...step, time: new Date().toISOString() }) + "\n");
        options.onStep?.(step);
      } else if (line.event === "stopped") {
        stopped = true;
        steps = Number(line.step);
      } else if (line.event === "resumed") {
        steps = Number(line.step);
        dropMetricsAfter(metrics, steps);
      } else if (line.event === "done") {
        steps = Number(line.step);
      }
    },
    options.signal,
  );
  const final = (name: string) => join(options.out, name);
  return { steps, stopped, checkpoint: final(CHECKPOINT_FILE), optimizerState: final(OPTIMIZER_FILE), metrics: final(METRICS_FILE) };
}

/** Evaluation progress: samples done of all, trained tokens so far. */
export interface EvalProgress {
  sample: number;
  samples: number;
  tokens_trained: number;
}

/** Mean masked loss of `model` over the whole dataset (no update). */
export async function evaluate(options: {
  data: string;
  model?: string;
  threads?: number;
  ropeUntruncated?: boolean;
  onProgress?: (p: EvalProgress) => void;
}): Promise<EvalResult> {
  const manifest = readManifest(options.data);
  const model = await resolveModel(options.model);
  checkDatasetMatchesModel(options.data, manifest, await readModelInfo(model), model);
  const args = ["eval", "--model", model, "--seq-len", String(manifest.seq_len), ...shardArgs(options.data, manifest)];
  if (options.threads) args.push("--threads", String(options.threads));
  if (options.ropeUntruncated) args.push("--rope-untruncated");
  let result: { loss: number | null; tokens_trained: number } | undefined;
  await runTrainer(args, (line) => {
    if (line.event === "eval_progress") options.onProgress?.(line as unknown as EvalProgress);
    else result = { loss: typeof line.loss === "number" ? line.loss : null, tokens_trained: Number(line.tokens_trained) };
  });
  if (!result) throw new DatagenError("trainer printed no evaluation result");
  // The manifest said there were trained tokens; the shards disagree (run `dataset verify`).
  if (result.loss === null || result.tokens_trained === 0) {
    throw new DataError(
      "no_trained_tokens",
      "the dataset's masks select no token, so the loss is undefined; check it with `dataset verify`",
      { file: join(options.data, "manifest.json") },
    );
  }
  return { loss: result.loss, tokens_trained: result.tokens_trained };
}
