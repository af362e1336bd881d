// Hostile GGUF files: a count that does not divide, a 64-bit count that truncates to a
// small one, a zero dimension, a wrong shape. checkModelFile (generate and train) and the native
// trainer each refuse them with the reason; neither dies of a signal. The files are written with
// the project's GGUF writer from the smoke model's own tensor list, on a 16-token vocabulary. A
// complete GGUF that holds no model at all is named by generate (node-llama-cpp) and train (trainer).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkModelFile } from "../../src/model/check.js";
import { GGML_TYPE, gv, writeGguf, type GgufValue } from "../../src/model/gguf.js";
import { smokeHyperparameters, smokeMetadata, smokeTensorSpecs, type SmokeHyperparameters } from "../../src/model/smoke.js";
import { buildTrainer } from "../../src/train/index.js";
import { expectCleanError, runCli } from "../helpers/cli.js";
import { personaDocs, runTrainer, writePackedDataset } from "../helpers/train-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "model-check-hostile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Hostile {
  /** Metadata keys to replace. */
  metadata?: Record<string, GgufValue>;
  /** Tensor name → shape to write instead of the right one. */
  shapes?: Record<string, number[]>;
}

/** A small gpt-oss GGUF (zero weights, no tokenizer) with the given damage. */
async function hostileModel(name: string, damage: Hostile = {}): Promise<string> {
  const h: SmokeHyperparameters = {
    ...smokeHyperparameters({ embd: 8, headDim: 4, heads: 4, kvHeads: 2, experts: 2, expertsUsed: 1, layers: 2 }),
    vocab: 16,
  };
  const metadata = new Map([...smokeMetadata(h)].filter(([key]) => !key.startsWith("tokenizer.")));
  for (const [key, value] of Object.entries(damage.metadata ?? {})) metadata.set(key, value);
  const tensors = smokeTensorSpecs(h).map((spec) => {
    const shape = damage.shapes?.[spec.name] ?? spec.shape;
    return { name: spec.name, shape, type: GGML_TYPE.F32, data: new Uint8Array(4 * shape.reduce((a, b) => a * b, 1)) };
  });
  const path = join(dir, `${name}.gguf`);
  await writeGguf(path, { metadata, tensors });
  return path;
}

function refusal(path: string): string {
  try {
    checkModelFile(path);
  } catch (e) {
    return (e as Error).message;
  }
  return "accepted";
}

/** The trainer's `info` on a model: exit code, the signal if one ended it, stdout and stderr. */
const trainerInfo = (path: string, extra: string[] = []) => runTrainer(["info", "--model", path, ...extra]);

const CASES: [string, Hostile, RegExp, RegExp][] = [
  [
    "head_count not a multiple of head_count_kv",
    { metadata: { "gpt-oss.attention.head_count_kv": gv.u32(3) } },
    /gguf-bad-value .*head_count 4 is not a multiple of .*head_count_kv 3/,
    /head_count 4 is not a multiple of head_count_kv 3/,
  ],
  [
    "head_count_kv 0",
    { metadata: { "gpt-oss.attention.head_count_kv": gv.u32(0) } },
    /head_count_kv = 0 is outside 1\.\.1024/,
    /head_count_kv = 0 is outside 1\.\.1024/,
  ],
  [
    "embedding_length 4294967360 (64 as its low 32 bits)",
    { metadata: { "gpt-oss.embedding_length": gv.u64(4294967360n) } },
    /embedding_length = 4294967360 is outside 1\.\.65536/,
    /embedding_length = 4294967360 is outside 1\.\.65536/,
  ],
  [
    "a count that is a float",
    { metadata: { "gpt-oss.block_count": gv.f32(2) } },
    /block_count is float32, not an integer/,
    /block_count is not a non-negative integer/,
  ],
  [
    "a zero dimension",
    { shapes: { "blk.0.attn_q.bias": [0] } },
    /gguf-bad-shape tensor "blk\.0\.attn_q\.bias" has shape \[0\]: every dimension must be at least 1/,
    /attn_q\.bias has dimension 0 = 0/,
  ],
  [
    "a shape that does not match the counts",
    { shapes: { "blk.1.attn_k.weight": [16, 8] } },
    /tensor "blk\.1\.attn_k\.weight" has shape \[16, 8\], the hyperparameters need \[8, 8\]/,
    /blk\.1\.attn_k\.weight has shape \[16, 8\], the hyperparameters need \[8, 8\]/,
  ],
];

