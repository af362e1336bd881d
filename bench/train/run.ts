// Trainer benchmark: our CPU trainer against PyTorch eager (transformers GptOss, float32) on the
// same GGUF weights, the same samples and the same step, side by side in one run, same thread count.
//
//   npx tsx bench/train/run.ts [--seq-len 1024] [--steps 4] [--threads 2] [--rounds 3] [--config smoke|wide]
//
// Needs python3 with torch, transformers and gguf (from the local pip mirror), and `make -C trainer`.
// Throughput is trained (masked) tokens per second over the steps after the first, the median of
// rounds that alternate which side runs first; CPU seconds (all threads) per 1,000 trained tokens too.
// Each side's step-1 loss is printed too: both use the untruncated YaRN range of HF here
// (--rope-untruncated on our side), so the losses must agree.
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ensureSmokeModel, type SmokeModelOptions } from "../../src/model/smoke.js";
import { buildTrainer, trainerBinaryPath } from "../../src/train/index.js";
import { writePackedDataset, type Doc } from "../../test/helpers/train-helpers.js";

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
  cpu_seconds: number;
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

/** Trained tokens per wall second and CPU seconds per 1,000 trained tokens, steps after the first. */
function steady(steps: Step[]): { tps: number; cpuPer1k: number } {
  const rest = steps.slice(1);
  const tokens = rest.reduce((a, s) => a + s.tokens_trained, 0);
  return {
    tps: tokens / rest.reduce((a, s) => a + s.seconds, 0),
    cpuPer1k: (1000 * rest.reduce((a, s) => a + s.cpu_seconds, 0)) / tokens,
  };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const seqLen = Number(flag("seq-len", "1024"));
  const steps = Number(flag("steps", "4"));
  const threads = Number(flag("threads", "2"));
  const rounds = Number(flag("rounds", "3"));
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
    const runOurs = () =>
      jsonLines(trainerBinaryPath(), [
        "train",
        "--model",
        model,
        "--shard",
        shard,
        "--seq-len",
        String(seqLen),
        "--out",
        join(dir, "ours"),
        "--steps",
        String(steps),
        "--threads",
        String(threads),
        "--rope-untruncated",
        "--warmup",
        "0",
      ]);
    const runTorch = () =>
      jsonLines("python3", [
        "bench/train/torch_gpt_oss_step.py",
        "--model",
        model,
        "--data",
        data,
        "--steps",
        String(steps),
        "--threads",
        String(threads),
      ]);
    // Rounds alternate which side goes first, so a change in the machine's load hits both sides.
    const ours: Step[][] = [];
    const torch: Step[][] = [];
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        ours.push(await runOurs());
        torch.push(await runTorch());
      } else {
        torch.push(await runTorch());
        ours.push(await runOurs());
      }
      const [a, b] = [steady(ours[r]!), steady(torch[r]!)];
      console.log(
        `round ${r + 1}: ours ${a.tps.toFixed(1)} tok/s, PyTorch ${b.tps.toFixed(1)} tok/s, ratio ${(a.tps / b.tps).toFixed(2)}; ` +
          `CPU s per 1k trained tokens: ours ${a.cpuPer1k.toFixed(2)}, PyTorch ${b.cpuPer1k.toFixed(2)}; load ${loadavg()[0]!.toFixed(1)}`,
      );
    }
    const { stdout: torchVersion } = await execFileAsync("python3", [
      "-c",
      "import torch, transformers; print(torch.__version__, transformers.__version__)",
    ]);
    const summary = (runs: Step[][]) => ({ tps: median(runs.map((s) => steady(s).tps)), cpu: median(runs.map((s) => steady(s).cpuPer1k)) });
    const [a, b] = [summary(ours), summary(torch)];
    console.log(
      `config ${configName} (${JSON.stringify(config)}), seq_len ${seqLen}, ${steps} steps per run (first excluded), ${rounds} alternating rounds, ` +
        `threads ${threads}, ${cpus().length} cores, ${new Date().toISOString().slice(0, 10)}, torch/transformers ${torchVersion.trim()}`,
    );
    console.log("| implementation | step-1 loss | trained tokens/s (median of rounds) | CPU s per 1k trained tokens |");
    console.log("|---|---|---|---|");
    console.log(`| datagen trainer (C++, f32) | ${ours[0]![0]!.loss.toFixed(6)} | ${a.tps.toFixed(1)} | ${a.cpu.toFixed(2)} |`);
    console.log(
      `| PyTorch eager, transformers GptOss (f32) | ${torch[0]![0]!.loss.toFixed(6)} | ${b.tps.toFixed(1)} | ${b.cpu.toFixed(2)} |`,
    );
    const roundRatios = ours.map((o, r) => steady(o).tps / steady(torch[r]!).tps);
    console.log(`per-round wall ratios ${roundRatios.map((x) => x.toFixed(2)).join(", ")} (median ${median(roundRatios).toFixed(2)})`);
    console.log(
      `ratio ours / PyTorch: ${(a.tps / b.tps).toFixed(2)} (wall), ${(b.cpu / a.cpu).toFixed(2)} (CPU); ` +
        `step-1 loss difference ${Math.abs(ours[0]![0]!.loss - torch[0]![0]!.loss).toExponential(2)}`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
