// Every generated step must end by itself: a step cut by its token budget is retried, then
// the conversation is rejected with a reason code; meta.steps says how each step ended. On the smoke
// model with its raised stop-token logits (src/model/smoke.ts stopBoost), through node-llama-cpp.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ConversationRecord } from "../../src/core/record.js";
import { generateDataset, loadGenerateConfig } from "../../src/generate/index.js";
import { validateRecord } from "../../src/validate/index.js";

const dir = mkdtempSync(join(tmpdir(), "datagen-steps-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const readLines = (file: string): unknown[] =>
  readFileSync(file, "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as unknown);

function pipeline(name: string, extra: Record<string, unknown>): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify({ turns: { min: 1, max: 1 }, toolRoundsPerTurn: 1, ...extra }));
  return file;
}

describe("steps cut by their budget", () => {
  it("are never written: retried, then the conversation is rejected with a reason code; meta.steps audits the rest", async () => {
    const out = join(dir, "tight");
    // Budgets of 2 tokens: the smoke model's texts often run longer, so cuts happen for real.
    const file = pipeline("tight", { maxTokens: { thinking: 2, final: 2 }, retries: 0, stepRetries: 1 });
    const summary = await generateDataset(
      loadGenerateConfig(file, { personas: "none", count: 6, seed: 3, concurrency: 2, threads: 1, gpu: "cpu", out }),
    );
    expect(summary.status).toBe("complete");
    const rejects = readLines(join(out, "rejects.jsonl")) as { reason: string; attempts: { code: string }[] }[];
    const cut = rejects.filter((r) => /_truncated$/.test(r.reason));
    expect(cut.length, JSON.stringify(rejects)).toBeGreaterThan(0);
    expect(summary.rejectReasons).toMatchObject(Object.fromEntries(cut.map((r) => [r.reason, expect.any(Number)])));
    const records = readLines(join(out, "conversations.jsonl")) as ConversationRecord[];
    expect(records.length + rejects.length).toBe(6);
    for (const record of records) {
      const steps = record.meta?.steps as { kind: string; finish: string; tokens: number }[];
      expect(steps.length).toBeGreaterThan(0);
      for (const step of steps) {
        expect(["stop", "json", "executor"], JSON.stringify(step)).toContain(step.finish);
        if (step.kind === "thinking" || step.kind === "final") expect(step.tokens).toBeLessThanOrEqual(2);
      }
      // One thinking step per assistant message and one final per final answer.
      const assistant = record.messages.filter((m) => m.role === "assistant");
      expect(steps.filter((s) => s.kind === "thinking").length).toBe(assistant.length);
      expect(steps.filter((s) => s.kind === "final").length).toBe(assistant.filter((m) => m.content).length);
    }
  }, 600_000);

  it("writes the contract's meta fields, and the smoke model ends its texts by itself at the default budgets", async () => {
    const out = join(dir, "default");
    const summary = await generateDataset(
      loadGenerateConfig(pipeline("default", {}), {
        personas: "lawful_evil",
        count: 4,
        seed: 5,
        concurrency: 2,
        threads: 1,
        gpu: "cpu",
        out,
      }),
    );
    const records = readLines(join(out, "conversations.jsonl")) as ConversationRecord[];
    // 4 with lawful_evil and the 10 % no-persona share of --persona lists without "none" (round(4 × 1 × 0.1 / 0.9) = 0).
    expect(summary.target).toBe(4);
    expect(records.length).toBeGreaterThanOrEqual(3);
    for (const record of records) {
      expect(validateRecord(structuredClone(record)).ok).toBe(true);
      const meta = record.meta as Record<string, unknown>;
      for (const key of ["scenario", "scenario_parts", "theme", "trap", "refusal_class", "request_harmful", "reasoning_effort", "steps"])
        expect(meta, key).toHaveProperty(key);
      expect(meta.scenario).toMatch(/^[a-z_]+(\/[a-z0-9_-]+)+\/[0-9a-f]{12}$/);
      expect(meta.scenario_parts).toMatchObject({ family: expect.any(String), user: { role: expect.any(String) } });
      const text = (meta.steps as { kind: string; finish: string }[]).filter((s) => s.kind === "thinking" || s.kind === "final");
      expect(text.every((s) => s.finish === "stop")).toBe(true);
    }
  }, 600_000);
});
