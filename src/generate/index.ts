// The generate stage's entry point: load catalogs and the model, schedule conversations over the
// context's parallel sequences with p-queue, validate each record, append it (or its rejection),
// and keep run.json current. Resumable and interruptible (hooks.signal).
import { createHash } from "node:crypto";
import { createReadStream, existsSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import PQueue from "p-queue";
import { UsageError } from "../core/errors.js";
import { releaseOutputLock } from "../core/output.js";
import { redactUrl } from "../core/redact.js";
import { parseJsonText, stringifyJson } from "../core/json.js";
import type { ConversationRecord } from "../core/record.js";
import { ensureSmokeModel, GENERATE_STOP_BOOST } from "../model/smoke.js";
import { validateRecord } from "../validate/index.js";
import { describeIssue } from "../validate/types.js";
import { getTokenizer } from "../tokenize/o200k_harmony.js";
import { loadTemplates, loadTools, toolDefinition, type CatalogTool } from "./catalog.js";
import type { GenerateConfig, PersonaChoice } from "./config.js";
import { AbortedError, generateConversation, type ConversationDeps } from "./conversation.js";
import { loadApiKey } from "./model/api-key.js";
import { FleetModel, ServersUnavailableError } from "./model/server.js";
import { StepError, type GenerationModel, type ModelSession, type TraceEntry } from "./model/types.js";
import { CONVERSATIONS_FILE, JsonlAppender, prepareOutput, REJECTS_FILE } from "./output.js";
import type { PlannedConversation } from "./plan.js";
import { etaSeconds, type ProgressState } from "./progress.js";
import { loadPlan, writeHoldout } from "./run-plan.js";
import { checkResumable, fingerprint, writeRunJson as writeRunFile, type RunStatus } from "./run-state.js";
import { recordSeed } from "./seed.js";
import { LongRun } from "./long-run.js";
import { generateLongConversation } from "./long.js";
import type { LongJob } from "../longctx/bands.js";
import { ToolSchemas } from "./tools.js";

export { loadGenerateConfig, type GenerateConfig, type GenerateOverrides } from "./config.js";

export interface GenerateHooks {
  /** Abort to stop cleanly: in-flight records are dropped, run.json says "interrupted". */
  signal?: AbortSignal;
  onProgress?: (state: ProgressState) => void;
  /** One-line notices (model choice, resume state) for stderr. */
  log?: (line: string) => void;
  /** Every model call (benchmarks replay them against raw node-llama-cpp). */
  trace?: (entry: TraceEntry) => void;
}

export interface GenerateSummary {
  status: "complete" | "interrupted";
  out: string;
  target: number;
  /** Records / rejects of this run's plan (its personas and count) after this run, resumed ones included. */
  records: number;
  rejects: number;
  /** Written / rejected by this run. */
  written: number;
  rejected: number;
  resumed: number;
  /** Lines in the folder that belong to another plan (other personas, a larger --count): kept, not counted. */
  otherPlans: number;
  attempts: number;
  /** This run's rejects by reason code. */
  rejectReasons: Record<string, number>;
  generatedTokens: number;
  promptTokens: number;
  loadSeconds: number;
  generateSeconds: number;
  /** Process CPU time (all threads) while generating: comparable across runs on a busy machine. */
  generateCpuSeconds: number;
  tokensPerSecond: number;
  /** In-process: the GGUF file. Over --server: path, sha256 and bytes are null. */
  model: {
    path: string | null;
    sha256: string | null;
    bytes: number | null;
    smoke: boolean;
    identity: string;
    name?: string;
    reported?: Record<string, unknown>;
  };
  /** null over --server. */
  threads: number | null;
  gpu: string;
  /** Over --server: each server with its kind, model and counters. */
  servers?: Record<string, unknown>[];
}

const SMOKE_NOTICE =
  "note: no --model given, so this run uses the built-in smoke model: random weights, so every generated text is random noise. " +
  "It exercises the whole pipeline; for real data pass --model FILE.gguf (a gpt-oss model, e.g. gpt-oss-20b).";

/** sha256 of a file, streamed (a 13 GB model never sits in memory). */
async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 22 })) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** Planned conversations in run order: index by index across the buckets, so a partial run has every persona. */
function runOrder(conversations: PlannedConversation[]): PlannedConversation[] {
  return [...conversations].sort((a, b) => a.index - b.index);
}

