// The CPU reference's own correctness checks, in float64 (trainer/test_gpt_oss.cpp): finite-difference
// gradients of every parameter tensor (llama.cpp's truncated YaRN and the untruncated HF form), packed
// sample == sum of its documents run one at a time, labels under mask 0 having no effect; and the
// float fast paths against the reference loops.
import { beforeAll, describe, expect, it } from "vitest";
import { buildTrainer, trainerTestBinaryPath } from "../../src/train/index.js";
import { runProgram } from "../helpers/cli.js";

interface Check {
  check: string;
  ok: boolean;
  [key: string]: unknown;
}

describe("trainer CPU reference (float64)", () => {
  let checks: Check[] = [];

  beforeAll(async () => {
    await buildTrainer();
    // Its exit status is not read: each check's line says whether it held (a failing one exits 1).
    const { stdout } = await runProgram(trainerTestBinaryPath(), [], { timeoutMs: 120_000 });
    checks = stdout
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Check);
  });

  it("gradients of every parameter tensor match central finite differences", () => {
    const grads = checks.filter((c) => c.check === "gradcheck");
    expect(grads.map((c) => c.mode)).toEqual(["llama.cpp-truncated-yarn", "hf-untruncated-yarn"]);
    for (const c of grads) {
      expect(c.tensors).toBe(41); // token_embd, 19 per layer x 2, output_norm, output
      expect(c.worst_rel_error as number).toBeLessThan(1e-4);
      expect(c.ok).toBe(true);
    }
  });

  it("a packed sample's loss and gradients equal the sum over its documents run alone", () => {
    const c = checks.find((x) => x.check === "packed")!;
    expect(c.documents).toBe(3);
    expect(c.targets as number).toBeGreaterThan(0);
    expect(c.loss_packed as number).toBeCloseTo(c.loss_documents as number, 9);
    expect(c.max_grad_diff as number).toBeLessThan(1e-9);
    expect(c.ok).toBe(true);
  });

  it("labels under mask 0 and padding tokens have no effect, while a trained label does", () => {
    const c = checks.find((x) => x.check === "mask")!;
    expect(c.changed_labels as number).toBeGreaterThan(0);
    expect(c.changed_padding as number).toBeGreaterThan(0);
    expect(c.loss_diff).toBe(0);
    expect(c.control_loss_diff as number).toBeGreaterThan(0);
    expect(c.ok).toBe(true);
  });

  it("the float fast paths (output head, dense projections) are as close to float64 as the reference loops", () => {
    const c = checks.find((x) => x.check === "fast_head")!;
    expect(c.loss_fast as number).toBeCloseTo(c.loss_reference as number, 3);
    expect(c.fast_grad_rel_error as number).toBeLessThan(1e-5);
    expect(c.fast_grad_rel_error as number).toBeLessThanOrEqual(2 * (c.reference_grad_rel_error as number) + 1e-6);
    expect(c.ok).toBe(true);
  });

  it("the GGUF reader/writer's F16 and BF16 conversions round to nearest even and round-trip every finite F16", () => {
    const c = checks.find((x) => x.check === "half_conversions")!;
    expect(c.cases).toBe(7);
    expect(c.ok).toBe(true);
  });

  it("the learning-rate schedule is torchtitan's warmup-stable-decay at the model card's 441 steps", () => {
    const c = checks.find((x) => x.check === "recipe_schedule")!;
    expect(c.lr_0 as number).toBeCloseTo(1e-5 / 21, 12);
    expect(c.lr_220).toBe(1e-5); // round(441 * 0.5) = 220 decay steps, as Python rounds
    expect(c.lr_221 as number).toBeLessThan(1e-5);
    expect(c.lr_440 as number).toBeGreaterThan(0.3e-5);
    expect(c.ok).toBe(true);
  });
});
