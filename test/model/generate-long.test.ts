// Long-context generation on the real smoke model (node-llama-cpp, CPU, one thread): one record of
// the 4k-8k band with the answer check on (the smoke model's answer is noise, so it is rejected as
// expected_answer_missing) and the same job with --no-answer-check (written, answers kept unchecked).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateDataset, loadGenerateConfig } from "../../src/generate/index.js";
import { LongRun } from "../../src/generate/long-run.js";
import { loadPlan } from "../../src/generate/run-plan.js";
import { renderRecord } from "../../src/render/index.js";
import { validateRecord } from "../../src/validate/index.js";

const work = mkdtempSync(join(tmpdir(), "datagen-generate-long-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const pipeline = join(work, "long.json");
writeFileSync(
  pipeline,
  JSON.stringify({
    name: "long-test",
    personas: ["lawful_good"],
    count: 1,
    longContext: { bands: { "4k-8k": 1 }, tasks: ["single_needle"], payloads: ["logs"], answerBudget: 256 },
    retries: 0,
    contextSize: "auto",
    concurrency: 1,
  }),
);

const lines = (file: string) =>
  readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, any>);

describe("the plan's length mix", () => {
  const bandsOf = (pipelineFile: string, overrides: Parameters<typeof loadGenerateConfig>[1]) => {
    const config = loadGenerateConfig(pipelineFile, overrides);
    const planned = [...loadPlan(config).plan.conversations].sort((a, b) => a.index - b.index);
    const run = LongRun.maybe(config, planned.length);
    const bands: Record<string, number> = {};
    planned.forEach((_, n) => {
      const job = run?.jobFor(n);
      if (job) bands[job.band] = (bands[job.band] ?? 0) + 1;
    });
    run?.close();
    return { total: planned.length, bands };
  };

  it("long-context.json gives every band a conversation; kappa makes 2 % long, spread by its shares", () => {
    const long = bandsOf("pipelines/long-context.json", { personas: "lawful_good", count: 5 });
    expect(Object.keys(long.bands).sort()).toEqual(["16k-32k", "32k-64k", "4k-8k", "64k-128k", "8k-16k"]);
    expect(Object.values(long.bands).reduce((a, b) => a + b, 0)).toBe(long.total);
    const kappa = bandsOf("pipelines/kappa.json", { count: 1000 });
    const longCount = Object.values(kappa.bands).reduce((a, b) => a + b, 0);
    expect(longCount).toBe(Math.floor(kappa.total * 0.02));
    expect(kappa.bands["4k-8k"]).toBeGreaterThan(kappa.bands["64k-128k"]);
    expect(kappa.bands["64k-128k"]).toBeGreaterThan(0);
  });
});

describe("generate with longContext", () => {
  it("sizes the context from the band, rejects a noise answer, and keeps it unchecked under --no-answer-check", async () => {
    const checked = loadGenerateConfig(pipeline, { out: join(work, "on") });
    expect(checked.contextSize).toBe(8192 + 256);
    const on = await generateDataset(checked);
    expect(on.rejected).toBe(1);
    const [reject] = lines(join(work, "on", "rejects.jsonl"));
    expect(reject.reason).toBe("expected_answer_missing");
    expect(reject.long_context).toMatchObject({ band: "4k-8k", task: "single_needle", payload: "logs" });
    const runOn = JSON.parse(readFileSync(join(work, "on", "run.json"), "utf8"));
    expect(runOn.long_context["4k-8k"]).toMatchObject({ records: 0, rejects: 1 });
    expect(runOn.long_context["4k-8k"].peak_rss_mib).toBeGreaterThan(0);

    const off = await generateDataset(loadGenerateConfig(pipeline, { out: join(work, "off"), answerCheck: false }));
    expect(off.written).toBe(1);
    const [record] = lines(join(work, "off", "conversations.jsonl"));
    expect(validateRecord(record).ok).toBe(true);
    const long = record.meta.long_context;
    expect(record.meta.expected_answers).toBeUndefined();
    expect(long).toMatchObject({ band: "4k-8k", task: "single_needle", payload: "logs", answer_check: "off" });
    expect(long.unchecked_expected_answers).toHaveLength(1);
    // The needle is in the tool result, and the record before the answer has about the target length.
    expect(record.messages[3].role).toBe("tool");
    expect(record.messages[3].content).toContain(long.unchecked_expected_answers[0]);
    const rendered = renderRecord({ ...record, messages: record.messages.slice(0, 4) } as never).tokens.length;
    expect(rendered).toBeGreaterThanOrEqual(4096);
    expect(Math.abs(rendered - long.target_tokens)).toBeLessThan(200);
    // Putting the answers back as meta.expected_answers makes validate apply the rule to the noise.
    const audited = validateRecord({ ...record, meta: { ...record.meta, expected_answers: long.unchecked_expected_answers } });
    expect(audited.ok ? [] : audited.issues.map((i) => i.code)).toEqual(["expected_answer_missing"]);
  }, 240_000);
});
