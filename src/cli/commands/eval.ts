// `datagen eval run` / `datagen eval score`: ask a model the card's evaluations, then score them.
import { type Command, InvalidArgumentError, Option } from "commander";
import { UsageError } from "../../core/errors.js";
import { escapeControls, jsonLine } from "../../core/escape.js";
import { PERSONAS } from "../../core/record.js";
import { CONCURRENCY_SERVER_NAMES, SERVER_NAMES, type ServerKindChoice } from "../../generate/model/servers/index.js";
import { gracefulStopSignal, positiveInt } from "../run.js";
import { StderrProgress } from "../progress.js";
import { requireReadableFile, serverKindOption } from "../options.js";

const SUITES = ["ruler", "personas", "sycophancy", "refusals"] as const;
const DEFAULT_LENGTHS = "4096,8192,16384,32768,65536,131072";

interface RunOptions {
  suite: string[];
  out: string;
  lengths: number[];
  samples: number;
  tasks?: string;
  seed: string;
  persona?: string;
  holdout?: string;
  model?: string;
  server?: string[];
  serverKind?: ServerKindChoice;
  concurrency?: number;
  threads?: number;
  gpu: string;
  contextSize?: number;
  thinkingTokens: number;
  maxTokens: number;
  temperature: number;
  date: string;
  reasoningEffort: "low" | "medium" | "high";
  serverWait: number;
  requestTimeout: number;
  itemsOnly?: boolean;
  trainData?: string[];
  score: boolean;
  judgeModel?: string;
  judgeServer?: string[];
  html: boolean;
  json?: boolean;
}

interface ScoreOptions {
  answers?: string;
  judgeModel?: string;
  judgeServer?: string[];
  serverKind?: ServerKindChoice;
  gpu: string;
  threads?: number;
  html: boolean;
  json?: boolean;
}

const collect = (v: string, prev: string[] = []) => [...prev, v];

function suiteList(values: string[]): string[] {
  const names = values
    .flatMap((v) => v.split(","))
    .map((s) => s.trim())
    .filter(Boolean);
  const out = names.includes("all") ? [...SUITES] : names;
  for (const n of out)
    if (!(SUITES as readonly string[]).includes(n)) throw new UsageError(`unknown suite "${n}"; known: all, ${SUITES.join(", ")}`);
  if (new Set(out).size !== out.length) throw new UsageError("--suite lists a suite twice");
  if (out.length === 0) throw new UsageError(`--suite needs all or a comma-separated list of: ${SUITES.join(", ")}`);
  return out;
}

const lengths = (value: string): number[] => {
  const parts = value.split(",").map((s) => s.trim());
  const ns = parts.map(Number);
  if (parts.some((p, i) => !/^\d+$/.test(p) || ns[i] < 256 || ns[i] > 1_048_576))
    throw new InvalidArgumentError(`--lengths must be a comma list of token counts in 256..1048576, got "${escapeControls(value)}"`);
  if (new Set(ns).size !== ns.length) throw new InvalidArgumentError("--lengths lists a length twice");
  return ns;
};

const duration =
  (flag: string) =>
  (value: string): number => {
    const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(value.trim());
    if (!m) throw new InvalidArgumentError(`${flag} must be a duration like 30s, 10m or 1h, got "${escapeControls(value)}"`);
    return Number(m[1]) * { s: 1, m: 60, h: 3600 }[(m[2] ?? "s") as "s" | "m" | "h"];
  };

const nonNegativeInt =
  (flag: string) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value) || n > 1_000_000)
      throw new InvalidArgumentError(`${flag} must be an integer in 0..1000000, got "${escapeControls(value)}"`);
    return n;
  };

const temperature = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 5)
    throw new InvalidArgumentError(`--temperature must be a number in 0..5, got "${escapeControls(value)}"`);
  return n;
};

const isoDate = (value: string): string => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value) || Number.isNaN(Date.parse(value)))
    throw new InvalidArgumentError(`--date must be YYYY-MM-DD, got "${escapeControls(value)}"`);
  return value;
};

/** --persona: default none + the 9; "all" = the 9; a list may name none. */
async function personaChoices(value: string | undefined): Promise<(string | null)[]> {
  if (value === undefined) return [null, ...PERSONAS];
  const { parsePersonas } = await import("../../generate/config.js");
  return parsePersonas(value);
}