describe("hostile GGUF files", () => {
  const paths = new Map<string, string>();
  beforeAll(async () => {
    await buildTrainer();
    for (const [name, damage] of CASES) paths.set(name, await hostileModel(name.replace(/\W+/g, "-"), damage));
    paths.set("intact", await hostileModel("intact"));
  }, 600_000);

  it("the intact small model passes both checks (the cases below differ from it by one field)", async () => {
    expect(refusal(paths.get("intact")!)).toBe("accepted");
    const info = await trainerInfo(paths.get("intact")!);
    expect(info.code, info.stderr).toBe(0);
    expect(JSON.parse(info.stdout)).toMatchObject({ n_embd: 8, n_head: 4, n_head_kv: 2, n_vocab: 16 });
  });

  for (const [name, , checkMessage, trainerMessage] of CASES) {
    it(`${name}: checkModelFile refuses it, and so does the trainer (exit 1, no signal)`, async () => {
      expect(refusal(paths.get(name)!)).toMatch(checkMessage);
      const info = await trainerInfo(paths.get(name)!);
      expect(info.signal).toBeNull();
      expect(info.code).toBe(1);
      expect(info.stderr).toMatch(trainerMessage);
    });
  }

  it("generate --model refuses a zero-dimension tensor before node-llama-cpp loads it (not ggml's abort, exit 134)", async () => {
    const r = await runCli("datagen", ["generate", "--model", paths.get("a zero dimension")!, "--count", "1", "--out", join(dir, "gen")]);
    expectCleanError(r, 1, /gguf-bad-shape tensor "blk\.0\.attn_q\.bias" has shape \[0\]/);
    expect(r.signal).toBeNull();
  }, 120_000);

  it("train --model refuses a head count that does not divide before the trainer starts", async () => {
    const data = join(dir, "data");
    writePackedDataset(data, personaDocs(2), 512);
    const r = await runCli("datagen", [
      "train",
      "--data",
      data,
      "--model",
      paths.get("head_count not a multiple of head_count_kv")!,
      "--out",
      join(dir, "run"),
      "--steps",
      "1",
    ]);
    expectCleanError(r, 1, /head_count 4 is not a multiple of gpt-oss\.attention\.head_count_kv 3/);
  }, 120_000);
});

describe("a complete GGUF that holds no model", () => {
  for (const command of ["generate", "train"]) {
    // generate: node-llama-cpp said only "Failed to load model" (exit 70); train: the trainer names the architecture.
    it(`${command} --model names it, with a reason`, async () => {
      const empty = join(dir, `no-model-${command}.gguf`);
      await writeGguf(empty, { metadata: [["general.architecture", gv.str("llama")]], tensors: [] });
      const data = join(dir, "data-no-model");
      if (command === "train") writePackedDataset(data, personaDocs(2), 1024);
      const args =
        command === "generate"
          ? ["generate", "--model", empty, "--count", "1", "--out", join(dir, `out-${command}`)]
          : ["train", "--data", data, "--model", empty, "--out", join(dir, `out-${command}`), "--steps", "1"];
      expectCleanError(
        await runCli("datagen", args),
        1,
        command === "generate" ? /no-model-generate\.gguf model_load_failed/ : /bad_model .*no-model-train\.gguf: architecture is "llama"/,
      );
    }, 180_000);
  }
});

describe("--threads is capped at the cores", () => {
  it("datagen train and generate refuse --threads 100000 as a usage error", async () => {
    const cores = availableParallelism();
    const [trainRun, generateRun] = await Promise.all([
      runCli("datagen", ["train", "--data", dir, "--out", join(dir, "t"), "--steps", "1", "--threads", "100000"]),
      runCli("datagen", ["generate", "--count", "1", "--out", join(dir, "g"), "--threads", "100000"]),
    ]);
    for (const r of [trainRun, generateRun])
      expectCleanError(
        r,
        2,
        new RegExp(`--threads must be an integer in 1\\.\\.${cores}, got "100000" \\(this machine has ${cores} cores\\)`),
      );
  }, 60_000);

  it("the trainer binary refuses it too (exit 2, not killed)", async () => {
    const info = await trainerInfo(join(dir, "missing.gguf"), ["--threads", "100000"]);
    expect(info.signal).toBeNull();
    expect(info.code).toBe(2);
    expect(info.stderr).toMatch(/--threads must be an integer in 1\.\.\d+ \(the online cores\), got 100000/);
  });
});

describe("a trainer that dies of a signal", () => {
  it("is reported with the signal's name, not 'exit null'", async () => {
    const fake = join(dir, "dies-of-sigsegv.sh");
    writeFileSync(fake, "#!/bin/sh\nkill -SEGV $$\n");
    chmodSync(fake, 0o755);
    const data = join(dir, "data-signal");
    writePackedDataset(data, personaDocs(2), 512);
    const model = await hostileModel("for-signal");
    // DATAGEN_TRAINER_BIN: the fake stands in for a crash the real trainer no longer has.
    const r = await runCli("datagen", ["train", "--data", data, "--model", model, "--eval-only"], { env: { DATAGEN_TRAINER_BIN: fake } });
    expectCleanError(r, 1, /trainer killed by SIGSEGV \(signal 11\)/);
    expect(r.stderr).not.toContain("exit null");
  }, 60_000);
});
