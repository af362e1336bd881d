// `datagen generate --plan`: the plan a run would execute, as a table or as JSON lines.
import { escapeControls, jsonLine } from "../core/escape.js";
import type { GenerateConfig } from "./config.js";
import { summarizePlan, type PlannedConversation, type PlanSummary } from "./plan.js";
import { loadPlan, writeHoldout } from "./run-plan.js";

const planLine = (p: PlannedConversation) => ({
  id: p.id,
  persona: p.persona,
  theme: p.theme,
  trap: p.trap,
  refusal_class: p.refusal_class,
  request_harmful: p.request_harmful,
  family: p.family,
  scenario: p.scenario,
  seed: p.seed,
  reasoning_effort: p.reasoning_effort,
  turns: p.turns,
  tool_rounds: p.tool_rounds,
  tool_error_turn: p.tool_error_turn,
  parts: p.parts,
  opening: p.opening,
  budget_tokens: p.budget_tokens,
});

export function printPlan(config: GenerateConfig, json: boolean): PlanSummary {
  const { plan, parts } = loadPlan(config);
  const held = writeHoldout(config, plan, parts);
  const summary = summarizePlan(plan);
  const write = (s: string) => process.stdout.write(s);
  if (json) {
    // Chunked: a card-scale plan is ~180,000 lines.
    let chunk: string[] = [];
    for (const p of plan.conversations) {
      chunk.push(jsonLine(planLine(p)));
      if (chunk.length === 1000) {
        write(chunk.join(""));
        chunk = [];
      }
    }
    write(chunk.join("") + jsonLine({ ...summary, holdout_file: config.holdoutFile, holdout_lines: held }));
    return summary;
  }
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const lines = [
    `plan of ${escapeControls(config.pipelineFile)} (seed ${config.seed}): ${summary.conversations} conversations in ${Object.keys(summary.buckets).length} buckets, no-persona share ${pct(summary.no_persona_share)}`,
    `distinct scenario seeds ${summary.distinct_seeds} (${pct(summary.distinct_seed_share)}); distinct openings ${summary.distinct_openings}, most repeated opening ${pct(summary.most_repeated_opening_share)}`,
    `families: ${summary.families.training} for training${config.holdoutFile ? `, ${summary.families.holdout} held out in ${escapeControls(config.holdoutFile)} (${held} lines)` : ""}; largest persona difference in one cell: ${summary.max_cell_spread}`,
    `token budget (every step at its full budget): ${summary.budget_tokens.total} generated tokens, ${Math.round(summary.budget_tokens.mean)} per conversation`,
    `reasoning effort: ${Object.entries(summary.reasoning_effort).map(([k, v]) => `${k} ${v}`).join(", ")}`,
    `traps: ${Object.entries(summary.traps).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}`,
    `refusal classes: ${Object.entries(summary.refusal_classes).map(([k, v]) => `${k} ${v}`).join(", ") || "none"}`,
    "",
  ];
  const buckets = Object.keys(summary.cells);
  const width = Math.max(...plan.strata.map((s) => s.key.length), 7);
  lines.push(["stratum".padEnd(width), ...buckets.map((b) => b.slice(0, 15).padStart(15))].join(" "));
  for (const s of plan.strata) lines.push([s.key.padEnd(width), ...buckets.map((b) => String(summary.cells[b][s.key] ?? 0).padStart(15))].join(" "));
  write(lines.join("\n") + "\n");
  return summary;
}
