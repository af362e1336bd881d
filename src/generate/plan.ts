// The plan of a generate run: which conversations it makes, decided before any model loads.
// Strata (a theme, a sycophancy trap kind, a refusal class and side) get quotas, not chances: every
// persona's conversations follow the same prefix-stable quota sequence, so every persona has the same
// mix (and a run extended with a larger --count keeps its earlier conversations). Within a stratum the
// families are cycled, and the user (role, expertise, mood, style), the topic, the task kind, the
// tool set and the opening's wording are crossed from data/scenario_parts with a seeded PRNG.
import { createHash } from "node:crypto";
import type { PersonaChoice } from "./config.js";
import type { Family, ScenarioParts, TrapKind, UserParts } from "./parts.js";
import { Rng, stableHash } from "./seed.js";

export type Effort = "low" | "medium" | "high";
export const EFFORTS: readonly Effort[] = ["low", "medium", "high"];

/** Stratum groups that split into several strata. */
export const SYCOPHANCY = "sycophancy";
export const REFUSAL = "refusal_calibration";

export interface PlanSettings {
  seed: number;
  /** The run's persona buckets, in order (null = no persona). */
  personas: PersonaChoice[];
  count: number;
  /** With --persona all: the share of no-persona conversations added (0 = none). */
  noPersonaShare: number;
  /** Weight of each stratum group (a theme name, "sycophancy", "refusal_calibration"); absent: equal. */
  mix: Record<string, number> | null;
  /** Share of reasoning efforts (one effort: all conversations). */
  reasoningEffort: Effort | Partial<Record<Effort, number>>;
  turns: { min: number; max: number };
  toolRoundsPerTurn: number;
  toolUse: { noToolTurnShare: number; errorTurnShare: number; distractorTools: number };
  /** "compose": the opening is written into the record as composed; "rewrite": the user simulator rewrites it. */
  openings: "compose" | "rewrite";
  /** Share of families reserved for evaluation (0: none). */
  holdoutShare: number;
  maxTokens: {
    user: number;
    thinking: number | Partial<Record<Effort, number>>;
    decision: number;
    arguments: number;
    toolResult: number;
    final: number;
  };
}

export interface PlannedParts {
  family: string;
  theme: string;
  task_kind: string;
  topic: string;
  user: { role: string; expertise: string; mood: string; style: string };
  tools: string[];
}

export interface PlannedConversation {
  id: string;
  index: number;
  persona: PersonaChoice;
  theme: string;
  trap: TrapKind | null;
  refusal_class: string | null;
  request_harmful: boolean | null;
  family: string;
  /** Stratum key the quota counts (theme, sycophancy/<trap>, refusal_calibration/<class>/<side>). */
  stratum: string;
  /** Scenario seed id: the family and a hash of every part crossed into it. */
  scenario: string;
  seed: string;
  parts: PlannedParts;
  reasoning_effort: Effort;
  turns: number;
  /** Most tool rounds the assistant may take in each user turn (0: answer without a tool). */
  tool_rounds: number[];
  /** The turn whose first tool call gets an error result to recover from, or null. */
  tool_error_turn: number | null;
  opening: string;
  /** What the user simulator is told (never shown to the assistant). */
  brief: string;
  /** Hidden guidance for the assistant's generation prompt (never in the record). */
  guidance: string;
  /** User-simulator instruction for each turn after the opening. */
  followups: string[];
  /** Upper bound of generated tokens (every step at its full budget). */
  budget_tokens: number;
}

export interface Plan {
  conversations: PlannedConversation[];
  holdout: Family[];
  strata: { key: string; weight: number }[];
}

interface Stratum {
  key: string;
  weight: number;
  families: Family[];
}

const stratumKey = (f: Family): string =>
  f.trap
    ? `${SYCOPHANCY}/${f.trap}`
    : f.theme === REFUSAL
      ? `${REFUSAL}/${f.refusalClass}/${f.requestHarmful ? "harmful" : "benign"}`
      : f.theme;

const groupOf = (f: Family): string => (f.trap ? SYCOPHANCY : f.theme);

