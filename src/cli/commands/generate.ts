// `datagen generate`: parse options, call generateDataset, print the summary.
import { existsSync, rmdirSync } from "node:fs";
import { type Command, InvalidArgumentError, Option } from "commander";
import { join } from "node:path";
import { escapeControls, jsonLine } from "../../core/escape.js";
import { NothingUsableError, UsageError } from "../../core/errors.js";
import { redactText } from "../../core/redact.js";
import { API_KEY_ENV } from "../../generate/model/api-key.js";
import { CONCURRENCY_SERVER_NAMES, SERVER_NAMES } from "../../generate/model/servers/index.js";
import { serverKindOption } from "../options.js";
import { gracefulStopSignal, positiveInt, threadCount } from "../run.js";
import type { GenerateOverrides, GenerateSummary } from "../../generate/index.js";
import { StderrProgress } from "../progress.js";

/** Parsed flags: the pipeline overrides (commander names --persona in the singular) plus CLI-only ones. */
type GenerateOptions = Omit<GenerateOverrides, "personas"> & {
  persona?: string;
  pipeline?: string;
  json?: boolean;
  plan?: boolean;
  apiKey?: string;
};

const seedInt = (value: string): number => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff)
    throw new InvalidArgumentError(`--seed must be an integer in 0..4294967295, got "${value}"`);
  return n;
};

export function register(program: Command): void {
  program
    .command("generate")
    .description("Generate persona tool-calling conversations with a local model (node-llama-cpp) into JSONL; resumable.")
    .option(
      "--pipeline <file>",
      "pipeline file, checked against schemas/pipeline.schema.json (default: the project's pipelines/default.json)",
    )
    .option("--persona <list>", "all | none | comma-separated alignments (default: the pipeline's, all)")
    .option("--count <n>", "records per persona (default: the pipeline's, 2)", positiveInt("--count"))
    .option("--model <file>", "GGUF model (a gpt-oss model); default: the built-in smoke model, whose text is random noise")
    .option("--out <dir>", "output folder (default: the pipeline's, out/generate)")
    .option("--seed <n>", "run seed (default: the pipeline's, 1)", seedInt)
    .option(
      "--concurrency <n>",
      `parallel sequences in one context, at most ${MAX_SEQUENCES} (default: the pipeline's, 4)`,
      positiveInt("--concurrency", MAX_SEQUENCES),
    )
    .option("--threads <n>", "CPU threads (default: 1 for the smoke model, else the physical cores)", threadCount())
    .addOption(
      new Option("--gpu <kind>", "auto picks CUDA when present (default: the pipeline's, auto)").choices(["auto", "cuda", "vulkan", "cpu"]),
    )
    .option(
      "--server <url>",
      `send every model call to this ${SERVER_NAMES} server instead of loading a model (repeatable, or a comma list); ` +
        `--concurrency is then calls per ${CONCURRENCY_SERVER_NAMES} server (default 16)`,
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .addOption(serverKindOption("what the servers are; auto asks their own endpoints (default: auto)"))
    .option(
      "--server-wait <duration>",
      "with every server down, wait this long (e.g. 90s, 10m) before stopping as interrupted (default: 10m)",
      duration("--server-wait"),
    )
    .option("--request-timeout <duration>", "deadline of one server call, e.g. 300s or 5m (default: 300s)", duration("--request-timeout"))
    .option(
      "--haystack <dir>",
      'long-context payloads read from the text files of this folder (pipeline payload kind "haystack"; nothing outside it is read)',
    )
    .option(
      "--no-answer-check",
      "long-context records: keep their expected answers unchecked (meta.long_context.unchecked_expected_answers) " +
        "instead of rejecting a final that misses one (the smoke model's answers are noise)",
    )
    .option(
      "--plan",
      "print the plan the run would execute (persona × stratum counts, distinct seeds, token budget) and stop; loads no model",
    )
    .option(
      "--holdout <file>",
      "reserve a share of the scenario families (plan.holdoutShare) for evaluation: none is used for training; " +
        "they are written to FILE as JSONL",
    )
    .option(
      "--api-key-file <file>",
      `the servers' API key (sent as Authorization: Bearer); default: the ${API_KEY_ENV} environment variable`,
    )
    // Refused with a pointer to the safe ways: a key on the command line is in ps and the shell's history.
    .addOption(new Option("--api-key <key>").hideHelp())
    .option("--json", "print the summary as JSON on stdout (with --plan: one line per planned conversation, then a summary line)")
    .addHelpText(
      "after",
      `
Output in --out: conversations.jsonl (valid records), rejects.jsonl (records that failed validation
after their retries, with the reason), run.json (model sha256, settings, counts, timings).
Rerunning the same command resumes: finished ids are skipped; Ctrl-C (or SIGTERM) stops cleanly,
dropping the records in flight, and exits 130 (143); a second one stops at once.

Without --pipeline, the smoke model runs pipelines/default.json (smoke-sized budgets) and a real model
(--model, --server) runs pipelines/kappa.json (the seed dataset's profile, docs/GENERATE.md).

Examples:
  datagen generate --persona all
  datagen generate --plan --pipeline pipelines/kappa.json
  datagen generate --model gpt-oss-20b.gguf --gpu cuda --count 200 --holdout out/holdout.jsonl
  datagen generate --persona lawful_good,chaotic_evil --count 100 --model gpt-oss-20b.gguf --gpu cuda --concurrency 32
  datagen generate --pipeline pipelines/default.json --persona none --count 50 --out out/general
  datagen generate --persona all --count 1000 --server http://gpu1:8000,http://gpu2:8000 --concurrency 64`,
    )
    .showHelpAfterError("(run 'datagen generate --help' for usage)")
    .action(async (options: GenerateOptions) => {
      // The generate stage loads when it runs: every other command starts without it.
      const [{ generateDataset, loadGenerateConfig }, { progressLine }, { claimOutputDir }, { checkModelFile }] = await Promise.all([
        import("../../generate/index.js"),
        import("../../generate/progress.js"),
        import("../../generate/output.js"),
        import("../../model/check.js"),
      ]);
      const { pipeline, persona, json: _json, plan: planOnly, apiKey, ...rest } = options;
      if (apiKey !== undefined)
        throw new UsageError(
          `--api-key would show the key to every user of this machine (ps) and keep it in the shell's history; ` +
            `put it in the ${API_KEY_ENV} environment variable or in a file named by --api-key-file`,
        );
      const overrides: GenerateOverrides = { ...rest, personas: persona };
      const config = loadGenerateConfig(pipeline, overrides);
      if (planOnly) {
        const { printPlan } = await import("../../generate/plan-report.js");
        printPlan(config, options.json === true);
        return;
      }
      if (config.model !== null) checkModelFile(config.model);
      const outWasMissing = !existsSync(config.out);
      claimOutputDir(config.out); // refused before the model loads
      // SIGINT/SIGTERM: in-flight records are dropped, run.json says "interrupted", exit 130/143 (run.ts).
      const signal = gracefulStopSignal();
      const progress = new StderrProgress();
      try {
        const summary = await generateDataset(config, {
          signal,
          onProgress: (s) => progress.report(() => progressLine(s)),
          log: (line) => process.stderr.write(escapeControls(redactText(line)) + "\n"),
        });
        progress.done();
        printSummary(summary, options.json === true);
        if (summary.status === "complete" && summary.records === 0) {
          throw new NothingUsableError(
            `no usable record: all ${summary.rejects} of this run's plan were rejected (reasons in ${join(config.out, "rejects.jsonl")})`,
          );
        }
      } catch (err) {
        // A run that could not start (no server, a model that fails to load) leaves no empty --out behind.
        if (outWasMissing) removeEmptyFolder(config.out);
        throw err;
      } finally {
        progress.done();
      }
    });
}

function removeEmptyFolder(dir: string): void {
  try {
    rmdirSync(dir); // fails, and keeps the folder, once anything was written into it
  } catch {
    // not empty (records, run.json) or already gone: nothing to tidy
  }
}

/** "90", "90s", "10m", "1h" → seconds. */
const duration =
  (flag: string) =>
  (value: string): number => {
    const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(value.trim());
    if (!m) throw new InvalidArgumentError(`${flag} must be a duration like 30s, 10m or 1h, got "${value}"`);
    return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? "s") as "s" | "m" | "h"];
  };

