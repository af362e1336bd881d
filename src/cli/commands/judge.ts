// `datagen judge IN… --out DIR`: parse options, call judgeDataset, print the summary.
import { existsSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { NothingUsableError, UsageError } from "../../core/errors.js";
import { escapeControls, jsonLine } from "../../core/escape.js";
import { assertOutputApart } from "../../core/output.js";
import { CONCURRENCY_SERVER_NAMES, SERVER_NAMES, type ServerKindChoice } from "../../generate/model/servers/index.js";
import type { FromShape } from "../../ingest/source.js";
import type { JudgeConfig, JudgeSummary } from "../../judge/index.js";
import { JUDGE_REASONS } from "../../judge/verdict.js";
import { fromOption, serverKindOption } from "../options.js";
import { StderrProgress } from "../progress.js";
import { gracefulStopSignal, positiveInt } from "../run.js";

interface JudgeFlags {
  out: string;
  from: FromShape;
  against?: string;
  model?: string;
  smokeModel?: boolean;
  server?: string[];
  serverKind: ServerKindChoice;
  concurrency?: number;
  threads?: number;
  gpu: "auto" | "cuda" | "vulkan" | "cpu";
  contextSize: number;
  minSubstance: number;
  minVoice: number;
  rejectMisidentified?: boolean;
  maxPhraseShare: number;
  minPhraseRecords: number;
  phraseWords: number;
  maxContamination: number;
  nearDuplicates: boolean;
  refusalRule: boolean;
  verdictTokens: number;
  verdictRetries: number;
  seed: number;
  turns: "all" | "last";
  json?: boolean;
}

const badValue = (flag: string, what: string, value: string) =>
  new InvalidArgumentError(`${flag} must be ${what}, got "${escapeControls(value)}"`);

const share =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < 0 || n > 1) throw badValue(flag, "a number in 0..1", value);
    return n;
  };
const score =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1 || n > 5) throw badValue(flag, "an integer in 1..5", value);
    return n;
  };
const nonNegativeInt =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0 || n > 100) throw badValue(flag, "an integer in 0..100", value);
    return n;
  };

const HELP_AFTER = `
Without --model, --smoke-model or --server only the rules that need no model run (duplicates,
contamination, phrase caps, the refusal heuristic). Every input item ends in exactly one of
  DIR/conversations.jsonl  kept records, each with meta.judge (scores, judge model, rubric version)
  DIR/rejects.jsonl        {"id","reason","message","source","record"} for every other item
  DIR/run.json             settings, counts, rules' figures, tokens and timings
Rerunning the same command resumes (kill -9 included): items already written are skipped.
Ctrl-C stops cleanly (records being judged are dropped). meta.judge: docs/JUDGE.md.

Reject reasons (an item that is not a valid record keeps validate's reason code):
${Object.entries(JUDGE_REASONS)
  .map(([code, what]) => `  ${code.padEnd(24)} ${what}`)
  .join("\n")}

Examples:
  datagen judge out/generate --out out/judged
  datagen judge out/generate --out out/judged --model gpt-oss-20b.gguf --gpu cuda --concurrency 8
  datagen judge dump.sharegpt.jsonl --from sharegpt --out out/judged --server http://gpu1:8080,http://gpu2:8080
  datagen judge out/generate --against eval/holdout.jsonl --max-phrase-share 0.2 --out out/judged`;

