// `datagen eval run`: build the suites' items, write items.jsonl, then ask the model each item once
// and append its answer to answers.jsonl (synced per answer). A rerun resumes: answered ids are
// skipped, a half-written last line is cut off, and settings that differ are refused.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import PQueue from "p-queue";
import { DataError, UsageError } from "../core/errors.js";
import { checkResumable as checkRunJson } from "../core/run-json.js";
import { writeFileAtomic } from "../core/output.js";
import type { Message } from "../core/record.js";
import { JsonlAppender, truncatePartialLine, writeJsonAtomic } from "../generate/output.js";
import { ServersUnavailableError } from "../generate/model/server.js";
import type { GenerationModel, ModelSession, Sampling, TraceEntry } from "../generate/model/types.js";
import { stableHash } from "../generate/seed.js";
import { ANSWERS_FILE, claimEvalDir, ITEMS_FILE, itemsText, readAnswers, RUN_FILE } from "./files.js";
import { readHoldout } from "./holdout.js";
import { openModel, SMOKE_NOTICE, type ModelChoice, type ModelInfo } from "./model.js";
import { finalAfterThinking, promptTokens, type PromptSettings } from "./prompt.js";
import { buildItems } from "./suites/index.js";
import type { PersonaChoices } from "./suites/judged.js";
import type { EvalAnswer, EvalItem, SuiteName } from "./types.js";

export interface EvalRunConfig extends Omit<ModelChoice, "contextSize">, PromptSettings {
  suites: SuiteName[];
  lengths: number[];
  samples: number;
  /** ruler: the tasks asked (null: all). */
  tasks: string[] | null;
  seed: string;
  personas: PersonaChoices;
  holdoutFile: string | null;
  out: string;
  maxTokens: { thinking: number; final: number };
  sampling: Sampling;
  /** null: the longest item's prompt plus the budgets, rounded up. */
  contextSize: number | null;
  /** Write items.jsonl only (another tool answers them). */
  itemsOnly: boolean;
  /** Training data to check the judged suites' items against (the judge's contamination check). */
  trainData: string[];
}

export interface EvalRunHooks {
  signal?: AbortSignal;
  log?: (line: string) => void;
  onProgress?: (done: number, total: number) => void;
  /** Every model call (the benchmark sums their seconds: the model's share of the wall time). */
  trace?: (entry: TraceEntry) => void;
}

export interface EvalRunSummary {
  status: "complete" | "interrupted" | "items-only";
  out: string;
  items: number;
  answered: number;
  /** Answered by this run / found from an earlier run. */
  written: number;
  resumed: number;
  model: ModelInfo | null;
  contextSize: number | null;
  loadSeconds: number;
  askSeconds: number;
  generatedTokens: number;
}

const TOKEN_SLACK = 64;

/** Builds the items (the same for the same settings: nothing depends on the clock or the model). */
export async function evalItems(
  config: Pick<EvalRunConfig, "suites" | "lengths" | "samples" | "tasks" | "seed" | "personas" | "holdoutFile">,
): Promise<EvalItem[]> {
  const holdout = config.holdoutFile ? await readHoldout(config.holdoutFile) : null;
  const items = buildItems(config.suites, {
    seed: config.seed,
    lengths: config.lengths,
    samples: config.samples,
    tasks: config.tasks,
    personas: config.personas,
    holdout,
  });
  if (items.length === 0)
    throw new UsageError(`the suites asked (${config.suites.join(", ")}) have no items${holdout ? ` in ${config.holdoutFile}` : ""}`);
  return items;
}

/** Writes items.jsonl, or checks that the one already there is exactly what these settings build. */
function writeOrCheckItems(out: string, items: EvalItem[]): void {
  const path = join(out, ITEMS_FILE);
  const text = itemsText(items);
  if (!existsSync(path)) return writeFileAtomic(path, text);
  if (readFileSync(path, "utf8") !== text) {
    throw new UsageError(
      `${path} holds other items (other --suite, --lengths, --seed, --persona or --holdout, or another version of data/eval); resume ` +
        `with the same settings, or choose another --out`,
    );
  }
}

/** Tokens the longest conversation of an item needs: its prompt, each follow-up's answer and text, and the budgets. */
function tokensNeeded(item: EvalItem, config: EvalRunConfig): number {
  const base = promptTokens(item.persona, item.messages, config, config.maxTokens.thinking > 0 ? "analysis" : "final").length;
  const followups = (item.followups ?? []).reduce(
    (n, f) => n + promptTokens(null, [{ role: "user", content: f }], config, "final").length + config.maxTokens.final,
    0,
  );
  return base + followups + config.maxTokens.thinking + config.maxTokens.final + TOKEN_SLACK;
}

