// The generate configuration: a pipeline file (checked against schemas/pipeline.schema.json, every
// error reported with its JSON path), then command-line overrides, then defaults.
import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020.js";
import formatsModule from "ajv-formats";
import { UsageError } from "../core/errors.js";
import { redactText, redactUrl } from "../core/redact.js";
import { projectRoot } from "../core/project.js";
import { PERSONAS } from "../core/record.js";

const addFormats = formatsModule.default;

export type GpuChoice = "auto" | "cuda" | "vulkan" | "cpu";
export type ServerKindChoice = "auto" | "llama-server" | "vllm" | "sglang";
export type PersonaChoice = (typeof PERSONAS)[number] | null;

export interface MaxTokens {
  user: number;
  thinking: number;
  decision: number;
  arguments: number;
  toolResult: number;
  final: number;
}

export interface GenerateConfig {
  name: string;
  /** Personas in run order; null = records without a persona. */
  personas: PersonaChoice[];
  count: number;
  seed: number;
  date: string;
  reasoningEffort: "low" | "medium" | "high";
  turns: { min: number; max: number };
  toolRoundsPerTurn: number;
  toolCatalogs: string[];
  scenarioSources: string[];
  themes: string[] | null;
  templates: string;
  sampling: { temperature: number; topK: number; topP: number; minP: number };
  maxTokens: MaxTokens;
  grammar: { maxStringLength: number; maxArrayItems: number };
  quality: { minFinalChars: number };
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
  apiKeyFile?: string;
}


const defaultPipelinePath = (): string => join(projectRoot(), "pipelines", "default.json");

let pipelineValidator: ReturnType<Ajv2020["compile"]> | undefined;

function validatePipelineJson(value: unknown): string[] {
  if (!pipelineValidator) {
    const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true });
    addFormats(ajv, ["date"]);
    const schema = JSON.parse(readFileSync(join(projectRoot(), "schemas", "pipeline.schema.json"), "utf8")) as object;
    pipelineValidator = ajv.compile(schema);
  }
  if (pipelineValidator(value)) return [];
  return (pipelineValidator.errors ?? []).map((e) => {
    const path = e.instancePath || "/";
    const extra = e.keyword === "additionalProperties" ? ` "${(e.params as { additionalProperty: string }).additionalProperty}"` : e.keyword === "enum" ? ` ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}` : "";
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
    throw new UsageError(`${file}: invalid_pipeline (${errors.length} error${errors.length > 1 ? "s" : ""}, see schemas/pipeline.schema.json)`, errors);
  }
  return value as Record<string, unknown>;
}

/** Parses --persona all|none|LIST into the run's personas (null = no persona). */
export function parsePersonas(value: string | string[]): PersonaChoice[] {
  if (value === "all") return [...PERSONAS];
  const names = typeof value === "string" ? (value === "none" ? ["none"] : value.split(",").map((s) => s.trim()).filter(Boolean)) : value;
  if (names.length === 0) throw new UsageError(`--persona needs all, none, or a comma-separated list of: ${PERSONAS.join(", ")}`);
  const seen = new Set<string>();
  return names.map((name) => {
    if (name !== "none" && !(PERSONAS as readonly string[]).includes(name)) throw new UsageError(`unknown persona "${name}"; known: all, none, ${PERSONAS.join(", ")}`);
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
  if (urls.includes("")) throw new UsageError(`--server needs a URL (example: http://10.0.0.5:8000); got an empty one${values.length > 0 ? ` in "${redactText(values.join(","))}"` : ""}`);
  for (const url of urls) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(`--server "${redactText(url)}" is not a URL (example: http://10.0.0.5:8000)`);
    }
    if (parsed.protocol !== "http:" && parsed.protocol !== "https:") throw new UsageError(`--server "${redactUrl(url)}": only http:// and https:// servers are supported`);
  }
  if (urls.length > 0 && modelGiven) throw new UsageError("--model and --server exclude each other: the servers serve their own model");
  if (new Set(urls).size !== urls.length) throw new UsageError("--server lists the same URL twice");
  return urls;
}

