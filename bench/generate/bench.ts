// Benchmark: generated tokens/s of `datagen generate` (generateDataset) against raw node-llama-cpp
// decoding the same model with the same number of parallel sequences, side by side in one run.
//
// Fairness: the pipeline run records a trace of every model call (the exact prompt tokens, the JSON
// schema of its grammar or none, the sampling settings and seed, and how many tokens it generated).
// The baseline replays that trace with nothing but node-llama-cpp calls: the same number of
// sequences in one context, conversations spread over N workers in the same order, each call's
// cached prefix reused the same way, the same grammar (built by node-llama-cpp from the same
// schema), and exactly the same number of generated tokens. So both sides decode the same tokens
// under the same constraints; the difference is the pipeline (prompt building, tokenization,
// simulators, executors, validation, p-queue scheduling, JSONL writes with fsync, progress).
// Each round runs the pipeline, then replays that round's own trace (the same work on both sides).
// Every side of every round runs in its own fresh process (this script, --side pipeline|raw), as a
// user's `datagen generate` does: each side pays its own process warm-up (JIT, first use of the
// native grammar code) and none is charged to whichever side happens to run first. Model loading
// is outside both timings.
//
// Usage: npx tsx bench/generate/bench.ts [--personas all] [--count 2] [--concurrency 4]
//        [--threads 1] [--rounds 2] [--gpu cpu] [--model FILE]
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  getLlama,
  LlamaGrammarEvaluationState,
  LlamaLogLevel,
  type LlamaContextSequence,
  type LlamaGrammar,
  type Token,
} from "node-llama-cpp";
import { generateDataset, loadGenerateConfig } from "../../src/generate/index.js";
import type { TraceEntry } from "../../src/generate/model/types.js";
import { ensureSmokeModel } from "../../src/model/smoke.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const personas = arg("personas", "all");
const count = Number(arg("count", "2"));
const concurrency = Number(arg("concurrency", "4"));
const threads = Number(arg("threads", "1"));
const rounds = Number(arg("rounds", "2"));
const gpu = arg("gpu", "cpu");
const modelArg = arg("model", "");

async function runPipeline(
  out: string,
): Promise<{ tokens: number; seconds: number; cpuSeconds: number; loadSeconds: number; records: number; trace: TraceEntry[] }> {
  rmSync(out, { recursive: true, force: true });
  const config = loadGenerateConfig(undefined, { personas, count, out, concurrency, threads, gpu, model: modelArg || undefined });
  const trace: TraceEntry[] = [];
  const s = await generateDataset(config, { trace: (e) => trace.push(e) });
  return {
    tokens: s.generatedTokens,
    seconds: s.generateSeconds,
    cpuSeconds: s.generateCpuSeconds,
    loadSeconds: s.loadSeconds,
    records: s.records + s.rejects,
    trace,
  };
}

