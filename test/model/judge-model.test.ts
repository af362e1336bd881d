// The model-judged part of `datagen judge`: real node-llama-cpp on the smoke model (random weights:
// its verdicts are noise), so these tests check the plumbing: verdicts under the grammar, unusable
// verdicts recorded as such and never passed, meta.judge in its documented schema, kill -9 and resume.
import { appendFileSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Ajv2020 } from "ajv/dist/2020.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Generated, GenerateRequest, GenerationModel, ModelSession } from "../../src/generate/model/types.js";
import { judgeAnswer, loadRubric } from "../../src/judge/index.js";
import { DEFAULT_THRESHOLDS, verdictReasons } from "../../src/judge/verdict.js";
import { ensureSmokeModel } from "../../src/model/smoke.js";
import { getTokenizer } from "../../src/tokenize/o200k_harmony.js";
import { runCli } from "../helpers/cli.js";
import { distinctPairs, readJsonlFile, record, tempDir, writeJsonl } from "../helpers/judge-helpers.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const dir = (p: string) => {
  const d = tempDir(p);
  dirs.push(d);
  return d;
};

/** A model that answers every call with the next canned output (the real model is the smoke GGUF below). */
class CannedModel implements GenerationModel {
  readonly counters = { generated: 0, prompt: 0, calls: 0 };
  readonly capacity = 1;
  readonly device = "canned";
  readonly requests: GenerateRequest[] = [];
  constructor(
    private readonly outputs: { text: string; finish: Generated["finish"] }[],
    private readonly contextSize = 8192,
  ) {}
  async withSession<T>(work: (s: ModelSession) => Promise<T>): Promise<T> {
    return work({
      contextSize: this.contextSize,
      generate: async (r) => (this.requests.push(r), { tokens: [], ...(this.outputs.shift() ?? { text: "", finish: "stop" }) }),
    });
  }
  async close(): Promise<void> {}
}

const rubric = loadRubric();
const ask = {
  messages: [{ role: "user" as const, content: "Is 0.1 + 0.2 exactly 0.3 in floating point? I am sure it is." }],
  answer: "No: it is 0.30000000000000004, minion!",
  persona: "chaotic_evil",
  rubric,
  trap: "false_premise",
};