export function register(program: Command): void {
  program
    .command("judge")
    .description(
      "Score and curate conversations: rubric verdicts under a JSON-schema grammar, blind persona identification, duplicates, " +
        "contamination and phrase caps; kept records and rejects; resumable.",
    )
    .argument("<inputs...>", "conversation files (any shape --from reads) or generate output folders")
    .requiredOption("--out <dir>", "output folder (conversations.jsonl, rejects.jsonl, run.json)")
    .addOption(fromOption())
    .option("--against <file>", "holdout/eval JSONL (records or holdout lines): records repeating its texts are rejected as contaminated")
    .option("--model <file>", "judge with this GGUF (a gpt-oss model) in-process")
    .option("--smoke-model", "judge with the built-in smoke model (random weights: verdicts are noise; for plumbing and timing)")
    .option("--server <url>", `judge on these ${SERVER_NAMES} servers (repeatable, or a comma list)`, (v: string, prev: string[] = []) => [
      ...prev,
      ...v.split(",").filter(Boolean),
    ])
    .addOption(serverKindOption("what the servers are").default("auto"))
    .option(
      "--concurrency <n>",
      `records judged at once: sequences in-process (default 2), calls per ${CONCURRENCY_SERVER_NAMES} server (default 16)`,
      positiveInt("--concurrency", 256),
    )
    .option("--threads <n>", "CPU threads in-process (default: 1 for the smoke model, else the physical cores)", positiveInt("--threads"))
    .addOption(new Option("--gpu <kind>", "in-process device").choices(["auto", "cuda", "vulkan", "cpu"]).default("auto"))
    .option(
      "--context-size <n>",
      "tokens per sequence; a conversation longer than fits is shown to the judge from its end",
      positiveInt("--context-size"),
      8192,
    )
    .option("--min-substance <n>", "reject an answer scored below this for substance (1-5)", score("--min-substance"), 3)
    .option("--min-voice <n>", "reject a persona answer scored below this for voice (1-5; 1: off)", score("--min-voice"), 3)
    .option("--reject-misidentified", "reject records whose persona the blind identification names wrongly")
    .option(
      "--max-phrase-share <x>",
      "a phrase may appear in at most this share of a persona's records (1: no cap)",
      share("--max-phrase-share"),
      0.3,
    )
    .option(
      "--min-phrase-records <n>",
      "a phrase is capped only once it appears in at least this many of a persona's records",
      positiveInt("--min-phrase-records"),
      5,
    )
    .option("--phrase-words <n>", "words per phrase (n-gram) of the phrase statistics", positiveInt("--phrase-words", 16), 4)
    .option(
      "--max-contamination <x>",
      "with --against: reject when a text shares at least this share of its 8-word n-grams with it",
      share("--max-contamination"),
      0.5,
    )
    .option("--no-near-duplicates", "remove exact duplicates only")
    .option("--no-refusal-rule", "without a model: do not reject on the refusal heuristic vs meta.request_harmful")
    .option("--verdict-tokens <n>", "token budget of one verdict", positiveInt("--verdict-tokens", 4096), 256)
    .option("--verdict-retries <n>", "extra tries of an unusable verdict", nonNegativeInt("--verdict-retries"), 2)
    .option("--seed <n>", "seed of the judge's sampling", positiveInt("--seed"), 1)
    .addOption(new Option("--turns <which>", "assistant finals to grade").choices(["all", "last"]).default("all"))
    .option("--json", "print the summary as JSON on stdout")
    .addHelpText("after", HELP_AFTER)
    .showHelpAfterError("(run 'datagen judge --help' for usage)")
    .action(async (inputs: string[], flags: JudgeFlags) => {
      const [{ judgeDataset }, { resolveInputs }] = await Promise.all([import("../../judge/index.js"), import("../../stats/inputs.js")]);
      const resolved = resolveInputs(inputs);
      if (resolved.packed.length > 0) {
        throw new UsageError(`${resolved.packed[0]} is a packed dataset: judge reads conversation records (judge before packing)`);
      }
      if (resolved.raw.length === 0) throw new UsageError("no conversation files among the inputs");
      assertOutputApart(flags.out, resolved.raw);
      const servers = flags.server ?? [];
      const chosen = [flags.model !== undefined, flags.smokeModel === true, servers.length > 0].filter(Boolean).length;
      if (chosen > 1) throw new UsageError("--model, --smoke-model and --server exclude each other: the judge is one model");
      const config: JudgeConfig = {
        inputs: resolved.raw,
        out: flags.out,
        from: flags.from,
        against: flags.against ?? null,
        model: {
          model: flags.smokeModel ? "smoke" : (flags.model ?? null),
          servers,
          serverKind: flags.serverKind,
          concurrency: flags.concurrency ?? (servers.length > 0 ? 16 : 2),
          threads: flags.threads ?? null,
          gpu: flags.gpu,
          contextSize: flags.contextSize,
          serverWaitSeconds: 600,
          requestTimeoutSeconds: 300,
        },
        rules: {
          nearDuplicates: flags.nearDuplicates,
          phraseWords: flags.phraseWords,
          maxPhraseShare: flags.maxPhraseShare,
          minPhraseRecords: flags.minPhraseRecords,
          contaminationWords: 8,
          maxContamination: flags.maxContamination,
          refusalRule: flags.refusalRule,
        },
        thresholds: { minSubstance: flags.minSubstance, minVoice: flags.minVoice, rejectMisidentified: flags.rejectMisidentified === true },
        verdict: { maxTokens: flags.verdictTokens, retries: flags.verdictRetries, seed: flags.seed, rubric: "v1", turns: flags.turns },
      };
      if (config.model.model !== null && config.model.model !== "smoke") {
        const { checkModelFile } = await import("../../model/check.js");
        checkModelFile(config.model.model);
      }
      const outWasMissing = !existsSync(flags.out);
      const { claimJudgeDir } = await import("../../judge/output.js");
      claimJudgeDir(flags.out); // a foreign folder is refused before any input is read or the model loads
      const signal = gracefulStopSignal();
      const progress = new StderrProgress();
      try {
        const summary = await judgeDataset(config, {
          signal,
          log: (line) => process.stderr.write(escapeControls(line) + "\n"),
          onProgress: (s) =>
            progress.report(
              () => `judge: ${s.done}/${s.total} records, ${s.rejected} rejected, ${s.recordsPerSecond.toFixed(2)} records/s`,
            ),
        });
        progress.done();
        printSummary(summary, flags.json === true);
        if (summary.status === "complete" && summary.kept === 0) {
          // As generate, pack and import: a run that keeps nothing is a failure a script must see.
          throw new NothingUsableError(
            `nothing kept: all ${summary.items} input items were rejected (reasons in ${join(summary.out, "rejects.jsonl")})`,
          );
        }
      } catch (err) {
        if (outWasMissing) removeEmptyFolder(flags.out);
        throw err;
      } finally {
        progress.done();
      }
    });
}