/** Holdout unit: a trap kind, a refusal class, or a theme (both sides of a refusal pair go together). */
const holdoutGroup = (f: Family): string =>
  f.trap ? `${SYCOPHANCY}/${f.trap}` : f.theme === REFUSAL ? `${REFUSAL}/${f.refusalClass}` : f.theme;

/** Families reserved for evaluation: a share of each group, chosen by the run seed, never a whole group. */
export function holdoutFamilies(families: Family[], share: number, seed: number): Set<string> {
  const reserved = new Set<string>();
  if (share <= 0) return reserved;
  const groups = new Map<string, string[]>();
  for (const f of families) {
    const keys = groups.get(holdoutGroup(f)) ?? [];
    if (!keys.includes(f.key)) keys.push(f.key);
    groups.set(holdoutGroup(f), keys);
  }
  for (const [group, keys] of groups) {
    if (keys.length < 2) continue;
    const n = Math.min(keys.length - 1, Math.max(1, Math.round(keys.length * share)));
    const ordered = [...keys].sort((a, b) => stableHash("holdout", seed, group, a) - stableHash("holdout", seed, group, b));
    for (const key of ordered.slice(0, n)) reserved.add(key);
  }
  return reserved;
}

function buildStrata(families: Family[], mix: Record<string, number> | null): Stratum[] {
  const byKey = new Map<string, Stratum>();
  const groups = new Map<string, Set<string>>();
  for (const f of families) {
    const key = stratumKey(f);
    if (!byKey.has(key)) byKey.set(key, { key, weight: 0, families: [] });
    byKey.get(key)?.families.push(f);
    const g = groups.get(groupOf(f)) ?? new Set<string>();
    g.add(key);
    groups.set(groupOf(f), g);
  }
  const weights = mix ?? Object.fromEntries([...groups.keys()].map((g) => [g, 1]));
  for (const group of Object.keys(weights)) {
    if (!groups.has(group))
      throw new PlanError(`mix names "${group}", which has no scenario families; known: ${[...groups.keys()].join(", ")}`);
  }
  const total = Object.values(weights).reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new PlanError("mix weights must add up to more than 0");
  for (const [group, keys] of groups) {
    const w = (weights[group] ?? 0) / total;
    for (const key of keys) (byKey.get(key) as Stratum).weight = w / keys.size;
  }
  return [...byKey.values()].filter((s) => s.weight > 0).sort((a, b) => (a.key < b.key ? -1 : 1));
}

export class PlanError extends Error {}

/**
 * The first n entries of the quota sequence: entry i goes to the stratum furthest behind its share
 * ((i + 1) · weight − taken so far); ties go to the first index at or after `rotation` (cyclically),
 * so buckets that rotate differently start on different strata. Any prefix is within ±1 of its quota.
 */
export function quotaSequence(weights: number[], n: number, rotation = 0): number[] {
  const taken = new Array<number>(weights.length).fill(0);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    let bestDeficit = -Infinity;
    for (let k = 0; k < weights.length; k++) {
      const j = (k + rotation) % weights.length;
      const deficit = (i + 1) * weights[j] - taken[j];
      if (deficit > bestDeficit + 1e-12) {
        best = j;
        bestDeficit = deficit;
      }
    }
    taken[best]++;
    out.push(best);
  }
  return out;
}

/** The run's buckets: each persona with `count`, plus the no-persona share when --persona all asks for it. */
export function planBuckets(personas: PersonaChoice[], count: number, noPersonaShare: number): { persona: PersonaChoice; count: number }[] {
  const buckets = personas.map((persona) => ({ persona, count }));
  const named = personas.filter((p) => p !== null).length;
  if (!personas.includes(null) && noPersonaShare > 0 && named > 0) {
    buckets.push({ persona: null, count: Math.round((count * named * noPersonaShare) / (1 - noPersonaShare)) });
  }
  return buckets.filter((b) => b.count > 0);
}

export const conversationId = (persona: PersonaChoice, index: number): string => `${persona ?? "none"}-${String(index).padStart(6, "0")}`;

const capitalize = (s: string): string => (s ? s[0].toUpperCase() + s.slice(1) : s);

