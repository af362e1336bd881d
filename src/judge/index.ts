// `datagen judge`: the stage's entry point (docs/JUDGE.md). Two passes over the inputs, read through
// src/ingest (any shape: native, OpenAI, ShareGPT, …):
//   pass 1 — the rules that need every record: duplicate ids, exact and near duplicates, contamination
//            against --against, per-persona phrase counts; the inputs are hashed on the way (resume check);
//   pass 2 — in input order: phrase caps and the refusal rule, then (with a model) the rubric per
//            assistant final and the blind persona identification, on the model's parallel sessions.
// Each input item ends in exactly one line of conversations.jsonl (kept, with meta.judge) or
// rejects.jsonl (with its reason), appended and synced one at a time: kill -9 loses at most the
// lines in flight, and a rerun with the same inputs and settings resumes where it stopped.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import PQueue from "p-queue";
import { DataError, UsageError } from "../core/errors.js";
import { checkResumable as checkRunJson } from "../core/run-json.js";
import { readJsonl } from "../core/jsonl.js";
import type { ConversationRecord, Message } from "../core/record.js";
import type { ReasonCode } from "../core/reasons.js";
import { type FromShape, readSource, STDIN_ARG } from "../ingest/source.js";
import { adaptValue } from "../ingest/source-record.js";
import { renderRecord } from "../render/index.js";
import { isFinalReply, NO_PERSONA } from "../stats/facts.js";
import { stableHash } from "../generate/seed.js";
import { StepError, type GenerationModel, type ModelSession, type TraceEntry } from "../generate/model/types.js";
import { FleetModel } from "../generate/model/server.js";
import { validateRecord } from "../validate/index.js";
import { openJudgeModel, type JudgeModelSettings } from "./model.js";
import { JsonlAppender, KEPT_FILE, prepareJudgeOutput, REJECTS_FILE, RUN_FILE, sourceKey, writeJsonAtomic } from "./output.js";
import type { SourceRef } from "./output.js";
import { identifyPersona, judgeAnswer, loadRubric, NO_PERSONA_GUESS, type Judged, type Rubric, type TurnVerdict } from "./rubric.js";
import { ContaminationIndex, detectRecordRefusal, FirstPass, refusalRuleReason } from "./rules.js";
import type { PhraseCaps, RuleFindings, RuleSettings } from "./rules.js";
import { verdictReasons, type JudgeReason, type JudgeThresholds, type TurnEntry } from "./verdict.js";

export { detectRefusal } from "./refusal.js";
export { identifyPersona, judgeAnswer, loadRubric, personaGuessSchema, turnVerdictSchema } from "./rubric.js";
export type { Judged, JudgeAnswerInput, Rubric, TurnVerdict } from "./rubric.js";
export { DEFAULT_RULES, type RuleSettings } from "./rules.js";
export { DEFAULT_THRESHOLDS, JUDGE_REASONS, type JudgeThresholds, type TurnEntry } from "./verdict.js";

export const META_JUDGE_FORMAT = "datagen-judge/1";

export interface JudgeConfig {
  inputs: string[];
  out: string;
  from: FromShape;
  /** A holdout/eval file whose texts no kept record may repeat (contamination check). */
  against: string | null;
  model: JudgeModelSettings;
  rules: RuleSettings;
  thresholds: JudgeThresholds;
  verdict: { maxTokens: number; retries: number; seed: number; rubric: string; turns: "all" | "last" };
}

export interface JudgeHooks {
  signal?: AbortSignal;
  log?: (line: string) => void;
  onProgress?: (state: { done: number; total: number; rejected: number; recordsPerSecond: number }) => void;
  /** Every model call (the benchmark replays them on the bare model). */
  trace?: (entry: TraceEntry) => void;
}