function fingerprint(config: EvalRunConfig, identity: string, items: string): string {
  const { maxTokens, sampling, date, reasoningEffort } = config;
  const itemsHash = createHash("sha256").update(items).digest("hex");
  return createHash("sha256")
    .update(JSON.stringify({ identity, maxTokens, sampling, date, reasoningEffort, itemsHash }))
    .digest("hex")
    .slice(0, 16);
}

function checkResumable(out: string, print: string, identity: string): void {
  checkRunJson(join(out, RUN_FILE), out, {
    fingerprint: print,
    format: "datagen-eval-run/1",
    identity,
    modelMismatch: (before, now) =>
      `${out} holds answers of model ${before}, but this run's model is ${now}; resume it with the same model, or choose another --out`,
    settingsMismatch:
      `${out} holds answers made with other settings (token budgets, sampling, date or reasoning effort); ` +
      `resume with the same settings, or choose another --out`,
  });
}

export async function runEval(config: EvalRunConfig, hooks: EvalRunHooks = {}): Promise<EvalRunSummary> {
  const log = hooks.log ?? (() => {});
  const started = performance.now();
  const items = await evalItems(config);
  claimEvalDir(config.out);
  writeOrCheckItems(config.out, items);
  if (config.trainData.length > 0) {
    const { checkContamination } = await import("./contamination.js");
    const c = await checkContamination(items, config.trainData, config.out);
    log(
      `contamination: ${c.contaminated.length} of ${c.checked} judged items share >= ${c.threshold * 100}% of their ` +
        `${c.ngram_words}-word n-grams with ${c.train_records} training records (highest ` +
        `${(c.max_overlap * 100).toFixed(1)}%)${c.contaminated.length ? `, e.g. ${c.contaminated[0].id}; see contamination.json` : ""}`,
    );
  }
  const base: EvalRunSummary = {
    status: "items-only",
    out: config.out,
    items: items.length,
    answered: 0,
    written: 0,
    resumed: 0,
    model: null,
    contextSize: null,
    loadSeconds: 0,
    askSeconds: 0,
    generatedTokens: 0,
  };
  if (config.itemsOnly) return base;

  const needed = Math.max(...items.map((i) => tokensNeeded(i, config)));
  const contextSize = config.contextSize ?? Math.ceil(needed / 1024) * 1024;
  if (config.model === null && config.servers.length === 0) log(SMOKE_NOTICE);
  const { model, info } = await openModel({ ...config, contextSize }, log);
  if (info.smoke && config.servers.length > 0)
    log(
      `note: the servers serve ${info.identity}, the built-in smoke model: random weights, so every answer and every figure of the ` +
        `report is noise.`,
    );
  const answersPath = join(config.out, ANSWERS_FILE);
  let resumedIds: Set<string>;
  const print = fingerprint(config, info.identity, itemsText(items));
  try {
    checkResumable(config.out, print, info.identity);
    const cut = truncatePartialLine(answersPath);
    const { answers, unknown } = await readAnswers(answersPath, new Set(items.map((i) => i.id)));
    if (unknown.length > 0)
      throw new DataError("unknown_item", `answers.jsonl answers "${unknown[0]}", which is not in items.jsonl`, { file: answersPath });
    resumedIds = new Set(answers.keys());
    if (resumedIds.size > 0 || cut > 0)
      log(
        `resuming ${config.out}: ${resumedIds.size} of ${items.length} items already ` +
          `answered${cut ? `, dropped a half-written last line (${cut} bytes)` : ""}`,
      );
  } catch (err) {
    await model.close();
    throw err;
  }
  model.onCall = hooks.trace;
  const loadSeconds = (performance.now() - started) / 1000;
  const askStarted = performance.now();
  const counts = { written: 0 };
  const summary = (status: EvalRunSummary["status"]): EvalRunSummary => ({
    ...base,
    status,
    answered: resumedIds.size + counts.written,
    written: counts.written,
    resumed: resumedIds.size,
    model: info,
    contextSize,
    loadSeconds,
    askSeconds: (performance.now() - askStarted) / 1000,
    generatedTokens: model.counters.generated,
  });
  const writeRunJson = (status: string) => {
    const s = summary("complete");
    writeJsonAtomic(join(config.out, RUN_FILE), {
      format: "datagen-eval-run/1",
      status,
      fingerprint: print,
      model: info,
      settings: { ...config, contextSize },
      counts: { items: s.items, answered: s.answered, written: s.written, resumed: s.resumed },
      tokens: { generated: model.counters.generated, prompt: model.counters.prompt },
      timings: { load_s: round(loadSeconds), ask_s: round(s.askSeconds) },
      written_at: new Date().toISOString(),
    });
  };
  writeRunJson("running");
  const answers = new JsonlAppender(answersPath);
  const queue = new PQueue({ concurrency: model.capacity });
  const failures: unknown[] = [];
  const todo = items.filter((i) => !resumedIds.has(i.id));
  hooks.onProgress?.(resumedIds.size, items.length);
  try {
    for (const item of todo) {
      if (hooks.signal?.aborted || failures.length > 0) break;
      await queue.onSizeLessThan(model.capacity);
      queue
        .add(async () => {
          const answer = await model.withSession((session) => askItem(session, item, config, hooks.signal));
          if (answer === null) return; // interrupted mid-answer: dropped, asked again on resume
          answers.append(answer);
          counts.written++;
          hooks.onProgress?.(resumedIds.size + counts.written, items.length);
        })
        .catch((err: unknown) => failures.push(err));
    }
    await queue.onIdle();
    if (failures.length > 0) throw failures[0];
    const status = hooks.signal?.aborted ? "interrupted" : "complete";
    writeRunJson(status);
    return summary(status);
  } catch (err) {
    queue.clear();
    await queue.onIdle();
    // Every server gone for --server-wait: a clean stop that a rerun resumes.
    writeRunJson(err instanceof ServersUnavailableError ? "interrupted" : "failed");
    throw err;
  } finally {
    answers.close();
    await model.close();
  }
}

