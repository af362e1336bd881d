// Benchmark: `datagen generate --server` against one real llama-server, and the same work in-process.
//
// Each round: (1) the pipeline runs through --server on a llama-server started here (the smoke
// model or --model, `--slots` slots, `--threads` threads) and records a trace of every call (its
// prompt ids, schema, seed, generated count, the client's wall time and the server's own reported
// prompt + generation time); (2) a fresh process replays that same trace in-process with raw
// node-llama-cpp (bench.ts --side raw: one context with `--slots` sequences, the same threads), so
// both ways decode the same tokens under the same constraints.
// Figures: generated tokens/s both ways, and the client's own overhead = the client's wall time of
// each call over the time the server reports for it (summed over the calls whose last event, with
// its timings, was read: calls the client closes at <|end|> have none).
//
// Usage: npx tsx bench/generate/server.ts [--personas all] [--count 2] [--slots 2] [--threads 1]
//        [--rounds 2] [--model FILE]
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { generateDataset, loadGenerateConfig } from "../../src/generate/index.js";
import type { TraceEntry } from "../../src/generate/model/types.js";
import { ensureSmokeModel } from "../../src/model/smoke.js";
import { kill9, startLlamaServer } from "../../test/helpers/fleet-helpers.js";

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

const personas = arg("personas", "all");
const count = Number(arg("count", "2"));
const slots = Number(arg("slots", "2"));
const threads = Number(arg("threads", "1"));
const rounds = Number(arg("rounds", "2"));
const modelPath = arg("model", "") || (await ensureSmokeModel());
const RESULT = "BENCH-RESULT ";

const work = mkdtempSync(join(tmpdir(), "datagen-bench-server-"));
const server = await startLlamaServer(modelPath, undefined, { slots, threads });
const rows: Record<string, number>[] = [];
try {
  for (let round = 1; round <= rounds; round++) {
    const out = join(work, `round${round}`);
    const config = loadGenerateConfig(undefined, { personas, count, out, server: [server.url] });
    const trace: TraceEntry[] = [];
    const s = await generateDataset(config, { trace: (e) => trace.push(e) });
    const timed = trace.filter((e) => e.serverSeconds !== undefined);
    const clientSeconds = timed.reduce((a, e) => a + e.seconds, 0);
    const serverSeconds = timed.reduce((a, e) => a + (e.serverSeconds as number), 0);
    const traceFile = join(work, `trace${round}.json`);
    writeFileSync(traceFile, JSON.stringify(trace));
    const child = spawnSync(
      process.execPath,
      [
        ...process.execArgv,
        fileURLToPath(new URL("./bench.ts", import.meta.url)),
        "--side",
        "raw",
        "--trace-file",
        traceFile,
        "--model-path",
        modelPath,
        "--concurrency",
        String(slots),
        "--threads",
        String(threads),
        "--gpu",
        "cpu",
      ],
      { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"], maxBuffer: 1 << 26 },
    );
    const line = child.stdout.split("\n").find((l) => l.startsWith(RESULT));
    if (child.status !== 0 || !line) throw new Error(`in-process replay failed (exit ${child.status})`);
    const raw = JSON.parse(line.slice(RESULT.length)) as { tokens: number; seconds: number };
    const row = {
      round,
      records: s.records,
      calls: trace.length,
      timed_calls: timed.length,
      server_tokens: s.generatedTokens,
      server_seconds: s.generateSeconds,
      server_tokens_per_s: s.generatedTokens / s.generateSeconds,
      inprocess_tokens: raw.tokens,
      inprocess_seconds: raw.seconds,
      inprocess_tokens_per_s: raw.tokens / raw.seconds,
      client_call_seconds: clientSeconds,
      server_reported_seconds: serverSeconds,
      client_overhead_percent: (clientSeconds / serverSeconds - 1) * 100,
    };
    rows.push(row);
    console.log(
      `round ${round}: --server ${row.server_tokens_per_s.toFixed(1)} tok/s (${s.generatedTokens} tokens, ${s.generateSeconds.toFixed(1)} s); in-process replay ${row.inprocess_tokens_per_s.toFixed(1)} tok/s (${raw.tokens} tokens, ${raw.seconds.toFixed(1)} s); client overhead ${row.client_overhead_percent.toFixed(2)} % over ${timed.length}/${trace.length} calls with server timings`,
    );
  }
} finally {
  await kill9(server.child);
  rmSync(work, { recursive: true, force: true });
}
const sum = (key: string) => rows.reduce((a, r) => a + r[key], 0);
const summary = {
  machine: process.env.BENCH_MACHINE ?? "2-core node dev machine",
  date: new Date().toISOString(),
  settings: { personas, count, slots, threads, rounds, model: modelPath },
  rounds: rows,
  server_tokens_per_s: sum("server_tokens") / sum("server_seconds"),
  inprocess_tokens_per_s: sum("inprocess_tokens") / sum("inprocess_seconds"),
  client_overhead_percent: (sum("client_call_seconds") / sum("server_reported_seconds") - 1) * 100,
};
console.log(
  `all rounds: --server ${summary.server_tokens_per_s.toFixed(1)} tok/s, in-process ${summary.inprocess_tokens_per_s.toFixed(1)} tok/s; client overhead ${summary.client_overhead_percent.toFixed(2)} % (target <= 3 %)`,
);
mkdirSync("bench/out", { recursive: true });
writeFileSync(join("bench/out", `generate-server-s${slots}-t${threads}.json`), JSON.stringify(summary, null, 2) + "\n");
