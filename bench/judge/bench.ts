// Benchmark: `datagen judge` throughput (judgeDataset) on the smoke model, in-process and over two
// llama-servers, against the anchor: the bare model calls the judge made, replayed on the same
// in-process model (same prompts, grammars, seeds, sampling, same token counts), one after another
// on one sequence. So "stage / bare calls" is the price of everything that is not decoding: the
// two passes over the inputs, validation, the rules, prompt building, verdict checks, fsync'd writes.
// Figures: records/s, judge tokens (prompt evaluated + generated) per record, record tokens
// (rendered harmony) per record, and the judge's share of all tokens.
// The smoke model's verdicts are noise: these are plumbing and decoding figures, not quality.
//
// Usage: npx tsx bench/judge/bench.ts [--input FILE] [--concurrency 2] [--threads 1] [--turns all]
//        [--verdict-tokens 128] [--no-servers]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalModel } from "../../src/generate/model/local.js";
import type { TraceEntry } from "../../src/generate/model/types.js";
import { DEFAULT_RULES, DEFAULT_THRESHOLDS, judgeDataset, type JudgeConfig, type JudgeSummary } from "../../src/judge/index.js";
import { ensureSmokeModel } from "../../src/model/smoke.js";
import { kill9, startLlamaServer } from "../../test/helpers/fleet-helpers.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const input = arg("input", "data/examples/conversations.jsonl");
const concurrency = Number(arg("concurrency", "2"));
const threads = Number(arg("threads", "1"));
const turns = arg("turns", "all") as "all" | "last";
const verdictTokens = Number(arg("verdict-tokens", "128"));
const withServers = !process.argv.includes("--no-servers");
const smoke = await ensureSmokeModel();
const work = mkdtempSync(join(tmpdir(), "datagen-bench-judge-"));

function config(out: string, model: Partial<JudgeConfig["model"]>): JudgeConfig {
  return {
    inputs: [input],
    out,
    from: "auto",
    against: null,
    model: {
      model: null,
      servers: [],
      serverKind: "auto",
      concurrency,
      threads,
      gpu: "cpu",
      contextSize: 8192,
      serverWaitSeconds: 60,
      requestTimeoutSeconds: 300,
      ...model,
    },
    rules: { ...DEFAULT_RULES, maxPhraseShare: 1 },
    thresholds: DEFAULT_THRESHOLDS,
    verdict: { maxTokens: verdictTokens, retries: 0, seed: 1, rubric: "v1", turns },
  };
}

const rows: { side: string; s: JudgeSummary | null; seconds: number; records: number; calls: number }[] = [];

// 1. In-process, with the trace of every call.
const trace: TraceEntry[] = [];
const local = await judgeDataset(config(join(work, "local"), { model: "smoke" }), { trace: (e) => trace.push(e) });
rows.push({
  side: `in-process (smoke, ${concurrency} sequences, ${threads} thread)`,
  s: local,
  seconds: local.judgeSeconds,
  records: local.judged,
  calls: trace.length,
});

// 2. The anchor: the same calls on the bare model, one after another.
const bare = await LocalModel.load({ modelPath: smoke, gpu: "cpu", threads, sequences: 1, contextSize: 8192 });
const started = performance.now();
await bare.withSession(async (session) => {
  for (const e of trace)
    await session.generate({
      prompt: e.prompt,
      maxTokens: Math.max(1, e.generated),
      seed: e.seed,
      sampling: e.sampling,
      ...(e.grammar ? { schema: e.grammar } : {}),
    });
});
const bareSeconds = (performance.now() - started) / 1000;
await bare.close();
rows.push({
  side: "anchor: the same calls on the bare model, sequential",
  s: null,
  seconds: bareSeconds,
  records: local.judged,
  calls: trace.length,
});

// 3. Two llama-servers (CPU, the smoke model, 2 slots and 1 thread each).
if (withServers) {
  const servers = [
    await startLlamaServer(smoke, undefined, { slots: 2, threads: 1 }),
    await startLlamaServer(smoke, undefined, { slots: 2, threads: 1 }),
  ];
  try {
    const fleetTrace: TraceEntry[] = [];
    const fleet = await judgeDataset(config(join(work, "fleet"), { servers: servers.map((s) => s.url) }), {
      trace: (e) => fleetTrace.push(e),
    });
    rows.push({
      side: "two llama-servers (2 slots, 1 thread each)",
      s: fleet,
      seconds: fleet.judgeSeconds,
      records: fleet.judged,
      calls: fleetTrace.length,
    });
  } finally {
    await Promise.all(servers.map((s) => kill9(s.child)));
  }
}
rmSync(work, { recursive: true, force: true });

const f = (x: number, d = 2) => x.toFixed(d);
console.log(`judge bench: ${input}, turns ${turns}, verdict budget ${verdictTokens} tokens, retries 0`);
console.log(
  ["side", "records", "calls", "seconds", "records/s", "judge tok/record", "record tok/record", "judge share", "vs anchor"].join(" | "),
);
for (const r of rows) {
  const t = r.s?.tokens;
  console.log(
    [
      r.side,
      r.records,
      r.calls,
      f(r.seconds),
      f(r.records / r.seconds, 3),
      t ? f(t.judgeTokensPerRecord, 0) : "-",
      t ? f(t.recordTokensPerRecord, 0) : "-",
      t ? `${f(t.judgeShare * 100, 1)} %` : "-",
      f(r.seconds / bareSeconds),
    ].join(" | "),
  );
}
