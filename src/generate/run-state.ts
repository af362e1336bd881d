// A generate run's state lives with its output folder: run.json (status, fingerprint, counts,
// timings) and the resume check. The fingerprint is built from a declared list of settings: every
// field of GenerateConfig is classified below, so a new setting cannot be left out by accident.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { checkResumable as checkRunJson } from "../core/run-json.js";
import type { GenerateConfig } from "./config.js";
import { RUN_FILE, writeJsonAtomic } from "./output.js";

/**
 * "record": changes what a record contains, so a resumed run must match it; "content": a path whose
 * files' bytes count (catalogs, parts, templates); "free": how or where the run works, or which ids
 * it makes (a larger --count extends a run: the plan is prefix-stable).
 */
export const SETTING_ROLES = {
  name: "free",
  personas: "free",
  count: "free",
  seed: "record",
  date: "record",
  reasoningEffort: "record",
  turns: "record",
  toolRoundsPerTurn: "record",
  toolCatalogs: "content",
  scenarioParts: "content",
  themes: "record",
  plan: "record",
  holdoutFile: "free",
  templates: "content",
  sampling: "record",
  maxTokens: "record",
  grammar: "record",
  quality: "record",
  retries: "record",
  stepRetries: "record",
  model: "free",
  contextSize: "free",
  concurrency: "free",
  threads: "free",
  gpu: "free",
  servers: "free",
  serverKind: "free",
  serverConcurrency: "free",
  serverWaitSeconds: "free",
  requestTimeoutSeconds: "free",
  apiKeyFile: "free",
  out: "free",
  pipelineFile: "free",
  longContext: "record",
  haystack: "content",
  answerCheck: "record",
} as const satisfies Record<keyof GenerateConfig, "record" | "content" | "free">;

/** sha256 of every file under the paths (sorted, names included). */
function hashContent(paths: string[]): string {
  const hash = createHash("sha256");
  const visit = (p: string): void => {
    if (!existsSync(p)) return;
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) visit(join(p, name));
      return;
    }
    hash.update(p.split("/").slice(-2).join("/")).update("\0").update(readFileSync(p)).update("\0");
  };
  for (const p of paths) visit(p);
  return hash.digest("hex");
}

/** Settings that change what a record contains, and the model: a resumed run must match them. */
export function fingerprint(config: GenerateConfig, modelSha: string): string {
  const parts: Record<string, unknown> = { modelSha, holdout: config.holdoutFile !== null };
  for (const [key, role] of Object.entries(SETTING_ROLES) as [keyof GenerateConfig, string][]) {
    if (role === "record") parts[key] = config[key];
    if (role === "content") {
      const value = config[key] as string | string[] | null;
      parts[key] = value === null ? null : hashContent(Array.isArray(value) ? value : [value]);
    }
  }
  return createHash("sha256").update(JSON.stringify(parts)).digest("hex").slice(0, 16);
}

/** Refuses to resume a run made with another model or other settings. */
export function checkResumable(out: string, print: string, identity: string): void {
  checkRunJson(join(out, RUN_FILE), out, {
    fingerprint: print,
    format: "datagen-generate-run/1",
    identity,
    modelMismatch: (before, now) =>
      `${out} holds a run made with model ${before}, but this run's model is ${now}; ` +
      `resume it with the same model, or choose another --out`,
    settingsMismatch:
      `${out} holds a run with different settings (model, seed, sampling, budgets, plan, catalogs or quality); ` +
      `resume it with the same settings, or choose another --out`,
  });
}

export type RunStatus = "running" | "failed" | "complete" | "interrupted";

/** run.json's content, rewritten (atomically) as the run goes. */
export function writeRunJson(out: string, body: Record<string, unknown>): void {
  writeJsonAtomic(join(out, RUN_FILE), { format: "datagen-generate-run/1", ...body, written_at: new Date().toISOString() });
}