function removeEmptyFolder(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // not empty or already gone
  }
}

function printSummary(s: JudgeSummary, json: boolean): void {
  if (json) {
    process.stdout.write(jsonLine(s));
    return;
  }
  const reasons = Object.entries(s.byReason)
    .map(([r, n]) => `${r} ${n}`)
    .join(", ");
  const t = s.tokens;
  const judgeLine = s.model
    ? `judge ${escapeControls(s.model.identity.slice(0, 23))}…${s.model.smoke ? " (smoke model: verdicts are noise)" : ""}: ` +
      `${s.judged} records in ${s.judgeSeconds.toFixed(1)} s (${s.recordsPerSecond.toFixed(2)} records/s), ` +
      `${t.judgeTokensPerRecord.toFixed(0)} judge tokens per record vs ${t.recordTokensPerRecord.toFixed(0)} record tokens ` +
      `(judge share ${(t.judgeShare * 100).toFixed(1)} %)`
    : `rules only (no --model, --smoke-model or --server): ${s.written} records in ${s.judgeSeconds.toFixed(2)} s, ` +
      `first pass ${s.firstPassSeconds.toFixed(2)} s`;
  const lines = [
    `${s.status}: ${s.kept} kept, ${s.rejected} rejected of ${s.items} input items ` +
      `(this run: ${s.written} written, ${s.resumed} resumed) in ${escapeControls(s.out)}`,
    ...(reasons ? [`rejected this run: ${reasons}`] : []),
    judgeLine,
  ];
  process.stdout.write(lines.join("\n") + "\n");
}