/** Pieces joined with spaces; one that follows a comma goes on the sentence ("Hello," + "Can you" → "Hello, can you"). */
function joinSentences(pieces: string[]): string {
  let out = "";
  for (const piece of pieces) {
    if (piece === "") continue;
    const continues = out.endsWith(",") && !/^I\b/.test(piece);
    out += (out ? " " : "") + (continues ? piece[0].toLowerCase() + piece.slice(1) : piece);
  }
  return out;
}
const article = (word: string): string => (/^[aeiou]/i.test(word) && !/^(uni|eu|one)/i.test(word) ? "an" : "a");

function effortWeights(setting: PlanSettings["reasoningEffort"]): number[] {
  if (typeof setting === "string") return EFFORTS.map((e) => (e === setting ? 1 : 0));
  const raw = EFFORTS.map((e) => setting[e] ?? 0);
  const total = raw.reduce((a, b) => a + b, 0);
  if (!(total > 0)) throw new PlanError("reasoningEffort shares must add up to more than 0");
  return raw.map((w) => w / total);
}

const thinkingBudget = (m: PlanSettings["maxTokens"], effort: Effort): number =>
  typeof m.thinking === "number" ? m.thinking : (m.thinking[effort] ?? m.thinking.medium ?? 0);

/** Generated tokens if every step used its whole budget. */
export function budgetCeiling(
  m: PlanSettings["maxTokens"],
  effort: Effort,
  toolRounds: number[],
  openings: PlanSettings["openings"],
): number {
  const thinking = thinkingBudget(m, effort);
  return toolRounds.reduce((sum, rounds, turn) => {
    const user = turn === 0 && openings === "compose" ? 0 : m.user;
    const decisions = rounds > 0 ? rounds + 1 : 0;
    return sum + user + (rounds + 1) * thinking + decisions * m.decision + rounds * (m.arguments + m.toolResult) + m.final;
  }, 0);
}

interface Composer {
  users: UserParts;
  parts: ScenarioParts;
  toolNames: string[];
  settings: PlanSettings;
}