/** The trace replayed with raw node-llama-cpp calls only. */
async function runBaseline(
  modelPath: string,
  trace: TraceEntry[],
): Promise<{ tokens: number; seconds: number; cpuSeconds: number; evaluated: number }> {
  const llama = await getLlama({ gpu: gpu === "cpu" ? false : (gpu as "auto"), build: "never", logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ sequences: concurrency, contextSize: 4096, threads, swaFullCache: true });
  const sequences = Array.from({ length: concurrency }, () => context.getSequence());
  const byConversation = new Map<string, TraceEntry[]>();
  for (const e of trace) byConversation.set(e.tag, [...(byConversation.get(e.tag) ?? []), e]);
  const conversations = [...byConversation.values()];
  const grammars = new Map<string, Promise<LlamaGrammar>>();
  const grammarFor = (schema: object) => {
    const key = JSON.stringify(schema);
    if (!grammars.has(key)) grammars.set(key, llama.createGrammarForJsonSchema(schema as never) as Promise<LlamaGrammar>);
    return grammars.get(key) as Promise<LlamaGrammar>;
  };
  let tokens = 0;
  let evaluated = 0;
  let next = 0;
  const replay = async (sequence: LlamaContextSequence, e: TraceEntry) => {
    const prompt = e.prompt as Token[];
    const keep = Math.min(sequence.compareContextTokens(prompt).firstDifferentIndex, prompt.length - 1);
    if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
    evaluated += prompt.length - keep;
    const grammar = e.grammar ? await grammarFor(e.grammar) : undefined;
    const grammarEvaluationState = grammar ? new LlamaGrammarEvaluationState({ model, grammar }) : undefined;
    // Sample exactly as many tokens as the pipeline did: its count, plus the stop token when one ended it.
    const samples = e.generated + (e.finish === "stop" ? 1 : 0);
    let n = 0;
    for await (const _token of sequence.evaluate(prompt.slice(keep), {
      ...e.sampling,
      seed: e.seed,
      grammarEvaluationState,
      yieldEogToken: true,
    })) {
      if (++n >= samples) break;
    }
    n = Math.min(n, e.generated);
    tokens += n;
  };
  const worker = async (sequence: LlamaContextSequence) => {
    while (next < conversations.length) {
      const calls = conversations[next++];
      for (const e of calls) await replay(sequence, e);
    }
  };
  const started = performance.now();
  const cpu = process.cpuUsage();
  await Promise.all(sequences.map(worker));
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return { tokens, seconds, cpuSeconds: (used.user + used.system) / 1e6, evaluated };
}

type Side = { tokens: number; seconds: number; cpuSeconds: number; evaluated: number };
const RESULT = "BENCH-RESULT ";

/** Child mode: one side of one round in this fresh process; the result goes to stdout as one line. */
async function runSide(side: string): Promise<void> {
  const traceFile = arg("trace-file", "");
  if (side === "pipeline") {
    const p = await runPipeline(arg("out", ""));
    writeFileSync(traceFile, JSON.stringify(p.trace));
    const result = {
      tokens: p.tokens,
      seconds: p.seconds,
      cpuSeconds: p.cpuSeconds,
      loadSeconds: p.loadSeconds,
      records: p.records,
      calls: p.trace.length,
      evaluated: p.trace.reduce((a, e) => a + e.evaluated, 0),
    };
    console.log(RESULT + JSON.stringify(result));
  } else {
    const trace = JSON.parse(readFileSync(traceFile, "utf8")) as TraceEntry[];
    const b = await runBaseline(arg("model-path", ""), trace);
    console.log(RESULT + JSON.stringify({ ...b, calls: trace.length }));
  }
}

/** Runs one side in a fresh node process (same loader flags, same settings). */
function spawnSide(side: "pipeline" | "raw", extra: string[]): Side & Record<string, number> {
  const settings = [
    "--personas",
    personas,
    "--count",
    String(count),
    "--concurrency",
    String(concurrency),
    "--threads",
    String(threads),
    "--gpu",
    gpu,
  ];
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), ...settings, "--side", side, ...extra], {
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  const line = child.stdout.split("\n").find((l) => l.startsWith(RESULT));
  if (child.status !== 0 || !line) throw new Error(`${side} side failed (exit ${child.status}): ${child.stdout.slice(-2000)}`);
  return JSON.parse(line.slice(RESULT.length)) as Side & Record<string, number>;
}

