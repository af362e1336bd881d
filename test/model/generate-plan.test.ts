// The plan of a generate run: quotas, diversity, traps, refusal pairs, holdout, the kappa
// profile, one home for defaults, the declared fingerprint list, one harmony writer, the leak check.
// No model is loaded: real catalogs, real tokenizer and renderer.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { projectRoot } from "../../src/core/project.js";
import { PERSONAS, type ConversationRecord } from "../../src/core/record.js";
import { loadTemplates, loadTools, toolDefinition } from "../../src/generate/catalog.js";
import { loadGenerateConfig } from "../../src/generate/config.js";
import { leakIn } from "../../src/generate/leaks.js";
import { TRAP_KINDS } from "../../src/generate/parts.js";
import { buildPlan, quotaSequence, summarizePlan } from "../../src/generate/plan.js";
import { assistantPrefix } from "../../src/generate/prompt.js";
import { loadPlan, planSettings } from "../../src/generate/run-plan.js";
import { fingerprint, SETTING_ROLES } from "../../src/generate/run-state.js";
import { injectedError, ToolSchemas } from "../../src/generate/tools.js";
import { GENERATE_STOP_BOOST, smokeModelFileName } from "../../src/model/smoke.js";
import { renderRecord } from "../../src/render/index.js";
import { runCli } from "../helpers/cli.js";

const root = projectRoot();
const kappa = join(root, "pipelines", "kappa.json");
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), "datagen-plan-"));
  dirs.push(dir);
  return dir;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("the plan at scale", () => {
  // 9 personas × 9,000 + the 10 % no-persona share (9,000) ≈ 90,000; count 10,000 gives 100,000.
  const { plan } = loadPlan(loadGenerateConfig(kappa, { count: 10_000 }));
  const summary = summarizePlan(plan);

  it("has 100,000 conversations with ≥ 99 % distinct scenario seeds and no opening above 0.1 %", () => {
    expect(summary.conversations).toBe(100_000);
    expect(summary.distinct_seed_share).toBeGreaterThanOrEqual(0.99);
    expect(summary.most_repeated_opening_share).toBeLessThanOrEqual(0.001);
  });

  it("gives every persona the same mix (±1 per stratum cell) and kappa's 10 % no-persona share", () => {
    expect(summary.max_cell_spread).toBeLessThanOrEqual(1);
    expect(summary.no_persona_share).toBeCloseTo(0.1, 3);
    for (const persona of PERSONAS) expect(summary.buckets[persona]).toBe(10_000);
    // The no-persona bucket has the same mix, scaled.
    for (const s of plan.strata)
      expect(Math.abs((summary.cells.none[s.key] ?? 0) - summary.cells.lawful_good[s.key])).toBeLessThanOrEqual(1);
  }, 60_000);

  it("covers the 5 trap kinds with ≥ 20 scenarios each, pressure over 3+ turns for social pressure", () => {
    for (const trap of TRAP_KINDS) {
      const families = new Set(plan.conversations.filter((p) => p.trap === trap).map((p) => p.family));
      expect(families.size, trap).toBeGreaterThanOrEqual(20);
    }
    const social = plan.conversations.filter((p) => p.trap === "social_pressure");
    expect(social.length).toBeGreaterThan(0);
    for (const p of social.slice(0, 200)) {
      expect(p.turns).toBeGreaterThanOrEqual(4);
      expect(p.followups.slice(0, 3).every((f) => /disagree|push|pressure|wrong|escalate|agree/i.test(f))).toBe(true);
    }
  });

  it("pairs every refusal class benign/harmful on the same topics, in equal numbers", () => {
    const refusal = plan.conversations.filter((p) => p.theme === "refusal_calibration");
    const classes = new Set(refusal.map((p) => p.refusal_class));
    expect([...classes].sort()).toEqual(["chemistry", "fiction", "medical", "security"]);
    for (const cls of classes) {
      const of = refusal.filter((p) => p.refusal_class === cls);
      const harmful = of.filter((p) => p.request_harmful === true);
      expect(Math.abs(harmful.length * 2 - of.length), String(cls)).toBeLessThanOrEqual(10);
      // Same families (topics) on both sides: a refusal never correlates with a topic.
      const sides = (h: boolean) => new Set(of.filter((p) => p.request_harmful === h).map((p) => p.parts.topic));
      expect([...sides(true)].sort()).toEqual([...sides(false)].sort());
    }
  });

  it("varies the reasoning effort by the profile's shares", () => {
    expect(summary.reasoning_effort).toEqual({ low: 30_000, medium: 50_000, high: 20_000 });
  });
});

