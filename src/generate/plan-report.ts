// `datagen generate --plan`: the plan a run would execute, as a table or as JSON lines.
import { escapeControls, jsonLine } from "../core/escape.js";
import type { GenerateConfig } from "./config.js";
import { summarizePlan, type PlannedConversation, type PlanSummary } from "./plan.js";
import { loadPlan, writeHoldout } from "./run-plan.js";
import { LongRun } from "./long-run.js";
import type { LongJob } from "../longctx/bands.js";

const planLine = (p: PlannedConversation, long: LongJob | undefined) => ({
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
  ...(long ? { long_context: { band: long.band, target_tokens: long.targetTokens, task: long.task, payload: long.payload } } : {}),
});

/** The long job of each planned conversation, in generateDataset's run order (by index). */
function longJobs(config: GenerateConfig, conversations: PlannedConversation[]): Map<string, LongJob> {
  const run = LongRun.maybe(config, conversations.length);
  const out = new Map<string, LongJob>();
  if (!run) return out;
  [...conversations]
    .sort((a, b) => a.index - b.index)
    .forEach((p, position) => {
      const job = run.jobFor(position);
      if (job) out.set(p.id, job);
    });
  run.close();
  return out;
}

function longSummary(jobs: Map<string, LongJob>): { conversations: number; tokens_before_answers: number; bands: Record<string, number> } {
  const bands: Record<string, number> = {};
  let tokens = 0;
  for (const j of jobs.values()) {
    bands[j.band] = (bands[j.band] ?? 0) + 1;
    tokens += j.targetTokens;
  }
  return { conversations: jobs.size, tokens_before_answers: tokens, bands };
}

export function printPlan(config: GenerateConfig, json: boolean): PlanSummary {
  const { plan, parts } = loadPlan(config);
  const held = writeHoldout(config, plan, parts);
  const summary = summarizePlan(plan);
  const long = longJobs(config, plan.conversations);
  const write = (s: string) => process.stdout.write(s);
  if (json) {
    // Chunked: a card-scale plan is ~180,000 lines.
    let chunk: string[] = [];
    for (const p of plan.conversations) {
      chunk.push(jsonLine(planLine(p, long.get(p.id))));
      if (chunk.length === 1000) {
        write(chunk.join(""));
        chunk = [];
      }
    }
    write(
      chunk.join("") +
        jsonLine({
          ...summary,
          holdout_file: config.holdoutFile,
          holdout_lines: held,
          ...(long.size ? { long_context: longSummary(long) } : {}),
        }),
    );
    return summary;
  }
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const lines = [
    `plan of ${escapeControls(config.pipelineFile)} (seed ${config.seed}): ` +
      `${summary.conversations} conversations in ${Object.keys(summary.buckets).length} buckets, ` +
      `no-persona share ${pct(summary.no_persona_share)}`,
    `distinct scenario seeds ${summary.distinct_seeds} (${pct(summary.distinct_seed_share)}); ` +
      `distinct openings ${summary.distinct_openings}, most repeated opening ${pct(summary.most_repeated_opening_share)}`,
    `families: ${summary.families.training} for training` +
      `${config.holdoutFile ? `, ${summary.families.holdout} held out in ${escapeControls(config.holdoutFile)} (${held} lines)` : ""}` +
      `; largest persona difference in one cell: ${summary.max_cell_spread}`,
    `token budget (every step at its full budget): ${summary.budget_tokens.total} generated tokens, ` +
      `${Math.round(summary.budget_tokens.mean)} per conversation`,
    `reasoning effort: ${Object.entries(summary.reasoning_effort)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
    `traps: ${
      Object.entries(summary.traps)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "none"
    }`,
    `refusal classes: ${
      Object.entries(summary.refusal_classes)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ") || "none"
    }`,
    ...(long.size ? [longLine(longSummary(long))] : []),
    "",
  ];
  const buckets = Object.keys(summary.cells);
  const width = Math.max(...plan.strata.map((s) => s.key.length), 7);
  lines.push(["stratum".padEnd(width), ...buckets.map((b) => b.slice(0, 15).padStart(15))].join(" "));
  for (const s of plan.strata)
    lines.push([s.key.padEnd(width), ...buckets.map((b) => String(summary.cells[b][s.key] ?? 0).padStart(15))].join(" "));
  write(lines.join("\n") + "\n");
  return summary;
}

function longLine(s: ReturnType<typeof longSummary>): string {
  const bands = ["4k-8k", "8k-16k", "16k-32k", "32k-64k", "64k-128k"].map((b) => `${b} ${s.bands[b] ?? 0}`).join(", ");
  return `long context: ${s.conversations} conversations (${bands}), ${s.tokens_before_answers} tokens before their answers`;
}
