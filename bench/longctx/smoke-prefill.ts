// Prompt processing of the smoke model at long contexts: one fresh process per length,
// a context of that length on the CPU, one prompt of ~length tokens (a long-context record's
// rendered prefix, built by src/longctx), then 16 generated tokens. Prints wall seconds for the
// prompt, peak RSS of the process and the context's state size. Anchor: llama.cpp's own
// evaluation inside node-llama-cpp is what is measured; there is no second implementation here.
// CPU seconds are given beside wall seconds: on a shared machine they vary less.
//   npx tsx bench/longctx/smoke-prefill.ts 32768 65536 131072 [--threads N]
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { getLlama, LlamaLogLevel, type Token } from "node-llama-cpp";
import { makeLongTask } from "../../src/longctx/tasks.js";
import { longRecord } from "../../src/longctx/record.js";
import { ensureSmokeModel } from "../../src/model/smoke.js";
import { renderRecord } from "../../src/render/index.js";

const args = process.argv.slice(2);
const threadsAt = args.indexOf("--threads");
const threads = threadsAt >= 0 ? Number(args[threadsAt + 1]) : 2;
const lengths = args.filter((a, i) => /^\d+$/.test(a) && i !== threadsAt + 1).map(Number);

async function one(length: number): Promise<void> {
  const modelPath = await ensureSmokeModel();
  const task = makeLongTask({
    task: "single_needle",
    payload: "logs",
    targetTokens: length - 600,
    seed: `bench-${length}`,
    seedSpace: "train",
  });
  const record = longRecord({
    id: "bench",
    persona: null,
    task,
    band: "64k-128k",
    targetTokens: length,
    callThinking: "Reading the log.",
    answerThinking: "x",
    final: "x",
  });
  const prompt = Array.from(renderRecord(record).tokens).slice(0, length - 32) as Token[];
  const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath });
  const context = await model.createContext({ contextSize: length, threads, sequences: 1, swaFullCache: true });
  const sequence = context.getSequence();
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  let cpuFirst = 0;
  let first = 0;
  let generated = 0;
  for await (const _ of sequence.evaluate(prompt, { temperature: 0.8, seed: 1 })) {
    if (generated === 0) {
      first = performance.now();
      const cpu = process.cpuUsage(cpuStarted);
      cpuFirst = (cpu.user + cpu.system) / 1e6;
    }
    if (++generated >= 16) break;
  }
  const done = performance.now();
  const stateBytes = context.stateSize;
  await context.dispose();
  await model.dispose();
  console.log(
    JSON.stringify({
      length,
      promptTokens: prompt.length,
      threads,
      prefillSeconds: +((first - started) / 1000).toFixed(2),
      prefillCpuSeconds: +cpuFirst.toFixed(2),
      decodeMsPerToken: +((done - first) / 15).toFixed(1),
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      contextStateMiB: Math.round(stateBytes / 2 ** 20),
    }),
  );
}

if (lengths.length === 1) await one(lengths[0]);
else
  for (const length of lengths)
    execFileSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), String(length), "--threads", String(threads)], {
      stdio: "inherit",
    });
