// Tokenizer throughput, side by side on the same text, one thread each:
//   our byte-pair encoder (with and without its piece cache), gpt-tokenizer's o200k_harmony,
//   tiktoken's WASM core, and Python tiktoken (the reference) — plus the split step alone.
//   npx tsx bench/tokenize/run.ts [--mb 16] [--repeats 3]
// Every contender must produce the same ids (compared by sha256 of the uint32 ids).
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { encode as gptEncode } from "gpt-tokenizer/encoding/o200k_harmony";
import { createBpeTokenizer, createWasmTokenizer, loadO200kBase } from "../../src/tokenize/o200k_harmony.js";
import { nextPieceEnd, splitRegex } from "../../src/tokenize/split.js";
import { benchCorpus } from "./corpus.js";
import { pythonTiktokenEnv } from "./python-env.js";

const { values } = parseArgs({ options: { mb: { type: "string", default: "16" }, repeats: { type: "string", default: "3" } } });
const repeats = Number(values.repeats);

const text = benchCorpus(Number(values.mb));
const megabytes = Buffer.byteLength(text) / 1e6;
const idsHash = (ids: ArrayLike<number>): string => createHash("sha256").update(Uint32Array.from(ids as number[])).digest("hex").slice(0, 16);

interface Contender {
  name: string;
  run: () => ArrayLike<number> | number;
  best: number;
  bestCpu: number;
  first: number;
  result?: string;
}
const asText = { allowedSpecial: new Set<string>(), disallowedSpecial: new Set<string>() };
const splitPattern = splitRegex(loadO200kBase().pat_str);
const contenders: Contender[] = [
  { name: "ours: BPE + piece cache (getTokenizer)", run: freshRun(() => createBpeTokenizer()) },
  { name: "ours: BPE, no cache", run: freshRun(() => createBpeTokenizer({ cacheEntries: 0 })) },
  { name: "gpt-tokenizer 4.0 o200k_harmony", run: () => gptEncode(text, asText) },
  { name: "tiktoken npm 1.0.22 (WASM)", run: freshRun(() => createWasmTokenizer()) },
  { name: "split only: our scanner", run: () => countPiecesScanner(text) },
  { name: "split only: JS regex", run: () => countPiecesRegex(text) },
].map((c) => ({ ...c, best: Infinity, bestCpu: Infinity, first: 0 }));

/** A new tokenizer per run, so the first run's cache starts cold like a fresh worker's. */
function freshRun(make: () => { encodeText(text: string): number[] }): () => number[] {
  return () => make().encodeText(text);
}
function countPiecesScanner(s: string): number {
  let count = 0;
  for (let pos = 0; pos < s.length; count++) pos = nextPieceEnd(s, pos);
  return count;
}
function countPiecesRegex(s: string): number {
  let count = 0;
  splitPattern.lastIndex = 0;
  while (splitPattern.exec(s) !== null) count++;
  return count;
}

const pythonResult = runPython();
for (let round = 0; round < repeats; round++) {
  for (const c of contenders) {
    const start = performance.now();
    const startCpu = process.cpuUsage();
    const out = c.run();
    const seconds = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(startCpu);
    if (round === 0) c.first = seconds;
    c.best = Math.min(c.best, seconds);
    c.bestCpu = Math.min(c.bestCpu, (cpu.user + cpu.system) / 1e6);
    c.result = typeof out === "number" ? `${out} pieces` : idsHash(out);
  }
}

function runPython(): { name: string; mb_per_s: number; mb_per_cpu_s: number; seconds: number; tokens: number; ids_sha: string } {
  const dir = mkdtempSync(join(tmpdir(), "tokenize-bench-"));
  try {
    const file = join(dir, "corpus.txt");
    writeFileSync(file, text);
    const script = new URL("./python_tiktoken.py", import.meta.url).pathname;
    return JSON.parse(execFileSync("python3", [script, "bench", file, String(repeats)], { env: pythonTiktokenEnv() }).toString());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const reference = contenders[0].result;
const load = loadavg()[0].toFixed(1);
console.log(`text: ${megabytes.toFixed(1)} MB (${text.length} UTF-16 units); ${cpus().length} cores, load ${load}, Node ${process.version}; best of ${repeats}`);
console.log("| tokenizer | MB/s (wall) | MB per CPU-second | first run MB/s (wall) | ids |");
console.log("|---|---|---|---|---|");
for (const c of contenders) {
  const same = c.result === reference ? "identical" : c.result?.endsWith("pieces") ? c.result : `DIFFERENT ${c.result}`;
  console.log(`| ${c.name} | ${(megabytes / c.best).toFixed(1)} | ${(megabytes / c.bestCpu).toFixed(1)} | ${(megabytes / c.first).toFixed(1)} | ${same} |`);
}
const pythonSame = pythonResult.ids_sha === reference ? "identical" : `DIFFERENT ${pythonResult.ids_sha}`;
console.log(`| ${pythonResult.name} o200k_harmony | ${pythonResult.mb_per_s.toFixed(1)} | ${pythonResult.mb_per_cpu_s.toFixed(1)} | – | ${pythonSame} |`);
const ratio = (c: Contender, cpu: boolean): string =>
  (cpu ? megabytes / c.bestCpu / pythonResult.mb_per_cpu_s : megabytes / c.best / pythonResult.mb_per_s).toFixed(2);
console.log(`\nours / Python tiktoken: ${ratio(contenders[0], false)}x wall, ${ratio(contenders[0], true)}x CPU (with cache); ${ratio(contenders[1], false)}x wall, ${ratio(contenders[1], true)}x CPU (no cache)`);