function judgeOptions(cmd: Command): Command {
  return cmd
    .option("--judge-model <file>", 'GGUF judge model for the judged columns ("smoke": the built-in smoke model, verdicts are noise)')
    .option("--judge-server <url>", `judge on this server (${SERVER_NAMES}; repeatable)`, collect)
    .option("--no-html", "do not write report.html");
}

export function register(program: Command): void {
  const evalCmd = program
    .command("eval")
    .description(
      "Run the model card's evaluations (RULER, persona grid, sycophancy traps, refusal calibration) against a model and score them.",
    );

  const run = evalCmd
    .command("run")
    .description("Ask a model every item of the suites into --out (items.jsonl, answers.jsonl); resumable; then score.")
    .requiredOption("--suite <list>", `all | comma-separated: ${SUITES.join(", ")} (repeatable)`, collect)
    .requiredOption("--out <dir>", "eval folder")
    .addOption(
      new Option("--lengths <list>", "ruler: target lengths in tokens")
        .argParser(lengths)
        .default(lengths(DEFAULT_LENGTHS), DEFAULT_LENGTHS),
    )
    .option("--samples <n>", "ruler: items per task and length", positiveInt("--samples", 10_000), 4)
    .option("--tasks <list>", "ruler: comma list of single_needle, multi_needle, variable_tracking, aggregation, not_found (default: all)")
    .option("--seed <text>", "eval seed (ruler's payloads; items are drawn from the eval seed space, never a training item)", "1")
    .option("--persona <list>", "judged suites: all | none | comma list (may include none) (default: none and all 9)")
    .option("--holdout <file>", "ask the judged suites' items from these reserved scenario families (generate --holdout's file)")
    .option("--model <file>", "GGUF model; default: the built-in smoke model, whose answers are random noise")
    .option("--server <url>", `ask this ${SERVER_NAMES} server instead (repeatable, or a comma list)`, collect)
    .addOption(serverKindOption("what the servers are (default: auto)"))
    .option(
      "--concurrency <n>",
      `items at once: sequences in-process, calls per ${CONCURRENCY_SERVER_NAMES} server (default 1 in-process, 16 remotely)`,
      positiveInt("--concurrency", 256),
    )
    .option("--threads <n>", "CPU threads (default: 1 for the smoke model, else the physical cores)", positiveInt("--threads"))
    .addOption(new Option("--gpu <kind>", "in-process device").choices(["auto", "cuda", "vulkan", "cpu"]).default("auto"))
    .option(
      "--context-size <n>",
      "context per sequence (default: the longest item's prompt plus the budgets)",
      positiveInt("--context-size"),
    )
    .option(
      "--thinking-tokens <n>",
      "analysis-channel budget before each answer; 0 answers on the final channel at once",
      nonNegativeInt("--thinking-tokens"),
      512,
    )
    .option("--max-tokens <n>", "final answer budget", positiveInt("--max-tokens"), 1024)
    .option("--temperature <t>", "sampling temperature (0: greedy)", temperature, 0)
    .option("--date <YYYY-MM-DD>", "the harmony system message's date", isoDate, "2026-06-15")
    .addOption(
      new Option("--reasoning-effort <level>", "the harmony system message's reasoning effort")
        .choices(["low", "medium", "high"])
        .default("low"),
    )
    .addOption(
      new Option("--server-wait <duration>", "with every server down, wait this long before stopping as interrupted")
        .argParser(duration("--server-wait"))
        .default(600, "10m"),
    )
    .addOption(
      new Option("--request-timeout <duration>", "deadline of one server call")
        .argParser(duration("--request-timeout"))
        .default(300, "300s"),
    )
    .option(
      "--train-data <file>",
      "check the judged suites' items against this training data (the judge's contamination check; repeatable)",
      collect,
    )
    .option("--items-only", "write items.jsonl and stop (another tool answers them; then eval score --answers)")
    .option("--no-score", "do not score at the end")
    .option("--json", "print the report as JSON on stdout");
  judgeOptions(run)
    .addHelpText(
      "after",
      `
In --out: items.jsonl (what is asked), answers.jsonl (one {id, answer} a line, synced per answer),
run.json (model, settings, counts), then the report: report.json, report.html.
Rerunning the same command resumes: answered items are skipped; Ctrl-C stops cleanly (exit 130).

Examples:
  datagen eval run --suite all --lengths 4096,8192 --out out/eval
  datagen eval run --suite ruler --lengths 4096,131072 --model kappa.gguf --gpu cuda --out out/ruler
  datagen eval run --suite personas,sycophancy,refusals --server http://gpu1:8080 --judge-server http://gpu2:8080 --out out/align`,
    )
    .action(async (o: RunOptions) => {
      const [{ runEval }, { parseServerUrls }] = await Promise.all([import("../../eval/index.js"), import("../../eval/model.js")]);
      if (o.holdout) requireReadableFile(o.holdout);
      for (const f of o.trainData ?? []) requireReadableFile(f);
      const servers = parseServerUrls(o.server ?? []);
      if (servers.length > 0 && o.model) throw new UsageError("--model and --server exclude each other: the servers serve their own model");
      const signal = gracefulStopSignal();
      const progress = new StderrProgress();
      const log = (line: string) => process.stderr.write(escapeControls(line) + "\n");
      let summary;
      try {
        summary = await runEval(
          {
            suites: suiteList(o.suite) as never,
            lengths: o.lengths,
            samples: o.samples,
            tasks: o.tasks
              ? o.tasks
                  .split(",")
                  .map((t) => t.trim())
                  .filter(Boolean)
              : null,
            seed: o.seed,
            personas: await personaChoices(o.persona),
            holdoutFile: o.holdout ?? null,
            out: o.out,
            model: o.model ?? null,
            servers,
            serverKind: o.serverKind ?? "auto",
            gpu: o.gpu as never,
            threads: o.threads ?? null,
            concurrency: o.concurrency ?? (servers.length > 0 ? 16 : 1),
            contextSize: o.contextSize ?? null,
            maxTokens: { thinking: o.thinkingTokens, final: o.maxTokens },
            sampling: { temperature: o.temperature, topK: 40, topP: 1, minP: 0 },
            date: o.date,
            reasoningEffort: o.reasoningEffort,
            serverWaitSeconds: o.serverWait,
            requestTimeoutSeconds: o.requestTimeout,
            itemsOnly: o.itemsOnly === true,
            trainData: o.trainData ?? [],
          },
          { signal, log, onProgress: (done, total) => progress.report(() => `eval: ${done}/${total} items answered`) },
        );
      } finally {
        progress.done();
      }
      log(
        `${summary.status}: ${summary.answered}/${summary.items} items answered in ${summary.out} (this run: ${summary.written}, ` +
          `resumed: ${summary.resumed}; ask ${summary.askSeconds.toFixed(1)} s, load ${summary.loadSeconds.toFixed(1)} s)`,
      );
      if (summary.status !== "complete" || !o.score) return;
      await scoreFolder(o.out, o, log);
    });

  const score = evalCmd
    .command("score")
    .description("Score an eval folder's answers (or another tool's, --answers) and write report.json and report.html into it.")
    .argument("<dir>", "eval folder (with items.jsonl)")
    .option("--answers <file>", "answers from another tool: JSONL of {id, answer} (default: DIR/answers.jsonl)")
    .addOption(serverKindOption("what the judge servers are (default: auto)"))
    .addOption(new Option("--gpu <kind>", "judge device").choices(["auto", "cuda", "vulkan", "cpu"]).default("auto"))
    .option("--threads <n>", "judge CPU threads", positiveInt("--threads"))
    .option("--json", "print the report as JSON on stdout");
  judgeOptions(score).action(async (dir: string, o: ScoreOptions) => {
    if (o.answers) requireReadableFile(o.answers);
    await scoreFolder(dir, o, (line) => process.stderr.write(escapeControls(line) + "\n"));
  });
}

/** Open the judge `o` names (if any), score `dir` into report.json/.html and print the report. */
async function scoreFolder(dir: string, o: ScoreOptions, log: (line: string) => void): Promise<void> {
  const [{ scoreAndReport, openJudge, JUDGE_CONTEXT }, { formatEvalTerminal }] = await Promise.all([
    import("../../eval/index.js"),
    import("../../eval/sections.js"),
  ]);
  const judgeSettings = {
    judgeModel: o.judgeModel,
    judgeServer: o.judgeServer,
    gpu: o.gpu as never,
    threads: o.threads ?? null,
    serverKind: o.serverKind ?? "auto",
    contextSize: JUDGE_CONTEXT,
  };
  const judge = await openJudge(judgeSettings, dir, log);
  try {
    const report = await scoreAndReport(dir, { answersFile: o.answers, judge, html: o.html });
    process.stdout.write(o.json ? jsonLine(report) : formatEvalTerminal(report));
  } finally {
    await judge?.close();
  }
}
