// Same command, same seed, same machine → byte-identical records (docs/DETERMINISM.md), on the smoke
// model through node-llama-cpp. Each conversation starts from an empty cache and draws every seed
// from its own id, so it is the same whichever records run before it or beside it in the run, and
// records hold no wall-clock value (timings are in run.json).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { ConversationRecord } from "../../src/core/record.js";
import { generateDataset, loadGenerateConfig, type GenerateOverrides } from "../../src/generate/index.js";

const dir = mkdtempSync(join(tmpdir(), "datagen-determinism-generate-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Generates into a fresh folder; returns conversations.jsonl's lines by record id. */
async function generate(name: string, overrides: GenerateOverrides): Promise<Map<string, string>> {
  const out = join(dir, name);
  const summary = await generateDataset(loadGenerateConfig(undefined, { ...overrides, out, threads: 1 }));
  expect(summary.status).toBe("complete");
  const lines = readFileSync(join(out, "conversations.jsonl"), "utf8").trim().split("\n");
  return new Map(lines.map((line) => [(JSON.parse(line) as ConversationRecord).id, line]));
}

describe("generate determinism (smoke model)", () => {
  let first: Map<string, string>;

  it("writes byte-identical records in two runs of the same command", async () => {
    first = await generate("a", { personas: "lawful_good,chaotic_evil", count: 2, seed: 7, concurrency: 1 });
    const second = await generate("b", { personas: "lawful_good,chaotic_evil", count: 2, seed: 7, concurrency: 1 });
    expect(first.size).toBe(4);
    expect([...second.entries()]).toEqual([...first.entries()]);
  }, 600_000);

  it("gives a record the same bytes whichever records ran before it on the model", async () => {
    // Only chaotic_evil: its records now follow each other instead of lawful_good's.
    const alone = await generate("c", { personas: "chaotic_evil", count: 2, seed: 7, concurrency: 1 });
    for (const [id, line] of alone) expect(line, id).toBe(first.get(id));
  }, 600_000);

  it("keeps wall-clock values out of the records", () => {
    for (const line of first.values()) {
      const record = JSON.parse(line) as ConversationRecord;
      expect(
        Object.keys(record.meta ?? {}).every((key) =>
          [
            "seed",
            "model",
            "scenario",
            "scenario_parts",
            "theme",
            "trap",
            "refusal_class",
            "request_harmful",
            "date",
            "reasoning_effort",
            "steps",
          ].includes(key),
        ),
        line,
      ).toBe(true);
      expect(line).not.toMatch(/\d{4}-\d\d-\d\dT\d\d:\d\d/);
    }
  });
});
