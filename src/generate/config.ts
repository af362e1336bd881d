// The generate configuration: a pipeline file (checked against schemas/pipeline.schema.json, every
// error reported with its JSON path), then command-line overrides, then defaults.
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { Ajv2020 } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import { UsageError } from "../core/errors.js";
import { ownSchemasAjv } from "../validate/schemas.js";
import { redactText, redactUrl } from "../core/redact.js";
import { projectRoot } from "../core/project.js";
import { PERSONAS } from "../core/record.js";
import { BANDS, MAX_CONTEXT, type LengthMix } from "../longctx/bands.js";
import type { SeedSpace } from "../longctx/tasks.js";
import type { ServerKindChoice } from "./model/servers/index.js";

const addFormats = formatsModule.default;

export type GpuChoice = "auto" | "cuda" | "vulkan" | "cpu";
export type { ServerKindChoice };
export type PersonaChoice = (typeof PERSONAS)[number] | null;

export interface MaxTokens {
  user: number;
  /** One budget, or one per reasoning effort. */
  thinking: number | Record<"low" | "medium" | "high", number>;
  decision: number;
  arguments: number;
  toolResult: number;
  final: number;
}

export type Effort = "low" | "medium" | "high";

export interface GenerateConfig {
  name: string;
  /** Personas in run order; null = records without a persona. */
  personas: PersonaChoice[];
  count: number;
  seed: number;
  date: string;
  /** One effort for every conversation, or the share of each (assigned by quota; meta.reasoning_effort). */
  reasoningEffort: Effort | Partial<Record<Effort, number>>;
  turns: { min: number; max: number };
  toolRoundsPerTurn: number;
  toolCatalogs: string[];
  /** data/scenario_parts: what the plan crosses. */
  scenarioParts: string;
  /** Only these stratum groups (themes, sycophancy, refusal_calibration); null: all. */
  themes: string[] | null;
  plan: {
    mix: Record<string, number> | null;
    noPersonaShare: number;
    openings: "compose" | "rewrite";
    holdoutShare: number;
    toolUse: { noToolTurnShare: number; errorTurnShare: number; distractorTools: number };
  };
  /** --holdout FILE: reserve families for evaluation and write them here; null: no holdout. */
  holdoutFile: string | null;
  templates: string;
  sampling: { temperature: number; topK: number; topP: number; minP: number };
  maxTokens: MaxTokens;
  grammar: { maxStringLength: number; maxArrayItems: number };
  quality: { minFinalChars: number; leakCheck: boolean };
  retries: number;
  stepRetries: number;
  /** Absolute GGUF path, or null for the smoke model. */
  model: string | null;
  contextSize: number;
  concurrency: number;
  /** null: chosen from the model (1 for the smoke model, physical cores otherwise). */
  threads: number | null;
  gpu: GpuChoice;
  /** Inference servers that take every model call (--server); empty: the in-process model. */
  servers: string[];
  serverKind: ServerKindChoice;
  /** Calls in flight per vLLM or SGLang server (llama-server: its own slot count). */
  serverConcurrency: number;
  /** All servers down: seconds to wait before the run stops (interrupted, resumable). */
  serverWaitSeconds: number;
  /** One server call's deadline in seconds. */
  requestTimeoutSeconds: number;
  /** --api-key-file: where the servers' API key is read (the key itself is never in the config). */
  apiKeyFile?: string | null;
  out: string;
  /** Where the configuration came from (shown in run.json). */
  pipelineFile: string;
  /** Long-context conversations (docs/LONG_CONTEXT.md): their share and length mix; null = none. */
  longContext: (LengthMix & { share: number; seedSpace: SeedSpace }) | null;
  /** --haystack DIR: long payloads read from the user's files instead of made by code. */
  haystack: string | null;
  /** meta.expected_answers written and checked (off: --no-answer-check; the answers are kept unchecked). */
  answerCheck: boolean;
}