export interface MetaJudge {
  format: typeof META_JUDGE_FORMAT;
  source: SourceRef;
  judge: { model: string; rubric: string; rubric_sha256: string; persona_rubric: string | null } | null;
  decision: "kept" | "rejected";
  reasons: JudgeReason[];
  rules: RuleFindings;
  turns: TurnEntry[];
  persona_guess: { persona: string | null; unusable: string | null; tries: number } | null;
}

export interface JudgeSummary {
  status: "complete" | "interrupted";
  out: string;
  items: number;
  kept: number;
  rejected: number;
  /** Written by this run / found from an earlier one. */
  written: number;
  resumed: number;
  byReason: Record<string, number>;
  judged: number;
  judgeSeconds: number;
  firstPassSeconds: number;
  recordsPerSecond: number;
  tokens: {
    judgePrompt: number;
    judgeGenerated: number;
    records: number;
    judgeTokensPerRecord: number;
    recordTokensPerRecord: number;
    judgeShare: number;
  };
  model: { identity: string; smoke: boolean; path: string | null } | null;
}

type JudgeParts = Pick<MetaJudge, "rules" | "reasons" | "turns" | "persona_guess">;
type ModelInfo = { identity: string; smoke: boolean; path: string | null };

/** A reject's reason: the judge's own (JUDGE_REASONS), or the reading/validation code of an item that is no valid record. */
type RejectReason = JudgeReason | ReasonCode;

type Item =
  | { source: SourceRef; record: ConversationRecord }
  | { source: SourceRef; error: { code: ReasonCode; message: string }; id?: string };

/** Every input item in order, each as a validated record or the reason it is none. */
async function* items(config: JudgeConfig, onChunk?: (input: number, chunk: Buffer) => void): AsyncGenerator<Item> {
  for (let input = 0; input < config.inputs.length; input++) {
    const path = config.inputs[input];
    for await (const item of readSource(path, { from: config.from, onChunk: onChunk ? (c) => onChunk(input, c) : undefined })) {
      const source = { input, file: item.file, line: item.line };
      if ("error" in item) {
        yield { source, error: item.error, id: item.id };
        continue;
      }
      const result = validateRecord(item.value);
      if (result.ok) yield { source, record: result.record };
      else {
        const message = result.issues.map((i) => `${i.path ?? ""} ${i.code}: ${i.message}`.trim()).join("; ");
        yield { source, error: { code: result.issues[0].code, message }, id: result.id };
      }
    }
  }
}

export async function judgeDataset(config: JudgeConfig, hooks: JudgeHooks = {}): Promise<JudgeSummary> {
  const log = hooks.log ?? (() => {});
  if (config.inputs.includes(STDIN_ARG)) {
    throw new UsageError("judge reads its inputs twice (the rules need every record first): give files, not - (stdin)");
  }
  const rubric = loadRubric(config.verdict.rubric);
  const against = config.against ? await loadAgainst(config.against, config.rules.contaminationWords, config.from) : null;
  if (against) log(`contamination check against ${config.against}: ${against.texts} texts`);

  // Pass 1: the cross-record rules, and the inputs' hashes.
  const started = performance.now();
  const first = new FirstPass(config.rules, against);
  const hashes = config.inputs.map(() => createHash("sha256"));
  for await (const item of items(config, (i, c) => hashes[i].update(c))) if ("record" in item) first.observe(item.record);
  const caps = first.phraseCaps();
  const firstPassSeconds = (performance.now() - started) / 1000;

  const opened = await openJudgeModel(config.model, log);
  const llm = opened?.model ?? null;
  if (llm && hooks.trace) llm.onCall = hooks.trace;
  try {
    const print = fingerprint(
      config,
      hashes.map((h) => h.digest("hex")),
      rubric,
      opened?.identity ?? null,
    );
    checkResumable(config.out, print);
    const resume = await prepareJudgeOutput(config.out);
    if (resume.done.size > 0 || resume.truncatedBytes > 0) {
      const torn = resume.truncatedBytes ? `, dropped a half-written last line (${resume.truncatedBytes} bytes)` : "";
      log(`resuming ${config.out}: ${resume.kept} kept and ${resume.rejected} rejected already there${torn}`);
    }
    const run = new JudgeRun(config, rubric, caps, llm, opened?.identity ?? null, resume, hooks, first.counts.records);
    run.writeRunJson("running", print, first, firstPassSeconds, opened);
    try {
      await run.secondPass(first);
    } catch (err) {
      run.writeRunJson("failed", print, first, firstPassSeconds, opened);
      throw err;
    } finally {
      run.close();
    }
    const status = hooks.signal?.aborted ? "interrupted" : "complete";
    run.writeRunJson(status, print, first, firstPassSeconds, opened);
    return run.summary(status, firstPassSeconds, opened);
  } finally {
    await llm?.close();
  }
}

