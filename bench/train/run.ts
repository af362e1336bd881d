// Trainer benchmark: our CPU trainer against PyTorch eager (transformers GptOss, float32) on the
// same GGUF weights, the same samples and the same step, side by side in one run, same thread count.
//
//   npx tsx bench/train/run.ts [--seq-len 1024] [--steps 4] [--threads 2] [--config smoke|wide]
//
// Needs python3 with torch, transformers and gguf (from the local pip mirror), and `make -C trainer`.
// Throughput is trained (masked) tokens per second, averaged over the steps after the first.
// Each side's step-1 loss is printed too: both use the untruncated YaRN range of HF here
// (--rope-untruncated on our side), so the losses must agree.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ensureSmokeModel, type SmokeModelOptions } from "../../src/model/smoke.js";
import { buildTrainer, trainerBinaryPath } from "../../src/train/index.js";
import { writePackedDataset, type Doc } from "../../test/train-helpers.js";

const execFileAsync = promisify(execFile);

const CONFIGS: Record<string, SmokeModelOptions> = {
  // the embedded smoke model: the 201,088 x 64 vocabulary matrices dominate
  smoke: { weightType: "f32" },
  // wider and deeper, closer to gpt-oss's balance between the head and the blocks
  wide: { weightType: "f32", embd: 256, layers: 4, heads: 8, kvHeads: 2, headDim: 64, experts: 8, expertsUsed: 2, expertFfn: 256 },
};

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : fallback;
}

/** One document per sample: seqLen tokens, with "assistant" spans of 64 trained tokens every 128. */
function benchDocs(samples: number, seqLen: number): Doc[] {
  let seed = 12345;
  const rand = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  return Array.from({ length: samples }, () => {
    const tokens = Array.from({ length: seqLen }, () => Math.floor(rand() * 50_000));
    const mask = tokens.map((_, i) => (i > 0 && i % 128 >= 64 ? 1 : 0));
    return { tokens, mask };
  });
}

interface Step {
  step: number;
  loss: number;
  tokens_trained: number;
  seconds: number;
  tokens_per_s: number;
}

async function jsonLines(cmd: string, args: string[]): Promise<Step[]> {
  const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  if (code !== 0) throw new Error(`${cmd} exited ${code}`);
  return out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l))
    .filter((v) => typeof v.loss === "number") as Step[];
}

function steady(steps: Step[]): number {
  const rest = steps.slice(1);
  const tokens = rest.reduce((a, s) => a + s.tokens_trained, 0);
  const seconds = rest.reduce((a, s) => a + s.seconds, 0);
  return tokens / seconds;
}

async function main(): Promise<void> {
  const seqLen = Number(flag("seq-len", "1024"));
  const steps = Number(flag("steps", "4"));
  const threads = Number(flag("threads", "2"));
  const configName = flag("config", "smoke");
  const config = CONFIGS[configName];
  if (!config) throw new Error(`unknown --config ${configName} (known: ${Object.keys(CONFIGS).join(", ")})`);
  await buildTrainer();
  const model = await ensureSmokeModel(config);
  const dir = mkdtempSync(join(tmpdir(), "datagen-bench-train-"));
  try {
    const data = join(dir, "data");
    writePackedDataset(data, benchDocs(steps, seqLen), seqLen);
    const shard = join(data, "shard-00000");
    const ours = await jsonLines(trainerBinaryPath(), [
      "train", "--model", model, "--shard", shard, "--seq-len", String(seqLen), "--out", join(dir, "ours"),
      "--steps", String(steps), "--threads", String(threads), "--rope-untruncated", "--warmup", "0",
    ]);
    const torch = await jsonLines("python3", [
      "bench/train/torch_gpt_oss_step.py", "--model", model, "--data", data, "--steps", String(steps), "--threads", String(threads),
    ]);
    const { stdout: torchVersion } = await execFileAsync("python3", ["-c", "import torch, transformers; print(torch.__version__, transformers.__version__)"]);
    const a = steady(ours);
    const b = steady(torch);
    const row = (name: string, s: Step[], tps: number) =>
      `| ${name} | ${s[0]!.loss.toFixed(6)} | ${s.slice(1).map((x) => x.seconds.toFixed(2)).join(", ")} | ${tps.toFixed(1)} |`;
    console.log(`config ${configName} (${JSON.stringify(config)}), seq_len ${seqLen}, ${steps} steps (first excluded), threads ${threads}, ` +
      `${cpus().length} cores, ${new Date().toISOString().slice(0, 10)}, torch/transformers ${torchVersion.trim()}`);
    console.log("| implementation | step-1 loss | step seconds (after the first) | trained tokens/s |");
    console.log("|---|---|---|---|");
    console.log(row("datagen trainer (C++ CPU reference, f32)", ours, a));
    console.log(row("PyTorch eager, transformers GptOss (f32)", torch, b));
    console.log(`ratio ours / PyTorch: ${(a / b).toFixed(2)}; step-1 loss difference ${Math.abs(ours[0]!.loss - torch[0]!.loss).toExponential(2)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