/** Command-line overrides; undefined = keep the pipeline's value. */
export interface GenerateOverrides {
  personas?: string;
  count?: number;
  model?: string;
  out?: string;
  seed?: number;
  concurrency?: number;
  threads?: number;
  gpu?: string;
  /** --server, repeatable; each may be a comma list. */
  server?: string[];
  serverKind?: string;
  serverWait?: number;
  requestTimeout?: number;
  haystack?: string;
  /** false: --no-answer-check. */
  answerCheck?: boolean;
  holdout?: string;
  apiKeyFile?: string;
}

/** The smoke model's profile; its file is also where every setting's default lives. */
const defaultPipelinePath = (): string => join(projectRoot(), "pipelines", "default.json");
/** The profile of a real model (--model or --server without --pipeline): the seed dataset's budgets. */
const realModelPipelinePath = (): string => join(projectRoot(), "pipelines", "kappa.json");

let pipelineValidator: ReturnType<Ajv2020["compile"]> | undefined;

function validatePipelineJson(value: unknown): string[] {
  if (!pipelineValidator) {
    const ajv = ownSchemasAjv({ allErrors: true });
    addFormats(ajv, ["date"]);
    const schema = JSON.parse(readFileSync(join(projectRoot(), "schemas", "pipeline.schema.json"), "utf8")) as object;
    pipelineValidator = ajv.compile(schema);
  }
  if (pipelineValidator(value)) return [];
  return (pipelineValidator.errors ?? []).map((e) => {
    const path = e.instancePath || "/";
    const extra =
      e.keyword === "additionalProperties"
        ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"`
        : e.keyword === "enum"
          ? ` ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`
          : "";
    return `${path}: ${e.message}${extra}`;
  });
}

/** Reads and checks a pipeline file; all schema errors in one UsageError (exit 2). */
function readPipelineFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read pipeline file ${file}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${file}: invalid_pipeline not JSON: ${(err as Error).message}`);
  }
  const errors = validatePipelineJson(value);
  if (errors.length > 0) {
    throw new UsageError(
      `${file}: invalid_pipeline (${errors.length} error${errors.length > 1 ? "s" : ""}, see schemas/pipeline.schema.json)`,
      errors,
    );
  }
  return value as Record<string, unknown>;
}

/** Parses --persona all|none|LIST into the run's personas (null = no persona). */
export function parsePersonas(value: string | string[]): PersonaChoice[] {
  if (value === "all") return [...PERSONAS];
  const names =
    typeof value === "string"
      ? value === "none"
        ? ["none"]
        : value
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
      : value;
  if (names.length === 0) throw new UsageError(`--persona needs all, none, or a comma-separated list of: ${PERSONAS.join(", ")}`);
  const seen = new Set<string>();
  return names.map((name) => {
    if (name !== "none" && !(PERSONAS as readonly string[]).includes(name))
      throw new UsageError(`unknown persona "${name}"; known: all, none, ${PERSONAS.join(", ")}`);
    if (seen.has(name)) throw new UsageError(`persona "${name}" is listed twice`);
    seen.add(name);
    return name === "none" ? null : (name as PersonaChoice);
  });
}

const GPU_CHOICES: GpuChoice[] = ["auto", "cuda", "vulkan", "cpu"];

/** --server values (repeatable, comma lists) → distinct http(s) base URLs. */
function parseServers(values: string[], modelGiven: boolean): string[] {
  const urls = values.flatMap((v) => v.split(",")).map((v) => v.trim());
  // An empty --server (a variable that was not set) must not fall back to the in-process model.
  if (urls.includes(""))
    throw new UsageError(
      `--server needs a URL (example: http://10.0.0.5:8000); ` +
        `got an empty one${values.length > 0 ? ` in "${redactText(values.join(","))}"` : ""}`,
    );
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(`--server "${redactText(url)}" is not a URL (example: http://10.0.0.5:8000)`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:")
      throw new UsageError(`--server "${redactUrl(url)}": only http:// and https:// servers are supported`);
  }
  if (urls.length > 0 && modelGiven) throw new UsageError("--model and --server exclude each other: the servers serve their own model");
  if (new Set(urls).size !== urls.length) throw new UsageError("--server lists the same URL twice");
  return urls;
}