function compose(c: Composer, family: Family, rng: Rng) {
  const { users, parts, settings } = c;
  const variant = rng.pick(family.variants);
  const kindId = rng.pick(family.taskKinds);
  const kind = parts.taskKinds.get(kindId);
  const role = rng.pick(users.roles);
  const expertise = rng.pick(users.expertise);
  const mood = rng.pick(users.moods);
  const style = rng.pick(users.styles);
  const askTemplate = kind ? rng.pick(kind.asks) : "";
  const ask = variant.ask ?? askTemplate.replaceAll("{topic}", variant.topic).replaceAll("{Topic}", capitalize(variant.topic));
  const context = rng
    .pick(users.contexts)
    .replaceAll("{role}", `${role}`)
    .replaceAll("{Role}", capitalize(role))
    .replaceAll("{expertise}", expertise.phrase)
    .replace(/\b(I'm|as) a (\w)/gi, (_, w: string, ch: string) => `${w} ${article(ch)} ${ch}`);
  const terse = style.id === "terse";
  const moodLine = terse ? "" : rng.pick(mood.lines);
  // A context that ends in a comma ("As a nurse (new to this),") leads straight into the ask.
  const leadsIn = context.endsWith(",");
  const pieces = [rng.pick(style.greetings), leadsIn ? moodLine : "", context, leadsIn ? "" : moodLine, ask, rng.pick(style.closers)];
  let opening = joinSentences(pieces);
  if (style.id === "lowercase") opening = opening.toLowerCase();
  const distractors = pickDistinct(
    rng,
    c.toolNames.filter((t) => !family.tools.includes(t)),
    rng.int(0, settings.toolUse.distractorTools),
  );
  const tools = [...family.tools, ...distractors];
  const brief =
    `The user is ${article(role)} ${role} who ${expertise.brief}, feeling ${mood.id}; writing style: ${style.description}. ` +
    (family.trap
      ? `Sycophancy test (${family.trap.replaceAll("_", " ")}): ${variant.brief}.`
      : family.requestHarmful
        ? `The user makes a harmful request: ${variant.brief}.`
        : `The user ${kind?.brief ?? "asks"} about ${variant.brief}.`);
  return { variant, kindId, role, expertise: expertise.id, mood: mood.id, style: style.id, opening, tools, brief };
}

function pickDistinct<T>(rng: Rng, items: T[], n: number): T[] {
  const pool = [...items];
  const out: T[] = [];
  while (out.length < n && pool.length > 0) out.push(pool.splice(Math.floor(rng.next() * pool.length), 1)[0]);
  return out;
}

function toolRounds(rng: Rng, settings: PlanSettings, turns: number, hasTools: boolean): { rounds: number[]; errorTurn: number | null } {
  const rounds = Array.from({ length: turns }, () =>
    !hasTools || settings.toolRoundsPerTurn === 0 || rng.next() < settings.toolUse.noToolTurnShare
      ? 0
      : rng.int(1, settings.toolRoundsPerTurn),
  );
  // An error needs a round after it to recover in.
  const recoverable = rounds.map((r, t) => (r >= 2 ? t : -1)).filter((t) => t >= 0);
  const errorTurn = recoverable.length > 0 && rng.next() < settings.toolUse.errorTurnShare ? rng.pick(recoverable) : null;
  return { rounds, errorTurn };
}

/** The whole plan: deterministic for (settings, parts, tool names). */
export function buildPlan(settings: PlanSettings, parts: ScenarioParts, toolNames: string[]): Plan {
  const reserved = holdoutFamilies(parts.families, settings.holdoutShare, settings.seed);
  const training = parts.families.filter((f) => !reserved.has(f.key));
  const strata = buildStrata(training, settings.mix);
  const buckets = planBuckets(settings.personas, settings.count, settings.noPersonaShare);
  const weights = strata.map((s) => s.weight);
  const effortShares = effortWeights(settings.reasoningEffort);
  const composer: Composer = { users: parts.users, parts, toolNames: [...toolNames].sort(), settings };
  const conversations: PlannedConversation[] = [];
  for (const bucket of buckets) {
    const name = bucket.persona ?? "none";
    const seen = new Array<number>(strata.length).fill(0);
    // The rotation depends on the bucket's name only: a persona's plan is the same in any persona list.
    const sequence = quotaSequence(weights, bucket.count, stableHash("strata", settings.seed, name) % strata.length);
    const efforts = quotaSequence(effortShares, bucket.count, stableHash("effort", settings.seed, name) % EFFORTS.length).map(
      (i) => EFFORTS[i],
    );
    for (let index = 0; index < bucket.count; index++) {
      const s = sequence[index];
      const stratum = strata[s];
      const offset = stableHash("families", settings.seed, name, stratum.key) % stratum.families.length;
      const family = stratum.families[(offset + seen[s]++) % stratum.families.length];
      const rng = new Rng(stableHash("plan", settings.seed, name, index));
      const made = compose(composer, family, rng);
      const turns = Math.max(family.minTurns, rng.int(settings.turns.min, settings.turns.max));
      const { rounds, errorTurn } = toolRounds(rng, settings, turns, made.tools.length > 0);
      const effort = efforts[index];
      const parts_: PlannedParts = {
        family: family.key,
        theme: family.theme,
        task_kind: made.kindId,
        topic: made.variant.topic,
        user: { role: made.role, expertise: made.expertise, mood: made.mood, style: made.style },
        tools: made.tools,
      };
      const seed = createHash("sha256")
        .update(JSON.stringify([parts_, made.opening]))
        .digest("hex")
        .slice(0, 12);
      conversations.push({
        id: conversationId(bucket.persona, index),
        index,
        persona: bucket.persona,
        theme: family.theme,
        trap: family.trap,
        refusal_class: family.refusalClass,
        request_harmful: family.requestHarmful,
        family: family.key,
        stratum: stratum.key,
        scenario: `${family.key}/${seed}`,
        seed,
        parts: parts_,
        reasoning_effort: effort,
        turns,
        tool_rounds: rounds,
        tool_error_turn: errorTurn,
        opening: made.opening,
        brief: made.brief,
        guidance: family.guidance,
        followups: family.followups,
        budget_tokens: budgetCeiling(settings.maxTokens, effort, rounds, settings.openings),
      });
    }
  }
  const holdout = parts.families.filter((f) => reserved.has(f.key));
  return { conversations, holdout, strata: strata.map((s) => ({ key: s.key, weight: s.weight })) };
}

export interface PlanSummary {
  summary: true;
  conversations: number;
  buckets: Record<string, number>;
  no_persona_share: number;
  distinct_seeds: number;
  distinct_seed_share: number;
  distinct_openings: number;
  most_repeated_opening_share: number;
  /** Per bucket, conversations per stratum. */
  cells: Record<string, Record<string, number>>;
  /** Largest difference between two personas in one stratum cell. */
  max_cell_spread: number;
  themes: Record<string, number>;
  traps: Record<string, number>;
  refusal_classes: Record<string, number>;
  reasoning_effort: Record<string, number>;
  families: { training: number; holdout: number };
  budget_tokens: { total: number; mean: number };
}

const bump = (m: Record<string, number>, key: string): void => {
  m[key] = (m[key] ?? 0) + 1;
};

export function summarizePlan(plan: Plan): PlanSummary {
  const c = plan.conversations;
  const buckets: Record<string, number> = {};
  const cells: Record<string, Record<string, number>> = {};
  const themes: Record<string, number> = {};
  const traps: Record<string, number> = {};
  const classes: Record<string, number> = {};
  const efforts: Record<string, number> = {};
  const openings = new Map<string, number>();
  let budget = 0;
  for (const p of c) {
    const name = p.persona ?? "none";
    bump(buckets, name);
    cells[name] ??= {};
    bump(cells[name], p.stratum);
    bump(themes, p.theme);
    if (p.trap) bump(traps, p.trap);
    if (p.refusal_class)
      bump(classes, `${p.refusal_class}${p.request_harmful ? " (harmful)" : p.request_harmful === false ? " (benign)" : ""}`);
    bump(efforts, p.reasoning_effort);
    openings.set(p.opening, (openings.get(p.opening) ?? 0) + 1);
    budget += p.budget_tokens;
  }
  const personas = Object.keys(cells).filter((k) => k !== "none");
  let spread = 0;
  for (const s of plan.strata) {
    const counts = personas.map((p) => cells[p][s.key] ?? 0);
    if (counts.length > 1) spread = Math.max(spread, Math.max(...counts) - Math.min(...counts));
  }
  const distinct = new Set(c.map((p) => p.seed)).size;
  const training = new Set(c.map((p) => p.family)).size;
  return {
    summary: true,
    conversations: c.length,
    buckets,
    no_persona_share: c.length ? (buckets.none ?? 0) / c.length : 0,
    distinct_seeds: distinct,
    distinct_seed_share: c.length ? distinct / c.length : 0,
    distinct_openings: openings.size,
    most_repeated_opening_share: c.length ? [...openings.values()].reduce((a, b) => Math.max(a, b), 0) / c.length : 0,
    cells,
    max_cell_spread: spread,
    themes,
    traps,
    refusal_classes: classes,
    reasoning_effort: efforts,
    families: { training, holdout: new Set(plan.holdout.map((f) => f.key)).size },
    budget_tokens: { total: budget, mean: c.length ? budget / c.length : 0 },
  };
}

/** The holdout file's lines (one per reserved family; a refusal pair gives its benign and harmful side). */
export function holdoutLines(plan: Plan, parts: ScenarioParts): Record<string, unknown>[] {
  return plan.holdout.map((f) => {
    const variant = f.variants[0];
    const kind = parts.taskKinds.get(f.taskKinds[0]);
    const opening =
      variant.ask ?? (kind?.asks[0] ?? "{topic}").replaceAll("{topic}", variant.topic).replaceAll("{Topic}", capitalize(variant.topic));
    return {
      family: f.key,
      theme: f.theme,
      trap: f.trap,
      refusal_class: f.refusalClass,
      request_harmful: f.requestHarmful,
      parts: { family: f.key, theme: f.theme, task_kinds: f.taskKinds, topics: f.variants.map((v) => v.topic), tools: f.tools },
      opening,
      brief: variant.brief,
      followups: f.followups,
      min_turns: f.minTurns,
    };
  });
}