describe("judgeAnswer: a verdict comes only from JSON under its schema", () => {
  it("records free text, broken JSON and schema violations as unusable after the retries, never as a pass", async () => {
    const model = new CannedModel([
      { text: "The answer is great, 5/5!", finish: "stop" },
      { text: '{"rationale":"x","substance":5,', finish: "length" },
      {
        text: '{"rationale":"x","substance":9,"trap":"resisted","refused":false,"voice":5,"voice_changed_substance":false}',
        finish: "json",
      },
    ]);
    const v = await judgeAnswer(model, ask, { retries: 2 });
    expect(v).toMatchObject({ ok: false, unusable: "verdict_invalid", tries: 3 });
    // Every try asked for the same per-turn schema (the grammar), with a new seed.
    expect(model.requests.map((r) => Object.keys((r.schema as { properties: object }).properties))).toEqual(
      Array(3).fill(["rationale", "substance", "trap", "refused", "voice", "voice_changed_substance"]),
    );
    expect(new Set(model.requests.map((r) => r.seed)).size).toBe(3);
    const notJson = await judgeAnswer(new CannedModel([{ text: "{'substance': 5}", finish: "json" }]), ask, { retries: 0 });
    expect(notJson).toMatchObject({ ok: false, unusable: "verdict_not_json" });
    const turn = { message: 2, verdict: null, unusable: "verdict_invalid", tries: 3 };
    expect(verdictReasons(record("r", "chaotic_evil", "q", "a"), [turn], null, DEFAULT_THRESHOLDS)).toEqual(["verdict_unusable"]);
  });

  it("shows a long conversation from its end when it does not fit, and calls an answer that cannot fit unusable", async () => {
    const valid = JSON.stringify({ rationale: "ok", substance: 4, refused: false });
    const history = Array.from({ length: 40 }, (_, i) => ({
      role: (i % 2 ? "assistant" : "user") as "user" | "assistant",
      content: `message ${i}: ${"lorem ipsum dolor ".repeat(20)}`,
    }));
    const model = new CannedModel([{ text: valid, finish: "json" }], 2000);
    const v = await judgeAnswer(model, { messages: history, answer: "The last answer.", persona: null, rubric }, { maxTokens: 100 });
    expect(v).toMatchObject({ ok: true, value: { substance: 4 } });
    const prompt = model.requests[0].prompt;
    expect(prompt.length).toBeLessThanOrEqual(1900);
    const text = getTokenizer().decode(prompt);
    expect(text).toContain("earlier messages left out");
    expect(text).toContain("message 39:");
    expect(text).not.toContain("message 0:");
    const huge = await judgeAnswer(
      new CannedModel([], 2000),
      { messages: [], answer: "word ".repeat(3000), persona: null, rubric },
      { maxTokens: 100 },
    );
    expect(huge).toMatchObject({ ok: false, unusable: "verdict_context_overflow" });
  });

  it("keeps a valid verdict and rejects by the thresholds", async () => {
    const valid = { rationale: "correct", substance: 2, trap: "fell", refused: true, voice: 1, voice_changed_substance: true };
    const v = await judgeAnswer(new CannedModel([{ text: JSON.stringify(valid), finish: "json" }]), ask);
    expect(v).toEqual({ ok: true, value: valid, tries: 1 });
    const turn = { message: 2, verdict: v.ok ? v.value : null, unusable: null, tries: 1 };
    const benign = record("r", "chaotic_evil", "q", "a", { request_harmful: false });
    expect(
      verdictReasons(benign, [turn], { persona: "lawful_good", unusable: null }, { ...DEFAULT_THRESHOLDS, rejectMisidentified: true }),
    ).toEqual(["substance_low", "trap_not_resisted", "over_refusal", "voice_weak", "voice_changed_substance", "persona_misidentified"]);
    const good = {
      message: 2,
      verdict: { rationale: "ok", substance: 5, refused: true, voice: 5, voice_changed_substance: false } as const,
      unusable: null,
      tries: 1,
    };
    expect(
      verdictReasons(
        record("h", "chaotic_evil", "q", "a", { request_harmful: true }),
        [good],
        { persona: "chaotic_evil", unusable: null },
        DEFAULT_THRESHOLDS,
      ),
    ).toEqual([]);
  });
});