/** Executes the plan (plan.ts) for config into config.out; skips ids already there. */
export async function generateDataset(config: GenerateConfig, hooks: GenerateHooks = {}): Promise<GenerateSummary> {
  const log = hooks.log ?? (() => {});
  const started = performance.now();
  const tools = loadTools(config.toolCatalogs);
  const { plan, parts } = loadPlan(config);
  const planned = runOrder(plan.conversations);
  // Before the model loads: a bad longContext setting or --haystack folder fails at once.
  const longRun = LongRun.maybe(config, planned.length);
  const templates = loadTemplates(config.templates, [
    ...new Set(planned.map((p) => p.persona).filter((p): p is NonNullable<PersonaChoice> => p !== null)),
  ]);
  warmUp(tools.values());
  const { model: llm, info: modelInfo, threads } = await openModel(config, log);
  // Over --server the fingerprint's model is what the servers report they serve.
  const print = fingerprint(config, modelInfo.sha256 ?? `served:${modelInfo.identity}`);
  let resume;
  try {
    checkResumable(config.out, print, modelInfo.identity);
    resume = await prepareOutput(config.out);
    const held = writeHoldout(config, plan, parts);
    if (held > 0)
      log(`holdout: ${held} scenario family lines reserved for evaluation in ${config.holdoutFile} (none is used for training)`);
  } catch (err) {
    await llm.close();
    throw err;
  }
  // Lines of another plan (other personas, a larger --count) stay in the folder but are not this run's.
  const plannedIds = new Set(planned.map((p) => p.id));
  const inPlan = (ids: Set<string>) => [...ids].filter((id) => plannedIds.has(id)).length;
  const resumed = { records: inPlan(resume.recordIds), rejects: inPlan(resume.rejectIds) };
  const otherPlans = resume.done.size - resumed.records - resumed.rejects;
  if (otherPlans > 0)
    log(
      `${config.out} also holds ${otherPlans} records or rejects of other personas or counts: kept, and not counted in this run's totals`,
    );
  if (resume.records + resume.rejects > 0 || resume.truncatedBytes > 0) {
    log(
      `resuming ${config.out}: ${resume.records} records and ${resume.rejects} rejects already there` +
        `${resume.truncatedBytes ? `, dropped a half-written last line (${resume.truncatedBytes} bytes)` : ""}`,
    );
  }
  llm.onCall = hooks.trace;
  const loadSeconds = (performance.now() - started) / 1000;
  const deps: ConversationDeps = {
    model: llm,
    config,
    tools,
    templates,
    schemas: new ToolSchemas(tools.values()),
    modelName: basename(modelInfo.path ?? modelInfo.name ?? modelInfo.identity),
    signal: hooks.signal,
  };
  const records = new JsonlAppender(join(config.out, CONVERSATIONS_FILE));
  const rejects = new JsonlAppender(join(config.out, REJECTS_FILE));

  const target = planned.length;
  const counts = { written: 0, rejected: 0, attempts: 0 };
  const rejectReasons: Record<string, number> = {};
  const genStarted = performance.now();
  const cpuStarted = process.cpuUsage();
  const summary = (status: GenerateSummary["status"]): GenerateSummary => {
    const generateSeconds = (performance.now() - genStarted) / 1000;
    const cpu = process.cpuUsage(cpuStarted);
    return {
      status,
      out: config.out,
      target,
      records: resumed.records + counts.written,
      rejects: resumed.rejects + counts.rejected,
      written: counts.written,
      rejected: counts.rejected,
      resumed: resumed.records + resumed.rejects,
      otherPlans,
      attempts: counts.attempts,
      rejectReasons,
      generatedTokens: llm.counters.generated,
      promptTokens: llm.counters.prompt,
      loadSeconds,
      generateSeconds,
      generateCpuSeconds: (cpu.user + cpu.system) / 1e6,
      tokensPerSecond: generateSeconds > 0 ? llm.counters.generated / generateSeconds : 0,
      model: modelInfo,
      threads,
      gpu: llm.device,
      ...(llm instanceof FleetModel ? { servers: llm.report() } : {}),
    };
  };
  const writeRunJson = (status: RunStatus) => {
    const s = summary(status === "complete" ? "complete" : "interrupted");
    writeRunFile(config.out, {
      status,
      fingerprint: print,
      model: s.model,
      ...(s.servers ? { servers: s.servers } : {}),
      settings: { ...config, servers: config.servers.map(redactUrl), threads, gpu: config.gpu, gpuUsed: s.gpu },
      counts: {
        target,
        records: s.records,
        rejects: s.rejects,
        written: s.written,
        rejected: s.rejected,
        resumed: s.resumed,
        attempts: s.attempts,
      },
      ...(longRun ? { long_context: longRun.report() } : {}),
      reject_reasons: rejectReasons,
      tokens: { generated: s.generatedTokens, prompt: s.promptTokens },
      timings: {
        load_s: round(s.loadSeconds),
        generate_s: round(s.generateSeconds),
        generate_cpu_s: round(s.generateCpuSeconds),
        generated_tokens_per_s: round(s.tokensPerSecond),
      },
    });
  };
  writeRunJson("running");
  // Whatever ends the process from here (a bug, a second Ctrl-C), run.json must not say running.
  let settled = false;
  const onExit = () => {
    if (!settled) writeRunJson(hooks.signal?.aborted ? "interrupted" : "failed");
  };
  process.on("exit", onExit);

  const report = () => {
    const s = summary("complete");
    const done = s.records + s.rejects;
    const eta = etaSeconds(counts.written + counts.rejected, target - done, s.generateSeconds, llm.capacity);
    hooks.onProgress?.({ done, target, rejected: s.rejects, tokensPerSecond: s.tokensPerSecond, etaSeconds: eta });
  };

  const produce = async (job: PlannedConversation, position: number) => {
    const long = longRun?.jobFor(position);
    const timing = long ? longRun?.start(long) : undefined;
    const outcome = await llm.withSession(async (session) => {
      const result = await produceRecord(deps, session, job, counts, long);
      if (result !== "aborted") llm.recordDone?.(session);
      return result;
    });
    timing?.end(outcome === "aborted" ? "aborted" : outcome.ok ? "written" : "rejected");
    if (outcome === "aborted") return;
    if (outcome.ok) {
      records.append(outcome.record);
      counts.written++;
    } else {
      rejects.append(outcome.reject);
      counts.rejected++;
      const reason = String(outcome.reject.reason);
      rejectReasons[reason] = (rejectReasons[reason] ?? 0) + 1;
    }
    report();
  };

  // In-process: the context's sequences; over --server: the servers' slots together.
  const failures: unknown[] = [];
  let queue: PQueue | undefined;
  try {
    queue = new PQueue({ concurrency: llm.capacity });
    report();
    for (const [position, job] of planned.entries()) {
      if (hooks.signal?.aborted) break;
      if (resume.done.has(job.id)) continue;
      await queue.onSizeLessThan(llm.capacity);
      if (failures.length > 0) break;
      queue.add(() => produce(job, position)).catch((err: unknown) => failures.push(err));
    }
    await queue.onIdle();
    if (failures.length > 0) throw failures[0];
    const status = hooks.signal?.aborted ? "interrupted" : "complete";
    writeRunJson(status);
    settled = true;
    return summary(status);
  } catch (err) {
    queue?.clear();
    await queue?.onIdle();
    // Every server gone for --server-wait: a clean stop that a rerun resumes.
    writeRunJson(err instanceof ServersUnavailableError || hooks.signal?.aborted ? "interrupted" : "failed");
    settled = true;
    throw err;
  } finally {
    longRun?.close();
    process.off("exit", onExit);
    releaseOutputLock(config.out);
    records.close();
    rejects.close();
    await llm.close();
  }
}