/** One item: the model answers the conversation, then each follow-up after its own previous answer. */
async function askItem(session: ModelSession, item: EvalItem, config: EvalRunConfig, signal?: AbortSignal): Promise<EvalAnswer | null> {
  const started = performance.now();
  let messages: Message[] = item.messages;
  const turns: string[] = [];
  const followups = item.followups ?? [];
  let tokens = 0;
  for (let turn = 0; ; turn++) {
    const reply = await answerTurn(session, item, messages, turn, config, signal);
    if (reply === null) return null;
    tokens += reply.tokens;
    if (turn === followups.length) {
      const seconds = round((performance.now() - started) / 1000);
      return { id: item.id, answer: reply.text, ...(turns.length > 0 ? { turns } : {}), finish: reply.finish, tokens, seconds };
    }
    turns.push(reply.text);
    messages = [...messages, { role: "assistant", content: reply.text }, { role: "user", content: followups[turn] }];
  }
}

interface Reply {
  text: string;
  finish: string;
  tokens: number;
}

/** Thinking on the analysis channel (when budgeted), then the final answer; seeds from the item id, so reruns ask the same. */
async function answerTurn(
  session: ModelSession,
  item: EvalItem,
  messages: Message[],
  turn: number,
  config: EvalRunConfig,
  signal?: AbortSignal,
): Promise<Reply | null> {
  const generate = async (prompt: number[], maxTokens: number, step: string) => {
    if (prompt.length + maxTokens > session.contextSize) {
      throw new DataError(
        "context_overflow",
        `prompt ${prompt.length} + budget ${maxTokens} tokens exceed the model's context (${session.contextSize}); pass a larger ` +
          `--context-size or lower --lengths`,
        { id: item.id },
      );
    }
    const out = await session.generate(
      { prompt, maxTokens, seed: stableHash("eval", item.id, turn, step), sampling: config.sampling, tag: item.id },
      signal,
    );
    return signal?.aborted ? null : out;
  };
  let tokens = 0;
  let finalPrompt: number[];
  if (config.maxTokens.thinking > 0) {
    const thinking = await generate(promptTokens(item.persona, messages, config, "analysis"), config.maxTokens.thinking, "thinking");
    if (thinking === null) return null;
    tokens += thinking.tokens.length;
    finalPrompt = finalAfterThinking(item.persona, messages, config, thinking.text.trim());
  } else {
    finalPrompt = promptTokens(item.persona, messages, config, "final");
  }
  const final = await generate(finalPrompt, config.maxTokens.final, "final");
  if (final === null) return null;
  return { text: final.text.trim(), finish: final.finish, tokens: tokens + final.tokens.length };
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

export type { GenerationModel };