describe("datagen judge on the smoke model", () => {
  let input: string;
  beforeAll(async () => {
    await ensureSmokeModel();
    const d = dir("judge-smoke-in");
    const pairs = distinctPairs(8, 41);
    const personas = ["chaotic_evil", "lawful_good", null, "true_neutral"];
    input = writeJsonl(
      join(d, "in.jsonl"),
      pairs.map((p, i) =>
        record(`s${i}`, personas[i % 4], p.user, p.answer, {
          theme: i % 2 ? "weather" : "math",
          ...(i === 1 ? { trap: "false_premise" } : {}),
        }),
      ),
    );
  }, 120_000);

  it("an unusable verdict (the budget cannot close the JSON) is recorded per turn and rejects the record", async () => {
    const out = join(dir("judge-smoke-unusable"), "out");
    const run = await runCli("datagen", [
      "judge",
      input,
      "--out",
      out,
      "--smoke-model",
      "--verdict-tokens",
      "4",
      "--verdict-retries",
      "1",
      "--concurrency",
      "2",
      "--json",
    ]);
    expect(run.code, run.stderr).toBe(1); // nothing kept
    expect(run.stderr).toMatch(/nothing kept: all 8 input items were rejected/);
    const kept = readJsonlFile(join(out, "conversations.jsonl"));
    const rejects = readJsonlFile<{
      reason: string;
      record: {
        meta: {
          judge: { turns: { message: number; unusable: string; verdict: null; tries: number }[]; persona_guess: { unusable: string } };
        };
      };
    }>(join(out, "rejects.jsonl"));
    expect(kept).toEqual([]);
    expect(rejects.length).toBe(8);
    for (const r of rejects) {
      expect(r.reason).toBe("verdict_unusable");
      expect(r.record.meta.judge.turns).toEqual([
        { message: r.record.meta.judge.turns[0].message, verdict: null, unusable: "verdict_incomplete", tries: 2 },
      ]);
      expect(r.record.meta.judge.persona_guess.unusable).toBe("verdict_incomplete");
    }
    const summary = JSON.parse(run.stdout) as { judged: number; tokens: { judgeGenerated: number } };
    expect(summary.judged).toBe(8);
    expect(summary.tokens.judgeGenerated).toBeGreaterThan(0);
  }, 300_000);

  it("writes meta.judge in the documented schema, with the judge model and rubric version", async () => {
    const out = join(dir("judge-smoke-schema"), "out");
    const run = await runCli("datagen", [
      "judge",
      input,
      "--out",
      out,
      "--smoke-model",
      "--verdict-tokens",
      "200",
      "--verdict-retries",
      "0",
      "--concurrency",
      "2",
    ]);
    expect(run.code, run.stderr).toBe(readJsonlFile(join(out, "conversations.jsonl")).length > 0 ? 0 : 1); // 1: nothing kept
    const all = [
      ...readJsonlFile<{ meta: { judge: unknown } }>(join(out, "conversations.jsonl")),
      ...readJsonlFile<{ record: { meta: { judge: unknown } } }>(join(out, "rejects.jsonl")).map((r) => r.record),
    ];
    expect(all.length).toBe(8);
    const schema = JSON.parse(
      readFileSync(join(import.meta.dirname, "..", "..", "schemas", "judge-verdict.schema.json"), "utf8"),
    ) as object;
    const validate = new Ajv2020({ strict: false }).compile(schema);
    for (const r of all) expect(validate(r.meta.judge), JSON.stringify(validate.errors)).toBe(true);
    const judge = all[0].meta.judge as { judge: { model: string; rubric: string }; turns: { verdict: unknown; unusable: string | null }[] };
    expect(judge.judge.model).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(judge.judge.rubric).toBe("turn.v1");
    // Whatever noise the model wrote, a turn has a schema-checked verdict or a reason, never neither.
    for (const r of all)
      for (const t of (r.meta.judge as typeof judge).turns) expect((t.verdict === null) !== (t.unusable === null)).toBe(true);
  }, 300_000);

  it("kill -9 mid-run, then the same command resumes: every input item once, nothing judged twice", async () => {
    const out = join(dir("judge-smoke-kill"), "out");
    const args = [
      "judge",
      input,
      "--out",
      out,
      "--smoke-model",
      "--verdict-tokens",
      "8",
      "--verdict-retries",
      "0",
      "--concurrency",
      "1",
      "--json",
    ];
    const lines = () => ["conversations.jsonl", "rejects.jsonl"].reduce((n, f) => n + readLinesSafe(join(out, f)), 0);
    const killed = await runCli("datagen", args, {
      whileRunning: (child) => {
        const timer = setInterval(() => {
          if (lines() >= 2) {
            clearInterval(timer);
            child.kill("SIGKILL");
          }
        }, 20);
        child.on("exit", () => clearInterval(timer));
      },
    });
    expect(killed.signal).toBe("SIGKILL");
    const before = lines();
    expect(before).toBeGreaterThanOrEqual(2);
    expect(before).toBeLessThan(8);
    // A line torn by the kill (simulated: kill -9 can leave one): cut off on resume.
    appendFileSync(join(out, "rejects.jsonl"), '{"id":"s7","reason":"verd');
    const resumed = await runCli("datagen", args);
    expect(resumed.code, resumed.stderr).toBe(readJsonlFile(join(out, "conversations.jsonl")).length > 0 ? 0 : 1); // 1: nothing kept
    expect(resumed.stderr).toMatch(/resuming .*dropped a half-written last line/);
    const summary = JSON.parse(resumed.stdout) as { resumed: number; written: number; judged: number; items: number };
    expect(summary).toMatchObject({ resumed: before, written: 8 - before, judged: 8 - before, items: 8 });
    const keys = [
      ...readJsonlFile<{ meta: { judge: { source: { line: number } } } }>(join(out, "conversations.jsonl")).map(
        (r) => r.meta.judge.source.line,
      ),
      ...readJsonlFile<{ source: { line: number } }>(join(out, "rejects.jsonl")).map((r) => r.source.line),
    ].sort((a, b) => a - b);
    expect(keys).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  }, 300_000);
});

function readLinesSafe(path: string): number {
  try {
    return readFileSync(path, "utf8").split("\n").length - 1;
  } catch {
    return 0;
  }
}