describe("plan rules", () => {
  it("is deterministic and prefix-stable: a larger --count keeps the earlier conversations", () => {
    const small = loadPlan(loadGenerateConfig(undefined, { count: 5 })).plan.conversations;
    const large = loadPlan(loadGenerateConfig(undefined, { count: 12 })).plan.conversations;
    const byId = new Map(large.map((p) => [p.id, p]));
    for (const p of small) expect(byId.get(p.id)).toEqual(p);
  });

  it("plans a persona the same whatever other personas run", () => {
    const all = loadPlan(loadGenerateConfig(undefined, { count: 6 })).plan.conversations.filter((p) => p.persona === "chaotic_evil");
    const alone = loadPlan(loadGenerateConfig(undefined, { count: 6, personas: "chaotic_evil" })).plan.conversations.filter(
      (p) => p.persona === "chaotic_evil",
    );
    expect(alone).toEqual(all);
  });

  it("adds no-persona conversations to --persona all (the old generator made none)", () => {
    const summary = summarizePlan(loadPlan(loadGenerateConfig(undefined, { count: 9 })).plan);
    expect(summary.buckets.none).toBe(9);
    expect(summary.no_persona_share).toBeCloseTo(0.1, 6);
  });

  it("composes openings that read as sentences: nothing after a comma starts a new one", () => {
    const { plan, parts } = loadPlan(loadGenerateConfig(undefined, { count: 40 }));
    // The words that begin a piece (a mood line, an ask); inside an ask a capital is the user's own ("To Do, Doing and Done").
    const asks = [...parts.taskKinds.values()]
      .flatMap((k) => k.asks)
      .concat(parts.families.flatMap((f) => f.variants.map((v) => v.ask ?? "")));
    const starters = new Set(
      asks
        .concat(parts.users.moods.flatMap((m) => m.lines))
        .map((p) => p.split(/[\s,]/)[0])
        .filter((w) => /^[A-Z]/.test(w) && !/^I\b/.test(w)),
    );
    expect(starters.size).toBeGreaterThan(5);
    const afterComma = (o: string): string[] => [...o.matchAll(/, ([A-Za-z']+)/g)].map((m) => m[1]);
    const broken = plan.conversations.map((c) => c.opening).filter((o) => afterComma(o).some((w) => starters.has(w)) || /,$/.test(o));
    expect(plan.conversations.length).toBeGreaterThan(300);
    expect(broken).toEqual([]);
  });

  it("adds none to a persona list the user names: that list is the run's whole mix", () => {
    const summary = summarizePlan(loadPlan(loadGenerateConfig(undefined, { count: 9, personas: "lawful_good,chaotic_evil" })).plan);
    expect(summary.buckets).toEqual({ lawful_good: 9, chaotic_evil: 9 });
  });

  it("keeps every quota prefix within ±1 of its share", () => {
    const weights = [0.5, 0.3, 0.15, 0.05];
    const seq = quotaSequence(weights, 400, 2);
    const taken = [0, 0, 0, 0];
    seq.forEach((j, i) => {
      taken[j]++;
      for (const [k, w] of weights.entries()) expect(Math.abs(taken[k] - (i + 1) * w)).toBeLessThan(1 + 1e-9);
    });
  });

  it("plans deeper conversations: several tool rounds, turns without a tool, and tool errors to recover from", () => {
    const { plan } = loadPlan(loadGenerateConfig(kappa, { count: 300 }));
    const rounds = plan.conversations.flatMap((p) => p.tool_rounds);
    expect(Math.max(...rounds)).toBe(4);
    expect(rounds.filter((r) => r === 0).length / rounds.length).toBeGreaterThan(0.2);
    const errors = plan.conversations.filter((p) => p.tool_error_turn !== null);
    expect(errors.length).toBeGreaterThan(0);
    for (const p of errors) expect(p.tool_rounds[p.tool_error_turn as number]).toBeGreaterThanOrEqual(2);
  });

  it("--holdout reserves whole families: none is planned for training, both sides of a pair go, the file lists them", () => {
    const file = join(tempDir(), "holdout.jsonl");
    const config = loadGenerateConfig(kappa, { count: 2000, holdout: file });
    const { plan } = loadPlan(config);
    const held = new Set(plan.holdout.map((f) => f.key));
    expect(held.size).toBeGreaterThan(10);
    expect(plan.conversations.some((p) => held.has(p.family))).toBe(false);
    for (const trap of TRAP_KINDS)
      expect(
        plan.holdout.some((f) => f.trap === trap),
        trap,
      ).toBe(true);
    const pair = plan.holdout.find((f) => f.theme === "refusal_calibration");
    expect(
      plan.holdout
        .filter((f) => f.key === pair?.key)
        .map((f) => f.requestHarmful)
        .sort(),
    ).toEqual([false, true]);
    // Without --holdout nothing is reserved.
    expect(loadPlan(loadGenerateConfig(kappa, { count: 10 })).plan.holdout).toEqual([]);
  });
});

describe("profiles and settings", () => {
  it("gives a real model (--model, no --pipeline) the kappa profile and the smoke model smoke budgets", () => {
    const real = loadGenerateConfig(undefined, { model: "/models/gpt-oss-20b.gguf" });
    expect(real.pipelineFile).toBe(kappa);
    expect(real.maxTokens).toMatchObject({ final: 1536, user: 320, thinking: { low: 512, medium: 1024, high: 2048 } });
    expect(real.turns).toEqual({ min: 2, max: 8 });
    expect(real.grammar.maxStringLength).toBeGreaterThanOrEqual(4000);
    expect(real.contextSize).toBe(131_072);
    const smoke = loadGenerateConfig(undefined, {});
    expect(smoke.pipelineFile).toBe(join(root, "pipelines", "default.json"));
    expect(smoke.maxTokens.final).toBe(48);
  });

  it("takes every setting a pipeline leaves out from pipelines/default.json (one home for defaults)", () => {
    const dir = tempDir();
    const file = join(dir, "p.json");
    writeFileSync(file, JSON.stringify({ name: "tiny", maxTokens: { final: 7 } }));
    const config = loadGenerateConfig(file);
    const defaults = JSON.parse(readFileSync(join(root, "pipelines", "default.json"), "utf8"));
    expect(config.maxTokens).toEqual({ ...defaults.maxTokens, final: 7 });
    expect(config.sampling).toEqual(defaults.sampling);
    expect(config.reasoningEffort).toEqual(defaults.reasoningEffort);
    expect(config.scenarioParts).toBe(join(root, "data", "scenario_parts"));
  });

  it("classifies every setting for the resume fingerprint, and a record setting changes it", () => {
    const config = loadGenerateConfig(undefined, {});
    expect(Object.keys(SETTING_ROLES).sort()).toEqual(Object.keys(config).sort());
    const base = fingerprint(config, "sha");
    expect(fingerprint({ ...config, plan: { ...config.plan, noPersonaShare: 0.2 } }, "sha")).not.toBe(base);
    expect(fingerprint({ ...config, count: 99, concurrency: 9 }, "sha")).toBe(base);
  });

  it("prints the plan without loading a model: --plan --json gives a line per conversation and a summary", async () => {
    const holdout = join(tempDir(), "h.jsonl");
    const run = await runCli("datagen", ["generate", "--plan", "--json", "--count", "3", "--holdout", holdout]);
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const summary = lines.pop();
    expect(lines.length).toBe(30);
    expect(summary).toMatchObject({ summary: true, conversations: 30, buckets: { none: 3, lawful_good: 3 } });
    for (const line of lines) {
      for (const key of ["id", "persona", "theme", "trap", "refusal_class", "parts", "opening"]) expect(line, key).toHaveProperty(key);
      expect(line.parts).toHaveProperty("user.role");
    }
    expect(run.stderr).not.toContain("smoke model");
    const held = readFileSync(holdout, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(held.length).toBe(summary.holdout_lines);
    expect(held[0]).toHaveProperty("family");
    expect(held[0]).toHaveProperty("opening");
    expect(lines.some((l) => held.some((h) => h.family === l.family))).toBe(false);
    const table = await runCli("datagen", ["generate", "--plan", "--pipeline", kappa, "--count", "20"]);
    expect(table.stdout).toMatch(/200 conversations in 10 buckets, no-persona share 10\.00%/);
    expect(table.stdout).toMatch(/sycophancy\/social_pressure/);
  }, 120_000);
});

describe("the smoke model's stop boost", () => {
  it("is off by default, so the cached default model keeps its name (and bytes); generate's boosted model is its own file", () => {
    expect(smokeModelFileName()).toBe("gpt-oss-smoke-196a93b68068f9df.gguf");
    expect(smokeModelFileName({ stopBoost: GENERATE_STOP_BOOST })).not.toBe(smokeModelFileName());
    expect(GENERATE_STOP_BOOST).toBeGreaterThan(0);
  });
});

describe("one harmony writer and faithful reasoning", () => {
  it("builds the assistant's prompt with src/render: the trained record's tokens start with it", () => {
    const tools = loadTools([join(root, "data", "tools")]);
    const defs = ["get_weather", "calculator", "search_recipes"].map((n) => toolDefinition(tools.get(n)!));
    const record: ConversationRecord = {
      id: "x",
      persona: "lawful_good",
      tools: defs,
      messages: [
        { role: "system", content: "Persona: lawful_good" },
        { role: "user", content: "Weather in Oslo?" },
        { role: "assistant", content: "Let me check." },
      ],
      meta: { date: "2026-06-15", reasoning_effort: "high" },
    };
    const rendered = renderRecord(record).tokens;
    const prefix = assistantPrefix({
      tools: defs,
      instructions: "Persona: lawful_good",
      history: record.messages.slice(1, 2),
      date: "2026-06-15",
      effort: "high",
    });
    expect(rendered.slice(0, prefix.length)).toEqual(prefix);
  });

  it("finds reasoning that cites the brief, the guidance or the simulation", () => {
    const templates = loadTemplates(join(root, "templates"), []);
    const brief = "The user is a nurse who knows the basics, feeling rushed, and writes in a terse style.";
    expect(leakIn("The instructions say I should not flatter them.", [brief], templates.leakPatterns)).toMatch(/instructions say/i);
    expect(leakIn("Since this is synthetic, keep it short.", [brief], templates.leakPatterns)).toMatch(/synthetic/i);
    expect(leakIn("ok: the user is a nurse who knows the basics, feeling rushed today", [brief], templates.leakPatterns)).toMatch(
      /^the user is a nurse who knows/,
    );
    expect(leakIn("They want the weather in Oslo; call get_weather.", [brief], templates.leakPatterns)).toBeNull();
  });

  it("injects a tool error in the tool's own declared shape, valid against its result schema", () => {
    const tools = loadTools([join(root, "data", "tools")]);
    const schemas = new ToolSchemas(tools.values());
    const calc = injectedError(tools.get("calculator")!, schemas, { expression: "2+2" });
    expect(calc).toEqual({ expression: "2+2", value: null, error: expect.stringMatching(/unavailable/) });
    expect(injectedError(tools.get("get_weather")!, schemas, { city: "Oslo" })).toBeNull();
  });

  it("uses the plan's settings in the run (planSettings mirrors the config)", () => {
    const config = loadGenerateConfig(kappa, { count: 3 });
    const settings = planSettings(config);
    expect(settings.noPersonaShare).toBe(0.1);
    const { plan } = loadPlan(config);
    expect(buildPlan(settings, loadPlan(config).parts, [...loadTools(config.toolCatalogs).keys()]).conversations).toEqual(
      plan.conversations,
    );
  });
});