/** node-llama-cpp's limit on sequences in one context (llama.cpp's LLAMA_MAX_SEQ); pipeline.schema.json has the same maximum. */
const MAX_SEQUENCES = 256;

function printSummary(s: GenerateSummary, json: boolean): void {
  if (json) {
    process.stdout.write(redactText(jsonLine(s)));
    return;
  }
  const lines = [
    `${s.status}: ${s.records}/${s.target} records, ${s.rejects} rejected (this run: ${s.written} written, ${s.rejected} rejected, ` +
      `${s.resumed} resumed) in ${escapeControls(s.out)}`,
    `generated ${s.generatedTokens} tokens in ${s.generateSeconds.toFixed(1)} s ` +
      `(${s.tokensPerSecond.toFixed(1)} tokens/s; model load ${s.loadSeconds.toFixed(1)} s; ` +
      `${s.threads === null ? `${s.servers?.length ?? 0} servers` : `${s.gpu}, ${s.threads} thread${s.threads > 1 ? "s" : ""}`})`,
    s.model.path === null || s.model.sha256 === null
      ? `model ${escapeControls(s.model.identity)} as the servers report it`
      : `model ${escapeControls(s.model.path)} sha256 ${s.model.sha256.slice(0, 16)}…` +
        `${s.model.smoke ? " (smoke model: random noise text)" : ""}`,
  ];
  process.stdout.write(lines.join("\n") + "\n");
}