class JudgeRun {
  private readonly kept: JsonlAppender;
  private readonly rejects: JsonlAppender;
  readonly counts = { written: 0, kept: 0, rejected: 0, judged: 0, items: 0, recordTokens: 0 };
  readonly byReason = new Map<string, number>();
  private judgeStarted = performance.now();
  private readonly tokensAtStart: { prompt: number; generated: number };

  constructor(
    private readonly config: JudgeConfig,
    private readonly rubric: Rubric,
    private readonly caps: PhraseCaps,
    private readonly llm: GenerationModel | null,
    private readonly identity: string | null,
    private readonly resume: { done: Set<string>; kept: number; rejected: number },
    private readonly hooks: JudgeHooks,
    private readonly total: number,
  ) {
    this.kept = new JsonlAppender(join(config.out, KEPT_FILE));
    this.rejects = new JsonlAppender(join(config.out, REJECTS_FILE));
    this.tokensAtStart = { prompt: llm?.counters.prompt ?? 0, generated: llm?.counters.generated ?? 0 };
  }

  close(): void {
    this.kept.close();
    this.rejects.close();
  }

  async secondPass(first: FirstPass): Promise<void> {
    this.judgeStarted = performance.now();
    const capacity = this.llm?.capacity ?? 1;
    const queue = new PQueue({ concurrency: capacity });
    const failures: unknown[] = [];
    const seenIds = new Set<string>();
    try {
      for await (const item of items(this.config)) {
        if (this.hooks.signal?.aborted || failures.length > 0) break;
        this.counts.items++;
        const key = sourceKey(item.source);
        if (!("record" in item)) {
          if (this.resume.done.has(key)) continue;
          this.writeReject({ id: item.id ?? null, reason: item.error.code, message: item.error.message, source: item.source });
          continue;
        }
        const { record } = item;
        const firstOfId = !seenIds.has(record.id);
        seenIds.add(record.id);
        const decision = first.decision(record, firstOfId);
        // Phrase caps count in input order, also over items already written, so a resumed run decides the same.
        const capped = decision.reason === null ? this.caps.admit(record) : [];
        if (this.resume.done.has(key)) continue;
        const refusal = detectRecordRefusal(record);
        const { duplicate_of, near_duplicate_of, contamination } = decision;
        const rules: RuleFindings = { duplicate_of, near_duplicate_of, contamination, capped_phrases: capped, refusal };
        const reasons: JudgeReason[] = decision.reason ? [decision.reason] : capped.length > 0 ? ["phrase_cap"] : [];
        if (reasons.length === 0 && !this.llm && this.config.rules.refusalRule) {
          const r = refusalRuleReason(record, refusal);
          if (r) reasons.push(r);
        }
        if (reasons.length > 0 || !this.llm) {
          this.write(record, item.source, { rules, reasons, turns: [], persona_guess: null });
          continue;
        }
        await queue.onSizeLessThan(capacity);
        queue.add(() => this.judgeRecord(record, item.source, rules)).catch((err: unknown) => failures.push(err));
      }
      await queue.onIdle();
    } finally {
      queue.clear();
      await queue.onIdle();
    }
    if (failures.length > 0) throw failures[0];
  }