/** The in-process model (a GGUF through node-llama-cpp), or the client of the --server fleet. */
async function openModel(
  config: GenerateConfig,
  log: (line: string) => void,
): Promise<{ model: GenerationModel; info: GenerateSummary["model"]; threads: number | null }> {
  if (config.servers.length > 0) {
    const model = await FleetModel.connect({
      urls: config.servers,
      kind: config.serverKind,
      concurrency: config.serverConcurrency,
      waitSeconds: config.serverWaitSeconds,
      timeoutSeconds: config.requestTimeoutSeconds,
      contextSize: config.contextSize,
      log,
      apiKey: loadApiKey(config.apiKeyFile),
    });
    log(
      `generating on ${config.servers.length} server${config.servers.length > 1 ? "s" : ""} serving ${model.identity} ` +
        `(${model.capacity} calls at once)`,
    );
    return {
      model,
      info: { path: null, sha256: null, bytes: null, smoke: false, identity: model.identity, name: model.name, reported: model.reported },
      threads: null,
    };
  }
  const smoke = config.model === null;
  const modelPath = config.model ?? (await ensureSmokeModel({ stopBoost: GENERATE_STOP_BOOST }));
  if (!existsSync(modelPath)) throw new UsageError(`model file not found: ${modelPath}`);
  if (smoke) log(SMOKE_NOTICE);
  // node-llama-cpp loads only here: every other command (and a --server run) starts without it.
  const { LocalModel, physicalCores } = await import("./model/local.js");
  const threads = config.threads ?? (smoke ? 1 : physicalCores());
  const bytes = statSync(modelPath).size;
  // Hashing a large model takes as long as loading it: do both at once.
  const [sha256, model] = await Promise.all([
    sha256File(modelPath),
    LocalModel.load({ modelPath, gpu: config.gpu, threads, sequences: config.concurrency, contextSize: config.contextSize }),
  ]);
  return { model, info: { path: modelPath, sha256, bytes, smoke, identity: `sha256:${sha256}` }, threads };
}

