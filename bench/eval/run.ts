// Benchmark: wall time of `eval run` (runEval: items built, prompts rendered by src/render, one
// model call per step, each answer appended and fsync'd) per suite and ruler length, against its
// anchor, the model calls alone: the seconds node-llama-cpp spent in those same calls (the model
// interface's trace, prompt evaluation included). The ratio wall / model is the harness's overhead.
// Each configuration runs in a fresh output folder, one after another in this process; model
// loading and item building are outside both timings. The smoke model's answers are noise: only
// the times mean something.
//
// Usage: npx tsx bench/eval/run.ts [--lengths 4096,8192] [--threads 1] [--thinking 16] [--final 32]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PERSONAS } from "../../src/core/record.js";
import { runEval, type EvalRunConfig } from "../../src/eval/run.js";
import type { SuiteName } from "../../src/eval/types.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const lengths = arg("lengths", "4096,8192").split(",").map(Number);
const threads = Number(arg("threads", "1"));
const base = {
  personas: [null, ...PERSONAS],
  samples: 1,
  tasks: null,
  seed: "1",
  holdoutFile: null,
  model: null,
  servers: [],
  serverKind: "auto",
  gpu: "cpu",
  threads,
  concurrency: 1,
  contextSize: null,
  maxTokens: { thinking: Number(arg("thinking", "16")), final: Number(arg("final", "32")) },
  sampling: { temperature: 0, topK: 40, topP: 1, minP: 0 },
  date: "2026-06-15",
  reasoningEffort: "low",
  serverWaitSeconds: 60,
  requestTimeoutSeconds: 300,
  itemsOnly: false,
  trainData: [],
} satisfies Omit<EvalRunConfig, "suites" | "lengths" | "out">;

const runs: { suite: SuiteName; lengths: number[] }[] = [
  ...lengths.map((l) => ({ suite: "ruler" as const, lengths: [l] })),
  { suite: "personas", lengths },
  { suite: "sycophancy", lengths },
  { suite: "refusals", lengths },
];

console.log(
  `eval run on the smoke model, ${threads} thread(s), budgets thinking ${base.maxTokens.thinking} + final ${base.maxTokens.final} tokens`,
);
console.log("suite       length  items  wall_s  model_s  wall/model  s/item");
for (const r of runs) {
  const out = mkdtempSync(join(tmpdir(), "bench-eval-"));
  let modelSeconds = 0;
  try {
    const s = await runEval({ ...base, suites: [r.suite], lengths: r.lengths, out }, { trace: (e) => (modelSeconds += e.seconds) });
    const length = r.suite === "ruler" ? String(r.lengths[0]) : "";
    console.log(
      `${r.suite.padEnd(10)}  ${length.padStart(6)}  ${String(s.items).padStart(5)}  ${s.askSeconds.toFixed(1).padStart(6)}  ` +
        `${modelSeconds.toFixed(1).padStart(7)}  ${(s.askSeconds / modelSeconds).toFixed(3).padStart(10)}  ` +
        `${(s.askSeconds / s.items).toFixed(2).padStart(6)}`,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
