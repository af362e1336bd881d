// The trainer's forward pass against llama.cpp's (through node-llama-cpp) on the smoke model.
// Oracle settings that matter: an all-F32 model (with F16 weights ggml rounds activations to F16 in
// the matmuls), an F32 KV cache (the F16 default costs ~4e-3) and flash attention off (ggml's CPU
// flash-attention path costs ~7e-4 here). node-llama-cpp exposes next-token probabilities, not raw
// logits, so both sides are compared as log-softmax rows, centered: logits up to each row's constant.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { getLlama } from "node-llama-cpp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureSmokeModel } from "../../src/model/smoke.js";
import { buildTrainer } from "../../src/train/index.js";
import { runTrainer } from "../helpers/train-helpers.js";

const VOCAB = 201_088;
// Past the 128-token sliding window of layer 0, so the window is exercised.
const N_TOKENS = 200;
const POSITIONS = [0, 1, 63, 127, 128, 129, 170, N_TOKENS - 1];

/** Row-centered log-softmax of a logits row (double precision). */
function centeredLogSoftmax(row: Float32Array | Float64Array): Float64Array {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(row.length);
  let mean = 0;
  for (let i = 0; i < row.length; i++) mean += out[i] = row[i]! - lse;
  mean /= row.length;
  for (let i = 0; i < row.length; i++) out[i]! -= mean;
  return out;
}

/** max |a - b| / max |a| over the rows. */
function relativeError(oracle: Float64Array[], ours: Float64Array[]): number {
  let diff = 0;
  let scale = 0;
  oracle.forEach((o, r) => {
    for (let i = 0; i < o.length; i++) {
      diff = Math.max(diff, Math.abs(o[i]! - ours[r]![i]!));
      scale = Math.max(scale, Math.abs(o[i]!));
    }
  });
  return diff / scale;
}

describe("trainer forward == llama.cpp forward (smoke model, F32)", () => {
  let dir: string;
  let modelPath: string;
  let tokens: number[];
  let oracle: Float64Array[];

  async function ourRows(extra: string[] = []): Promise<Float64Array[]> {
    const out = join(dir, `logits-${extra.length}.f32`);
    const r = await runTrainer([
      "logits",
      "--model",
      modelPath,
      "--tokens",
      join(dir, "tokens.u32"),
      "--out",
      out,
      "--threads",
      "2",
      ...extra,
    ]);
    expect(r.code, r.stderr).toBe(0);
    const all = new Float32Array(new Uint8Array(readFileSync(out)).buffer);
    expect(all.length).toBe(N_TOKENS * VOCAB);
    return POSITIONS.map((p) => centeredLogSoftmax(all.subarray(p * VOCAB, (p + 1) * VOCAB)));
  }

  beforeAll(async () => {
    await buildTrainer();
    dir = mkdtempSync(join(tmpdir(), "datagen-train-oracle-"));
    modelPath = await ensureSmokeModel({ weightType: "f32" });
    const llama = await getLlama({ gpu: false, build: "never", logLevel: "error" as never });
    const model = await llama.loadModel({ modelPath });
    const context = await model.createContext({
      contextSize: 512,
      batchSize: 512,
      threads: 1,
      flashAttention: false,
      experimentalKvCacheKeyType: "F32",
      experimentalKvCacheValueType: "F32",
    });
    const text = "The quick brown fox jumps over the lazy dog; persona tool-calling data, packed at 131,072. ";
    tokens = model.tokenize(text.repeat(40)).slice(0, N_TOKENS) as number[];
    expect(tokens.length).toBe(N_TOKENS);
    writeFileSync(join(dir, "tokens.u32"), new Uint8Array(new Uint32Array(tokens).buffer));
    const wanted = new Set(POSITIONS);
    const sampling = { temperature: 1, topK: 0, topP: 1, minP: 0 };
    const results = await context
      .getSequence()
      .controlledEvaluate(
        tokens.map((t, i) => (wanted.has(i) ? [t, { generateNext: { probabilities: true, options: sampling } }] : t) as never),
      );
    oracle = POSITIONS.map((p) => {
      const probs = results[p]!.next.probabilities!;
      expect(probs.size).toBe(VOCAB); // the whole distribution, not a top-k of it
      const row = new Float64Array(VOCAB);
      for (const [token, prob] of probs) row[token] = Math.log(prob);
      return centeredLogSoftmax(row);
    });
    await context.dispose();
    await model.dispose();
    await llama.dispose();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("logits agree within 1e-4 relative at positions inside and past the sliding window", async () => {
    const error = relativeError(oracle, await ourRows());
    console.log(`trainer vs llama.cpp: max relative logit error ${error.toExponential(2)}`);
    expect(error).toBeLessThan(1e-4);
  });

  it("the untruncated (HF) YaRN correction range is a different model, and the oracle tells them apart", async () => {
    const error = relativeError(oracle, await ourRows(["--rope-untruncated"]));
    console.log(`untruncated YaRN vs llama.cpp: ${error.toExponential(2)}`);
    expect(error).toBeGreaterThan(1e-4);
  });
});