  private async judgeRecord(record: ConversationRecord, source: SourceRef, rules: RuleFindings): Promise<void> {
    const llm = this.llm as GenerationModel;
    let outcome;
    try {
      outcome = await llm.withSession(async (session) => this.askJudge(llm, session, record));
    } catch (err) {
      // A call the servers kept failing (after the fleet's own retries): the record is not judged.
      if (!(err instanceof StepError) || this.hooks.signal?.aborted) throw err;
      this.write(record, source, { rules, reasons: ["judge_call_failed"], turns: [], persona_guess: null }, err.message);
      return;
    }
    // Stopped mid-record: its verdicts may be cut short, so nothing is written (the rerun judges it).
    if (this.hooks.signal?.aborted) return;
    llm.recordDone?.(outcome.session);
    this.counts.judged++;
    this.counts.recordTokens += renderRecord(record).tokens.length;
    const reasons = verdictReasons(record, outcome.turns, outcome.guess, this.config.thresholds);
    this.write(record, source, { rules, reasons, turns: outcome.turns, persona_guess: outcome.guess });
  }

  private async askJudge(llm: GenerationModel, session: ModelSession, record: ConversationRecord) {
    const { verdict } = this.config;
    const finals = record.messages.map((m, i) => (isFinalReply(m) ? i : -1)).filter((i) => i >= 0);
    const judgedTurns = verdict.turns === "last" ? finals.slice(-1) : finals;
    const { maxTokens, retries } = verdict;
    const signal = this.hooks.signal;
    const tag = record.id;
    const call = (k: number | string) => ({ session, seed: stableHash(verdict.seed, tag, k), maxTokens, retries, signal, tag });
    const turns: TurnEntry[] = [];
    for (const k of judgedTurns) {
      const answer = record.messages[k].content as string;
      const input = { messages: record.messages.slice(0, k), answer, persona: record.persona, rubric: this.rubric, trap: traps(record) };
      const judged: Judged<TurnVerdict> = await judgeAnswer(llm, input, call(k));
      const { tries } = judged;
      const entry: TurnEntry = judged.ok
        ? { message: k, verdict: judged.value, unusable: null, tries }
        : { message: k, verdict: null, unusable: judged.unusable, tries };
      turns.push(entry);
      if (this.hooks.signal?.aborted) break;
    }
    let guess: MetaJudge["persona_guess"] = null;
    const last = finals[finals.length - 1];
    if (last !== undefined && !this.hooks.signal?.aborted) {
      const g = await identifyPersona(llm, { answer: record.messages[last].content as string, rubric: this.rubric }, call("persona"));
      guess = g.ok ? { persona: g.value, unusable: null, tries: g.tries } : { persona: null, unusable: g.unusable, tries: g.tries };
    }
    return { session, turns, guess };
  }

  private write(record: ConversationRecord, source: SourceRef, parts: JudgeParts, message?: string): void {
    const judge: MetaJudge = {
      format: META_JUDGE_FORMAT,
      source,
      judge: this.identity
        ? { model: this.identity, rubric: this.rubric.name, rubric_sha256: this.rubric.sha256, persona_rubric: this.rubric.personaName }
        : null,
      decision: parts.reasons.length === 0 ? "kept" : "rejected",
      ...parts,
    };
    const out: ConversationRecord = { ...record, meta: { ...(record.meta ?? {}), judge } };
    if (parts.reasons.length === 0) {
      this.kept.append(out);
      this.counts.kept++;
      this.counts.written++;
      this.progress();
      return;
    }
    this.writeReject({ id: record.id, reason: parts.reasons[0], message: message ?? reasonMessage(parts), source, record: out });
  }

