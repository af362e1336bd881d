// The eval stage's entry points: runEval (ask), scoreAndReport (score, then report.json and
// report.html in the eval folder). docs/EVAL.md.
import { join } from "node:path";
import { UsageError } from "../core/errors.js";
import { writeFileAtomic } from "../core/output.js";
import { REPORT_HTML, REPORT_JSON } from "./files.js";
import { renderEvalHtml } from "./html.js";
import { EvalJudge } from "./judge.js";
import { parseServerUrls } from "./model.js";
import { scoreEval, type EvalReport } from "./score.js";
import type { GpuChoice, ServerKindChoice } from "../generate/config.js";

export { runEval, type EvalRunConfig, type EvalRunSummary } from "./run.js";
export type { EvalReport } from "./score.js";

export interface JudgeChoice {
  /** A GGUF judge; "smoke": the built-in smoke model (its verdicts are noise: plumbing tests only). */
  judgeModel?: string;
  judgeServer?: string[];
  gpu: GpuChoice;
  threads: number | null;
  serverKind: ServerKindChoice;
  contextSize: number;
}

export const JUDGE_CONTEXT = 8192;

/** Opens the judge of --judge-model / --judge-server, or null when neither is given. */
export async function openJudge(choice: JudgeChoice, dir: string, log: (line: string) => void): Promise<EvalJudge | null> {
  const servers = parseServerUrls(choice.judgeServer ?? [], "--judge-server");
  if (servers.length > 0 && choice.judgeModel) throw new UsageError("--judge-model and --judge-server exclude each other");
  if (servers.length === 0 && !choice.judgeModel) return null;
  // judge20's opener: the same GGUF / smoke / --server choices as `datagen judge`.
  const { openJudgeModel } = await import("../judge/model.js");
  const opened = await openJudgeModel(
    {
      model: choice.judgeModel ?? null,
      servers,
      serverKind: choice.serverKind,
      gpu: choice.gpu,
      threads: choice.threads,
      concurrency: 1,
      contextSize: choice.contextSize,
      serverWaitSeconds: 60,
      requestTimeoutSeconds: 300,
    },
    log,
  );
  if (!opened) return null;
  return EvalJudge.open(opened.model, `${opened.identity}${opened.smoke ? " (smoke)" : ""}`, dir);
}

export interface ScoreCommandOptions {
  answersFile?: string;
  judge: EvalJudge | null;
  html: boolean;
  log?: (line: string) => void;
}

/** Scores DIR and writes report.json (and report.html) into it, each atomically. */
export async function scoreAndReport(dir: string, options: ScoreCommandOptions): Promise<EvalReport> {
  const report = await scoreEval(dir, { answersFile: options.answersFile, judge: options.judge, log: options.log });
  writeFileAtomic(join(dir, REPORT_JSON), JSON.stringify(report, null, 2) + "\n");
  if (options.html) writeFileAtomic(join(dir, REPORT_HTML), await renderEvalHtml(report));
  return report;
}
