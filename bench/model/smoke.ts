// Smoke model benchmark: file size, time to make it, our GGUF read+write against gguf-py's (the
// anchor, when the Python package is installed), and node-llama-cpp CPU decoding speed by threads.
//
//   npx tsx bench/model/smoke.ts [--tokens 256] [--repeats 3] [--no-python]
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LlamaLogLevel, getLlama } from "node-llama-cpp";
import type { LlamaModel, Token } from "node-llama-cpp";
import { readGguf, readTensorData, writeGguf } from "../../src/model/gguf.js";
import { makeSmokeModel } from "../../src/model/smoke.js";
import { getTokenizer } from "../../src/tokenize/o200k_harmony.js";

const args = process.argv.slice(2);
const flag = (name: string, fallback: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const TOKENS = flag("--tokens", 256);
const REPEATS = flag("--repeats", 3);
const PYTHON = !args.includes("--no-python");

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = (ms: number) => (ms / 1000).toFixed(2);

async function timeMake(dir: string) {
  const cold = await makeSmokeModel(join(dir, "cold.gguf")); // includes loading ranks and deriving merges
  const warm: number[] = [];
  for (let i = 0; i < REPEATS; i++) warm.push((await makeSmokeModel(join(dir, `warm${i}.gguf`), { seed: i + 2 })).seconds);
  return { path: cold.path, bytes: statSync(cold.path).size, cold: cold.seconds, warm: median(warm) };
}

async function timeOurRoundTrip(path: string, dir: string): Promise<number> {
  const started = performance.now();
  const file = readGguf(path);
  await writeGguf(join(dir, "roundtrip.gguf"), {
    metadata: file.metadata,
    tensors: file.tensors.map((t) => ({ ...t, data: () => readTensorData(file, t) })),
  });
  return (performance.now() - started) / 1000;
}

function timePythonRoundTrip(path: string): { seconds: number; identical: boolean } | undefined {
  const run = spawnSync("python3", [join(import.meta.dirname ?? "bench/model", "gguf_crosscheck.py"), path], { encoding: "utf8" });
  const match = /read\+write: ([\d.]+) s.*identical: (True|False)/.exec(run.stdout ?? "");
  if (!match) {
    process.stderr.write(`gguf-py anchor skipped: ${(run.stderr || run.stdout || "python3 failed").trim().split("\n").at(-1)}\n`);
    return undefined;
  }
  return { seconds: Number(match[1]), identical: match[2] === "True" };
}

/** Greedy decoding speed: tokens/s over `count` generated tokens after a short prompt. */
async function decodeSpeed(model: LlamaModel, threads: number | undefined, count: number): Promise<number> {
  const context = await model.createContext({ contextSize: 2048, ...(threads === undefined ? {} : { threads }) });
  const sequence = context.getSequence();
  const prompt = getTokenizer().encodeText("The quick brown fox jumps over the lazy dog. ".repeat(3)) as Token[];
  let started = 0;
  let generated = 0;
  for await (const token of sequence.evaluate(prompt, { temperature: 0 })) {
    void token;
    if (generated === 0) started = performance.now(); // first token includes the prompt: time the rest
    if (++generated > count) break;
  }
  const rate = count / ((performance.now() - started) / 1000);
  await context.dispose();
  return rate;
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), "datagen-bench-model-"));
  try {
    const make = await timeMake(dir);
    console.log(`file: ${make.bytes} bytes (${(make.bytes / 2 ** 20).toFixed(1)} MiB)`);
    console.log(
      `make: ${make.cold.toFixed(2)} s cold (ranks + merges + weights + write), ${make.warm.toFixed(2)} s with the vocabulary cached (median of ${REPEATS})`,
    );

    const ours = await timeOurRoundTrip(make.path, dir);
    const anchor = PYTHON ? timePythonRoundTrip(make.path) : undefined;
    console.log(
      `GGUF read+write of the model: ours ${ours.toFixed(2)} s` +
        (anchor
          ? `, gguf-py ${anchor.seconds.toFixed(2)} s (x${(anchor.seconds / ours).toFixed(1)}), gguf-py's bytes identical to ours: ${anchor.identical}`
          : ""),
    );

    const llama = await getLlama({ gpu: false, build: "never", logLevel: LlamaLogLevel.error });
    const loadStarted = performance.now();
    const model = await llama.loadModel({ modelPath: make.path });
    console.log(`node-llama-cpp load: ${seconds(performance.now() - loadStarted)} s`);
    for (const threads of [1, 2]) {
      const rates: number[] = [];
      for (let i = 0; i < REPEATS; i++) rates.push(await decodeSpeed(model, threads, TOKENS));
      console.log(
        `decode, threads ${threads}: ${median(rates).toFixed(1)} tokens/s (median of ${REPEATS} x ${TOKENS} tokens; runs ${rates.map((r) => r.toFixed(0)).join(", ")})`,
      );
    }
    const defaultRate = await decodeSpeed(model, undefined, 16);
    console.log(`decode, node-llama-cpp default threads (${llama.maxThreads}): ${defaultRate.toFixed(1)} tokens/s (16 tokens)`);
    await model.dispose();
    await llama.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