  private writeReject(line: {
    id: string | null;
    reason: RejectReason;
    message: string;
    source: SourceRef;
    record?: ConversationRecord;
  }): void {
    const { id, reason, message, source, record } = line;
    this.rejects.append({ id, reason, message, source, ...(record ? { record } : {}) });
    this.byReason.set(line.reason, (this.byReason.get(line.reason) ?? 0) + 1);
    this.counts.rejected++;
    this.counts.written++;
    this.progress();
  }

  private progress(): void {
    const seconds = (performance.now() - this.judgeStarted) / 1000;
    this.hooks.onProgress?.({
      done: this.resume.done.size + this.counts.written,
      total: this.total,
      rejected: this.resume.rejected + this.counts.rejected,
      recordsPerSecond: seconds > 0 ? this.counts.written / seconds : 0,
    });
  }

  summary(status: JudgeSummary["status"], firstPassSeconds: number, opened: ModelInfo | null): JudgeSummary {
    const judgeSeconds = (performance.now() - this.judgeStarted) / 1000;
    const prompt = (this.llm?.counters.prompt ?? 0) - this.tokensAtStart.prompt;
    const generated = (this.llm?.counters.generated ?? 0) - this.tokensAtStart.generated;
    const per = (n: number) => (this.counts.judged > 0 ? n / this.counts.judged : 0);
    return {
      status,
      out: this.config.out,
      items: this.counts.items,
      kept: this.resume.kept + this.counts.kept,
      rejected: this.resume.rejected + this.counts.rejected,
      written: this.counts.written,
      resumed: this.resume.done.size,
      byReason: Object.fromEntries([...this.byReason].sort(([a, x], [b, y]) => y - x || a.localeCompare(b))),
      judged: this.counts.judged,
      judgeSeconds,
      firstPassSeconds,
      recordsPerSecond: judgeSeconds > 0 ? this.counts.written / judgeSeconds : 0,
      tokens: {
        judgePrompt: prompt,
        judgeGenerated: generated,
        records: this.counts.recordTokens,
        judgeTokensPerRecord: per(prompt + generated),
        recordTokensPerRecord: per(this.counts.recordTokens),
        judgeShare: ratio(prompt + generated, prompt + generated + this.counts.recordTokens),
      },
      model: opened ? { identity: opened.identity, smoke: opened.smoke, path: opened.path } : null,
    };
  }

  writeRunJson(status: string, print: string, first: FirstPass, firstPassSeconds: number, opened: ModelInfo | null): void {
    const s = this.summary(status === "complete" ? "complete" : "interrupted", firstPassSeconds, opened);
    const [r, t, against] = [this.rubric, s.tokens, this.config.against];
    writeJsonAtomic(join(this.config.out, RUN_FILE), {
      format: "datagen-judge-run/1",
      status,
      fingerprint: print,
      model: s.model,
      rubric: { name: r.name, sha256: r.sha256, persona: r.personaName, persona_sha256: r.personaSha256 },
      settings: { ...this.config, model: { ...this.config.model } },
      counts: {
        items: s.items,
        kept: s.kept,
        rejected: s.rejected,
        written: s.written,
        resumed: s.resumed,
        judged: s.judged,
        rejected_this_run_by_reason: s.byReason,
      },
      ...(this.llm instanceof FleetModel ? { servers: this.llm.report() } : {}),
      rules: {
        first_pass: first.counts,
        ...(against ? { contamination: { against, ...first.contamination, threshold: this.config.rules.maxContamination } } : {}),
        capped_phrases: this.caps.summary(),
        top_phrases: Object.fromEntries(this.caps.top),
      },
      tokens: {
        judge_prompt: t.judgePrompt,
        judge_generated: t.judgeGenerated,
        records: t.records,
        judge_per_record: round(t.judgeTokensPerRecord),
        record_per_record: round(t.recordTokensPerRecord),
        judge_share: round(t.judgeShare),
      },
      timings: { first_pass_s: round(firstPassSeconds), judge_s: round(s.judgeSeconds), records_per_s: round(s.recordsPerSecond) },
      written_at: new Date().toISOString(),
    });
  }
}

