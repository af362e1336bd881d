// `datagen model smoke`: write the embedded default model (tiny random gpt-oss GGUF, real tokenizer).
import { statSync } from "node:fs";
import { dirname } from "node:path";
import { checkOutputFile, makeDirs } from "../../core/output.js";
import { InvalidArgumentError, type Command } from "commander";
import {
  SMOKE_DEFAULTS,
  SMOKE_MODEL_NOTE,
  WEIGHT_TYPES,
  type SmokeModelOptions,
  type WeightType,
  ensureSmokeModel,
  makeSmokeModel,
  smokeHyperparameters,
} from "../../model/smoke.js";
import { positiveInt } from "../run.js";

/** The model options by their flag names (--context sets contextLength), plus where and how to print. */
type SmokeFlags = Omit<SmokeModelOptions, "contextLength"> & { context?: number; out?: string; json?: boolean };

const SMOKE_HELP_AFTER = `
The smoke model is a deterministic, random-weight GGUF of the gpt-oss architecture carrying the full
o200k_harmony tokenizer (201,088 tokens and merges). node-llama-cpp loads it like gpt-oss and picks its
Harmony chat wrapper, so the whole pipeline runs with no download. Its text is noise: for real data
pass --model a GGUF such as gpt-oss-20b to \`datagen generate\`.

Without --out the model goes to the cache (DATAGEN_CACHE_DIR, default <project>/.cache/datagen) and is
reused when it is already there. The path is printed on stdout; --json prints the path, size and
hyperparameters.

Examples:
  $ datagen model smoke
  $ datagen model smoke --out /tmp/smoke.gguf --layers 4 --embd 128 --experts 8
`;

function nonNegativeInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${value}"`);
    return n;
  };
}

function weightType(value: string): WeightType {
  if ((WEIGHT_TYPES as readonly string[]).includes(value)) return value as WeightType;
  throw new InvalidArgumentError(`--weight-type must be one of ${WEIGHT_TYPES.join(", ")}, got "${value}"`);
}

export function register(program: Command): void {
  const model = program.command("model").description("Models datagen makes itself (the embedded default model).");
  const d = SMOKE_DEFAULTS;
  model
    .command("smoke")
    .description("Write the smoke model: a tiny random-weight gpt-oss GGUF with the real o200k_harmony tokenizer.")
    .option("--out <file>", "write here instead of the cache (atomically)")
    .option("--layers <n>", `transformer blocks (default ${d.layers})`, positiveInt("--layers"))
    .option("--embd <n>", `hidden size (default ${d.embd})`, positiveInt("--embd"))
    .option("--heads <n>", `query heads (default ${d.heads})`, positiveInt("--heads"))
    .option("--kv-heads <n>", `key/value heads (default ${d.kvHeads})`, positiveInt("--kv-heads"))
    .option("--head-dim <n>", `head size (default ${d.headDim})`, positiveInt("--head-dim"))
    .option("--experts <n>", `experts per layer (default ${d.experts})`, positiveInt("--experts"))
    .option("--experts-used <n>", `experts routed per token (default ${d.expertsUsed})`, positiveInt("--experts-used"))
    .option("--expert-ffn <n>", "hidden size of each expert (default: --embd)", positiveInt("--expert-ffn"))
    .option("--sliding-window <n>", `sliding window of the even layers (default ${d.slidingWindow})`, positiveInt("--sliding-window"))
    .option("--context <n>", `trained context length in the metadata (default ${d.contextLength})`, positiveInt("--context"))
    .option("--seed <n>", `weight seed (default ${d.seed})`, nonNegativeInt("--seed"))
    .option("--weight-type <type>", `type of token_embd and output: ${WEIGHT_TYPES.join(", ")} (default ${d.weightType})`, weightType)
    .option("--json", "print {path, bytes, hyperparameters} as JSON")
    .addHelpText("after", SMOKE_HELP_AFTER)
    .showHelpAfterError("(run 'datagen model smoke --help' for usage)")
    .action(async (flags: SmokeFlags) => {
      const { out, json, context, ...modelFlags } = flags;
      const options: SmokeModelOptions = { ...modelFlags, contextLength: context };
      const hyperparameters = smokeHyperparameters(options); // usage errors before any work
      if (out) {
        checkOutputFile(out, "--out");
        makeDirs(dirname(out));
      }
      const path = out ? (await makeSmokeModel(out, options)).path : await ensureSmokeModel(options);
      const { size } = statSync(path);
      if (json) process.stdout.write(`${JSON.stringify({ path, bytes: size, hyperparameters })}\n`);
      else process.stdout.write(`${path}\n`);
      process.stderr.write(`note: ${SMOKE_MODEL_NOTE}\n`);
    });
}