const childSide = arg("side", "");
if (childSide) {
  await runSide(childSide);
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), "datagen-bench-"));
const modelPath = modelArg || (await ensureSmokeModel());
const sides: { pipeline: Side[]; baseline: Side[] } = { pipeline: [], baseline: [] };
const traceFile = join(work, "trace.json");
const pipelineRun = (round: number) => {
  const p = spawnSide("pipeline", [
    "--out",
    join(work, `round${round}`),
    "--trace-file",
    traceFile,
    ...(modelArg ? ["--model", modelArg] : []),
  ]);
  sides.pipeline.push({ tokens: p.tokens, seconds: p.seconds, cpuSeconds: p.cpuSeconds, evaluated: p.evaluated });
  console.log(
    `round ${round} pipeline (fresh process): ${p.records} records, ${p.calls} model calls, ${p.tokens} generated tokens, ${p.evaluated} prompt tokens evaluated, ${(p.tokens / p.seconds).toFixed(1)} tok/s (${p.seconds.toFixed(1)} s, ${p.cpuSeconds.toFixed(1)} CPU s; load ${p.loadSeconds.toFixed(1)} s, not counted)`,
  );
};
const baselineRun = (round: number) => {
  const b = spawnSide("raw", ["--trace-file", traceFile, "--model-path", modelPath]);
  sides.baseline.push({ tokens: b.tokens, seconds: b.seconds, cpuSeconds: b.cpuSeconds, evaluated: b.evaluated });
  console.log(
    `round ${round} raw node-llama-cpp (fresh process): ${b.calls} model calls replayed, ${b.tokens} generated tokens, ${b.evaluated} prompt tokens evaluated, ${(b.tokens / b.seconds).toFixed(1)} tok/s (${b.seconds.toFixed(1)} s, ${b.cpuSeconds.toFixed(1)} CPU s)`,
  );
};
// Each round: the pipeline, then the raw replay of that same round's trace, so both sides of a
// round do the same work (which differs between rounds: the pipeline's sampling depends on how
// node-llama-cpp happens to batch the sequences, and grammar tokens cost ~10x free ones).
for (let round = 1; round <= rounds; round++) {
  pipelineRun(round);
  baselineRun(round);
}
const sum = (list: Side[], key: keyof Side) => list.reduce((a, r) => a + r[key], 0);
const pipelineTps = sum(sides.pipeline, "tokens") / sum(sides.pipeline, "seconds");
const baselineTps = sum(sides.baseline, "tokens") / sum(sides.baseline, "seconds");
const summary = {
  machine: process.env.BENCH_MACHINE ?? "2-core node dev machine",
  date: new Date().toISOString(),
  settings: {
    personas,
    count,
    concurrency,
    threads,
    gpu,
    model: modelPath,
    rounds,
    method: "each side of each round in its own fresh process",
  },
  sides,
  pipeline_tokens_per_s: pipelineTps,
  baseline_tokens_per_s: baselineTps,
  overhead_percent: (baselineTps / pipelineTps - 1) * 100,
  round_overheads_percent: sides.pipeline.map((p, i) => (p.seconds / sides.baseline[i].seconds - 1) * 100),
  // CPU seconds per 1000 generated tokens: less sensitive to other processes than wall time.
  pipeline_cpu_s_per_1k_tokens: (sum(sides.pipeline, "cpuSeconds") / sum(sides.pipeline, "tokens")) * 1000,
  baseline_cpu_s_per_1k_tokens: (sum(sides.baseline, "cpuSeconds") / sum(sides.baseline, "tokens")) * 1000,
};
console.log(
  `all rounds: pipeline ${pipelineTps.toFixed(1)} tok/s, raw node-llama-cpp ${baselineTps.toFixed(1)} tok/s, pipeline overhead ${summary.overhead_percent.toFixed(1)} % (target <= 5 %)`,
);
console.log(
  `per round (same work on both sides): ${summary.round_overheads_percent.map((o) => `${o >= 0 ? "+" : ""}${o.toFixed(1)} %`).join(", ")}`,
);
console.log(
  `CPU per 1000 generated tokens: pipeline ${summary.pipeline_cpu_s_per_1k_tokens.toFixed(2)} s, raw ${summary.baseline_cpu_s_per_1k_tokens.toFixed(2)} s (${((summary.pipeline_cpu_s_per_1k_tokens / summary.baseline_cpu_s_per_1k_tokens - 1) * 100).toFixed(1)} % more)`,
);
mkdirSync("bench/out", { recursive: true });
writeFileSync(join("bench/out", `generate-c${concurrency}-t${threads}.json`), JSON.stringify(summary, null, 2) + "\n");
rmSync(work, { recursive: true, force: true });