/** --api-key-file is read when the servers are: it only makes sense with --server. */
function apiKeyFileFor(overrides: GenerateOverrides): string | null {
  if (overrides.apiKeyFile === undefined) return null;
  if ((overrides.server ?? []).length === 0) throw new UsageError("--api-key-file is the API key of the --server servers; pass it with --server");
  return resolve(overrides.apiKeyFile);
}

/** Pipeline file (default pipelines/default.json) + overrides → a complete configuration. */
export function loadGenerateConfig(pipelineFile: string | undefined, overrides: GenerateOverrides = {}): GenerateConfig {
  const file = resolve(pipelineFile ?? defaultPipelinePath());
  const raw = readPipelineFile(file);
  const fromFile = (p: string): string => (isAbsolute(p) ? p : resolve(dirname(file), p));
  const get = <T>(key: string, fallback: T): T => (raw[key] === undefined ? fallback : (raw[key] as T));
  const root = projectRoot();

  if (overrides.gpu !== undefined && !GPU_CHOICES.includes(overrides.gpu as GpuChoice)) throw new UsageError(`--gpu must be one of ${GPU_CHOICES.join(", ")}, got "${overrides.gpu}"`);
  const turns = get("turns", { min: 1, max: 2 });
  if (turns.min > turns.max) throw new UsageError(`${file}: invalid_pipeline /turns: min (${turns.min}) is greater than max (${turns.max})`);
  const rawModel = overrides.model !== undefined ? resolve(overrides.model) : (get<string | null>("model", null) ?? null);
  const tools = get<{ catalogs?: string[] }>("tools", {});
  const scenarios = get<{ sources?: string[]; themes?: string[] }>("scenarios", {});

  return {
    name: get("name", "default"),
    personas: parsePersonas(overrides.personas ?? get<string | string[]>("personas", "all")),
    count: overrides.count ?? get("count", 2),
    seed: overrides.seed ?? get("seed", 1),
    date: get("date", "2026-06-15"),
    reasoningEffort: get("reasoningEffort", "medium"),
    turns,
    toolRoundsPerTurn: get("toolRoundsPerTurn", 1),
    toolCatalogs: tools.catalogs?.map(fromFile) ?? [join(root, "data", "tools")],
    scenarioSources: scenarios.sources?.map(fromFile) ?? [join(root, "data", "scenarios")],
    themes: scenarios.themes ?? null,
    templates: fromFile(get("templates", join(root, "templates"))),
    sampling: { temperature: 0.8, topK: 40, topP: 0.95, minP: 0.05, ...get("sampling", {}) },
    maxTokens: { user: 32, thinking: 24, decision: 12, arguments: 160, toolResult: 200, final: 48, ...get("maxTokens", {}) },
    grammar: { maxStringLength: 16, maxArrayItems: 1, ...get("grammar", {}) },
    quality: { minFinalChars: 1, ...get("quality", {}) },
    retries: get("retries", 2),
    stepRetries: get("stepRetries", 3),
    model: rawModel === null ? null : overrides.model !== undefined ? rawModel : fromFile(rawModel),
    contextSize: get("contextSize", 4096),
    concurrency: overrides.concurrency ?? get("concurrency", 4),
    threads: overrides.threads ?? get<number | null>("threads", null),
    gpu: (overrides.gpu as GpuChoice | undefined) ?? get("gpu", "auto"),
    servers: parseServers(overrides.server ?? [], overrides.model !== undefined),
    serverKind: (overrides.serverKind as ServerKindChoice | undefined) ?? "auto",
    serverConcurrency: overrides.concurrency ?? 16,
    serverWaitSeconds: overrides.serverWait ?? 600,
    requestTimeoutSeconds: overrides.requestTimeout ?? 300,
    apiKeyFile: apiKeyFileFor(overrides),
    out: outputFolder(overrides.out ?? get("out", "out/generate")),
    pipelineFile: file,
  };
}

/** "-" is stdin for inputs; resolved as a path it would become a folder named "-" in the current folder. */
function outputFolder(out: string): string {
  if (out === "-") throw new UsageError("--out -: generate writes a folder (conversations.jsonl, rejects.jsonl, run.json), not stdout; name a folder");
  return resolve(out);
}