const traps = (record: ConversationRecord): string | null => (typeof record.meta?.trap === "string" ? record.meta.trap : null);

function reasonMessage(parts: JudgeParts): string {
  const r = parts.rules;
  switch (parts.reasons[0]) {
    case "exact_duplicate":
      return `same text as ${r.duplicate_of} (kept: the first in input order)`;
    case "near_duplicate":
      return `near-duplicate of ${r.near_duplicate_of} (MinHash estimated Jaccard >= 0.8; kept: the first in input order)`;
    case "duplicate_id":
      return "an earlier input item has the same id";
    case "contaminated":
      return `shares ${Math.round((r.contamination ?? 0) * 100)}% of a text's n-grams with the --against file`;
    case "phrase_cap":
      return `repeats the capped phrase(s) ${r.capped_phrases.map((p) => `"${p}"`).join(", ")} past the cap`;
    case "refusal_missing":
      return "meta.request_harmful is true but no final answer refuses (refusal heuristic)";
    case "refusal_unexpected":
      return `meta.request_harmful is false but a final answer refuses ("${r.refusal.phrase}")`;
    case "verdict_unusable": {
      const bad = parts.turns.find((t) => t.unusable);
      if (bad) return `no usable verdict for message ${bad.message} (${bad.unusable}, ${bad.tries} tries)`;
      return `no usable persona identification (${parts.persona_guess?.unusable})`;
    }
    default:
      return `judge: ${parts.reasons.join(", ")}`;
  }
}

/** The --against file's texts: records (their user and assistant texts) or holdout lines (their string fields). */
async function loadAgainst(path: string, n: number, from: FromShape): Promise<ContaminationIndex> {
  if (!existsSync(path)) throw new UsageError(`--against ${path}: no such file`);
  const index = new ContaminationIndex(n);
  for await (const item of readJsonl(path)) {
    if ("error" in item) throw new DataError(item.error.code, item.error.message, { file: path, line: item.line });
    const adapted = adaptValue(item.value, { file: path, line: item.line, from });
    const record = "value" in adapted ? (adapted.value as ConversationRecord) : null;
    if (record && Array.isArray(record.messages)) {
      for (const m of record.messages as Message[]) {
        if ((m.role === "user" || m.role === "assistant") && typeof m.content === "string") index.add(m.content);
      }
    } else {
      for (const text of stringsOf(item.value)) index.add(text);
    }
  }
  return index;
}

function stringsOf(value: unknown, depth = 0): string[] {
  if (typeof value === "string") return [value];
  if (depth > 8 || value === null || typeof value !== "object") return [];
  return Object.values(value as Record<string, unknown>).flatMap((v) => stringsOf(v, depth + 1));
}

function fingerprint(config: JudgeConfig, inputHashes: string[], rubric: Rubric, identity: string | null): string {
  const against = config.against ? createHash("sha256").update(readFileSync(config.against)).digest("hex") : null;
  const { rules, thresholds, verdict, from } = config;
  const settings = { inputHashes, against, from, rules, thresholds, verdict, rubric: [rubric.sha256, rubric.personaSha256], identity };
  return createHash("sha256").update(JSON.stringify(settings)).digest("hex").slice(0, 16);
}

function checkResumable(out: string, print: string): void {
  checkRunJson(join(out, RUN_FILE), out, {
    fingerprint: print,
    strict: true,
    format: "datagen-judge-run/1",
    settingsMismatch:
      `${out} holds a judge run with other inputs or settings (inputs' contents, --against, rules, thresholds, rubric or model); ` +
      "rerun it with the same ones, or choose another --out",
  });
}

const round = (x: number): number => Math.round(x * 1000) / 1000;
const ratio = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);

export { NO_PERSONA, NO_PERSONA_GUESS };
