// Friction in the README tour's train commands: `--eval-only` reports progress while it runs (it
// printed nothing for minutes), and a run too short for its warmup says that the learning rate never
// reaches --lr (with the default --warmup 20, `--steps 20` peaked at 95 % of it, silently).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packDataset } from "../../src/pack/index.js";
import { buildTrainer, evaluate, RECIPE, type EvalProgress } from "../../src/train/index.js";
import { lrAt, scheduleWarning } from "../../src/train/schedule.js";
import { runCli } from "../helpers/cli.js";

const recipe = { lr: RECIPE.lr, warmup: RECIPE.warmup, decayRatio: RECIPE.decayRatio, minLrFactor: RECIPE.minLrFactor };

describe("learning-rate schedule warning", () => {
  it("warns when no step reaches --lr, and says how close it gets", () => {
    // torchtitan's warmup: step i runs at lr (i+1)/(warmup+1); 20 steps of a 20-step warmup peak at 20/21.
    expect(scheduleWarning(recipe, 20)).toMatch(/never reaches --lr 0\.00001 \(highest: 95 % of it, at step 20\).*--warmup 2/);
    // warmup 15 of 20: the decay is cut to the last 5 steps, so there is no stable step either.
    expect(scheduleWarning({ ...recipe, warmup: 15 }, 20)).toMatch(/never reaches/);
    expect(scheduleWarning({ ...recipe, warmup: 2 }, 20)).toBeUndefined();
    expect(scheduleWarning(recipe, 441)).toBeUndefined(); // the model card's run
  });

  it("follows the trainer's schedule (trainer/adamw.h lr_at)", () => {
    expect(lrAt(recipe, 0, 441)).toBeCloseTo(recipe.lr / 21, 15);
    expect(lrAt(recipe, 220, 441)).toBe(recipe.lr); // 441 * 0.5 rounds half to even: decay 220
    expect(lrAt(recipe, 221, 441)).toBeLessThan(recipe.lr);
    expect(lrAt(recipe, 440, 441)).toBeCloseTo(recipe.lr * (0.3 + 0.7 * 0.5 * (1 + Math.cos((Math.PI * 220) / 221))), 15);
  });
});

describe("train on the smoke model", () => {
  let dir: string;
  let data: string;

  beforeAll(async () => {
    await buildTrainer();
    dir = mkdtempSync(join(tmpdir(), "datagen-friction-train-"));
    data = join(dir, "packed");
    const packed = await packDataset(["test/fixtures/train/generated-persona.jsonl"], { out: data, seqLen: 1024, workers: 1 });
    expect(packed.samples).toBeGreaterThan(1);
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("--eval-only reports each evaluated sample while it runs", async () => {
    const seen: EvalProgress[] = [];
    const result = await evaluate({ data, threads: 2, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.map((p) => p.sample)).toEqual(Array.from({ length: seen.length }, (_, i) => i + 1));
    expect(seen.every((p) => p.samples === seen.length)).toBe(true);
    expect(seen.at(-1)!.tokens_trained).toBe(result.tokens_trained);
  }, 300_000);

  it("`train --steps 1` with the default --warmup 20 warns on stderr", async () => {
    const { code, stderr } = await runCli("datagen", [
      "train",
      "--data",
      data,
      "--out",
      join(dir, "run"),
      "--steps",
      "1",
      "--threads",
      "2",
    ]);
    expect(code, stderr).toBe(0);
    expect(stderr).toMatch(/^warning: with --warmup 20 and --steps 1 the learning rate never reaches --lr/m);
  }, 300_000);
});