/** --api-key-file is read when the servers are: it only makes sense with --server. */
function apiKeyFileFor(overrides: GenerateOverrides): string | null {
  if (overrides.apiKeyFile === undefined) return null;
  if ((overrides.server ?? []).length === 0)
    throw new UsageError("--api-key-file is the API key of the --server servers; pass it with --server");
  return resolve(overrides.apiKeyFile);
}

/**
 * Pipeline file + overrides → a complete configuration. No --pipeline: pipelines/kappa.json for a
 * real model (--model, --server), pipelines/default.json (smoke-sized budgets) for the smoke model.
 * A setting the file leaves out takes pipelines/default.json's value: defaults have that one home.
 */
export function loadGenerateConfig(pipelineFile: string | undefined, overrides: GenerateOverrides = {}): GenerateConfig {
  const realModel = overrides.model !== undefined || (overrides.server ?? []).some((v) => v.trim() !== "");
  const file = resolve(pipelineFile ?? (realModel ? realModelPipelinePath() : defaultPipelinePath()));
  const raw = readPipelineFile(file);
  const defaultsFile = defaultPipelinePath();
  const defaults = file === defaultsFile ? raw : readPipelineFile(defaultsFile);
  const fromFile = (p: string): string => (isAbsolute(p) ? p : resolve(dirname(file), p));
  const fromDefaults = (p: string): string => (isAbsolute(p) ? p : resolve(dirname(defaultsFile), p));
  // A value from the file, else the defaults file's; objects merge one level (a file may set one budget).
  const get = <T>(key: string): T => {
    const own = raw[key];
    const base = defaults[key];
    if (isPlainObject(own) && isPlainObject(base)) return { ...base, ...own } as T;
    return (own === undefined ? base : own) as T;
  };
  const path = (key: string, value: string | undefined, fallback: string | undefined): string => {
    const chosen = value ?? fallback;
    if (chosen === undefined) throw new UsageError(`${defaultsFile}: invalid_pipeline /${key}: missing (it holds every setting's default)`);
    return value !== undefined ? fromFile(value) : fromDefaults(chosen);
  };

  if (overrides.gpu !== undefined && !GPU_CHOICES.includes(overrides.gpu as GpuChoice))
    throw new UsageError(`--gpu must be one of ${GPU_CHOICES.join(", ")}, got "${overrides.gpu}"`);
  const turns = get<{ min: number; max: number }>("turns");
  if (turns.min > turns.max)
    throw new UsageError(`${file}: invalid_pipeline /turns: min (${turns.min}) is greater than max (${turns.max})`);
  const rawModel = overrides.model !== undefined ? resolve(overrides.model) : (get<string | null>("model") ?? null);
  const ownTools = (raw.tools as { catalogs?: string[] } | undefined)?.catalogs;
  const baseTools = (defaults.tools as { catalogs?: string[] } | undefined)?.catalogs ?? [];
  const ownScenarios = (raw.scenarios ?? {}) as { parts?: string; themes?: string[] };
  const baseScenarios = (defaults.scenarios ?? {}) as { parts?: string; themes?: string[] };
  const plan = get<Record<string, unknown>>("plan");
  const basePlan = (defaults.plan ?? {}) as Record<string, unknown>;
  const toolUse = { ...(basePlan.toolUse as object), ...(plan.toolUse as object) } as GenerateConfig["plan"]["toolUse"];
  const longContext = longContextOf(get<Record<string, unknown> | undefined>("longContext") ?? null, file);

  const personaSetting = overrides.personas ?? get<string | string[]>("personas");
  return {
    name: get("name"),
    personas: parsePersonas(personaSetting),
    count: overrides.count ?? get("count"),
    seed: overrides.seed ?? get("seed"),
    date: get("date"),
    reasoningEffort: get("reasoningEffort"),
    turns,
    toolRoundsPerTurn: get("toolRoundsPerTurn"),
    toolCatalogs: ownTools ? ownTools.map(fromFile) : baseTools.map(fromDefaults),
    scenarioParts: path("scenarios/parts", ownScenarios.parts, baseScenarios.parts),
    themes: ownScenarios.themes ?? null,
    plan: {
      mix: (plan.mix as Record<string, number> | undefined) ?? null,
      // Only `--persona all` adds no-persona conversations: a list the user names is the run's whole mix.
      noPersonaShare: personaSetting === "all" ? (plan.noPersonaShare as number) : 0,
      openings: plan.openings as "compose" | "rewrite",
      holdoutShare: plan.holdoutShare as number,
      toolUse,
    },
    holdoutFile: overrides.holdout !== undefined ? resolve(overrides.holdout) : null,
    templates: path("templates", raw.templates as string | undefined, defaults.templates as string | undefined),
    sampling: get("sampling"),
    maxTokens: get("maxTokens"),
    grammar: get("grammar"),
    quality: get("quality"),
    retries: get("retries"),
    stepRetries: get("stepRetries"),
    model: rawModel === null ? null : overrides.model !== undefined ? rawModel : fromFile(rawModel),
    contextSize: contextSizeOf(get<number | "auto">("contextSize"), longContext, file),
    concurrency: overrides.concurrency ?? get("concurrency"),
    threads: overrides.threads ?? get<number | null>("threads"),
    gpu: (overrides.gpu as GpuChoice | undefined) ?? get("gpu"),
    servers: parseServers(overrides.server ?? [], overrides.model !== undefined),
    serverKind: (overrides.serverKind as ServerKindChoice | undefined) ?? "auto",
    serverConcurrency: overrides.concurrency ?? 16,
    serverWaitSeconds: overrides.serverWait ?? 600,
    requestTimeoutSeconds: overrides.requestTimeout ?? 300,
    apiKeyFile: apiKeyFileFor(overrides),
    out: outputFolder(overrides.out ?? get("out")),
    pipelineFile: file,
    longContext,
    haystack: overrides.haystack !== undefined ? resolve(overrides.haystack) : null,
    answerCheck: overrides.answerCheck ?? true,
  };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** Thinking budget of one effort. */
export const thinkingTokens = (m: MaxTokens, effort: Effort): number => (typeof m.thinking === "number" ? m.thinking : m.thinking[effort]);

/** "-" is stdin for inputs; resolved as a path it would become a folder named "-" in the current folder. */
function outputFolder(out: string): string {
  if (out === "-")
    throw new UsageError("--out -: generate writes a folder (conversations.jsonl, rejects.jsonl, run.json), not stdout; name a folder");
  return resolve(out);
}

/** The pipeline's longContext section with its defaults (schema-checked already). */
function longContextOf(raw: Record<string, unknown> | null, file: string): GenerateConfig["longContext"] {
  if (raw === null) return null;
  const mix = raw as unknown as LengthMix & { share?: number; seedSpace?: SeedSpace };
  if (!Object.values(mix.bands).some((share) => (share ?? 0) > 0))
    throw new UsageError(`${file}: invalid_pipeline /longContext/bands: no band has a share above 0`);
  return { ...mix, share: mix.share ?? 1, seedSpace: mix.seedSpace ?? "train", answerBudget: mix.answerBudget ?? 2048 };
}

/** "auto": room for the longest band of the mix plus its answer (at most 131,072); else the number given. */
function contextSizeOf(value: number | "auto", longContext: GenerateConfig["longContext"], file: string): number {
  if (value !== "auto") return value;
  if (!longContext)
    throw new UsageError(
      `${file}: invalid_pipeline /contextSize: "auto" sizes the context from longContext, which this pipeline does not have`,
    );
  const longest = Math.max(...BANDS.filter((b) => (longContext.bands[b.id] ?? 0) > 0).map((b) => b.max));
  return Math.min(MAX_CONTEXT, longest + longContext.answerBudget);
}
