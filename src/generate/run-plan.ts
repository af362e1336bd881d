// The plan of a configured run (what `datagen generate --plan` prints and the run executes), and the
// holdout file. No model is loaded here.
import { UsageError } from "../core/errors.js";
import { stringifyJson } from "../core/json.js";
import { checkOutputFile, writeFileAtomic } from "../core/output.js";
import { loadTools } from "./catalog.js";
import type { GenerateConfig } from "./config.js";
import { loadScenarioParts, type ScenarioParts } from "./parts.js";
import { buildPlan, holdoutLines, PlanError, REFUSAL, SYCOPHANCY, type Plan, type PlanSettings } from "./plan.js";

export function planSettings(config: GenerateConfig): PlanSettings {
  return {
    seed: config.seed,
    personas: config.personas,
    count: config.count,
    noPersonaShare: config.plan.noPersonaShare,
    mix: config.plan.mix,
    reasoningEffort: config.reasoningEffort,
    turns: config.turns,
    toolRoundsPerTurn: config.toolRoundsPerTurn,
    toolUse: config.plan.toolUse,
    openings: config.plan.openings,
    // Families are reserved only when a holdout file is asked for.
    holdoutShare: config.holdoutFile ? config.plan.holdoutShare : 0,
    maxTokens: config.maxTokens,
  };
}

/** Families of the groups named in scenarios.themes only (a theme, sycophancy, refusal_calibration). */
function chooseGroups(parts: ScenarioParts, themes: string[] | null, file: string): ScenarioParts {
  if (!themes) return parts;
  const groups = new Set(parts.families.map((f) => (f.trap ? SYCOPHANCY : f.theme)));
  for (const t of themes)
    if (!groups.has(t))
      throw new UsageError(`${file}: scenarios.themes names "${t}", which has no scenario families; known: ${[...groups].join(", ")}`);
  return { ...parts, families: parts.families.filter((f) => themes.includes(f.trap ? SYCOPHANCY : f.theme)) };
}

export function loadPlan(config: GenerateConfig): { plan: Plan; parts: ScenarioParts } {
  const tools = loadTools(config.toolCatalogs);
  const parts = chooseGroups(loadScenarioParts(config.scenarioParts, new Set(tools.keys())), config.themes, config.pipelineFile);
  const settings = planSettings(config);
  if (settings.mix && config.themes)
    settings.mix = Object.fromEntries(Object.entries(settings.mix).filter(([k]) => config.themes?.includes(k)));
  try {
    return { plan: buildPlan(settings, parts, [...tools.keys()]), parts };
  } catch (err) {
    if (err instanceof PlanError) throw new UsageError(`${config.pipelineFile}: invalid_pipeline /plan: ${err.message}`);
    throw err;
  }
}

/** --holdout FILE: one JSON line per reserved family side (the format docs/GENERATE.md gives eval). */
export function writeHoldout(config: GenerateConfig, plan: Plan, parts: ScenarioParts): number {
  if (!config.holdoutFile) return 0;
  checkOutputFile(config.holdoutFile, "--holdout");
  const lines = holdoutLines(plan, parts);
  writeFileAtomic(config.holdoutFile, lines.map((l) => stringifyJson(l) + "\n").join(""), "--holdout");
  return lines.length;
}

export { REFUSAL, SYCOPHANCY };