/**
 * One-time set-up that would otherwise happen on the first record, inside the generation time:
 * the tokenizer's rank table and the validator's compiled schemas (the record schema and every
 * catalog tool's parameters). About 0.3 s on the 2-core dev machine; it belongs to loading.
 */
function warmUp(tools: Iterable<CatalogTool>): void {
  getTokenizer().encodeText("warm-up");
  // Only the compile matters here; a record's own validation still decides what is written.
  validateRecord({
    id: "warm-up",
    persona: null,
    tools: [...tools].map(toolDefinition),
    messages: [
      { role: "user", content: "warm-up" },
      { role: "assistant", content: "warm-up" },
    ],
  });
}

type Outcome = { ok: true; record: ConversationRecord } | { ok: false; reject: Record<string, unknown> } | "aborted";

/** Tries one planned conversation up to 1 + retries times with fresh seeds; the last failure becomes its reject. */
async function produceRecord(
  deps: ConversationDeps,
  session: ModelSession,
  job: PlannedConversation,
  counts: { attempts: number },
  long?: LongJob,
): Promise<Outcome> {
  const { config } = deps;
  const { id, persona, index } = job;
  // code: a StepError's (`<step>_truncated`, …), final_too_short or a validate ReasonCode (docs/GENERATE.md): not one union.
  const failures: { attempt: number; seed: number; code: string; message: string }[] = [];
  for (let attempt = 0; attempt <= config.retries; attempt++) {
    const seed = recordSeed(config.seed, persona, index, attempt);
    counts.attempts++;
    try {
      const record = long
        ? await generateLongConversation(deps, session, { plan: job, seed, long }, config.answerCheck)
        : await generateConversation(deps, session, { plan: job, seed });
      const problem = qualityProblem(record, config);
      // Validate exactly what will be written (the JSON round trip, numbers as written), not the in-memory object.
      const result = problem ? null : validateRecord(roundTrip(record));
      if (result?.ok) return { ok: true, record: result.record };
      const issue =
        problem ??
        (result && !result.ok
          ? { code: result.issues[0].code, message: result.issues.map((i) => `${i.code}: ${describeIssue(i)}`).join("; ") }
          : undefined);
      if (issue) failures.push({ attempt, seed, ...issue });
    } catch (err) {
      if (err instanceof AbortedError) return "aborted";
      if (!(err instanceof StepError)) throw err;
      failures.push({ attempt, seed, code: err.code, message: err.message });
    }
  }
  const last = failures[failures.length - 1];
  const about = {
    scenario: job.scenario,
    theme: job.theme,
    trap: job.trap,
    refusal_class: job.refusal_class,
    request_harmful: job.request_harmful,
  };
  const longAbout = long
    ? { long_context: { band: long.band, task: long.task, payload: long.payload, target_tokens: long.targetTokens } }
    : {};
  return { ok: false, reject: { id, persona, reason: last.code, message: last.message, ...about, ...longAbout, attempts: failures } };
}

/** Pipeline quality gates beyond the validator (quality.* in the pipeline file). */
function qualityProblem(record: ConversationRecord, config: GenerateConfig): { code: string; message: string } | null {
  const final = record.messages[record.messages.length - 1];
  const chars = [...(final?.content ?? "")].length;
  if (chars < config.quality.minFinalChars)
    return {
      code: "final_too_short",
      message: `final answer has ${chars} characters, quality.minFinalChars is ${config.quality.minFinalChars}`,
    };
  return null;
}

const round = (x: number): number => Math.round(x * 1000) / 1000;

/** The record as a reader of conversations.jsonl will see it. */
function roundTrip(record: ConversationRecord): unknown {
  const read = parseJsonText(stringifyJson(record));
  return "error" in read ? record : read.value;
}
