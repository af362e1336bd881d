// Tokenizer throughput, side by side on the same text, one thread each:
//   our byte-pair encoder (with and without its piece cache), gpt-tokenizer's o200k_harmony,
//   tiktoken's WASM core, and Python tiktoken (the reference) — plus the split step alone.
//   npx tsx bench/tokenize/run.ts [--mb 16] [--repeats 3] [--chunk-kb 0]
// Every contender must produce the same ids (compared by sha256 of the uint32 ids).
// --chunk-kb N encodes the text as documents of about N KB (cut after a newline), one call
// each, like the packer does per message; 0 encodes it as one string.
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

const { values } = parseArgs({
  options: {
    mb: { type: "string", default: "16" },
    repeats: { type: "string", default: "3" },
    "chunk-kb": { type: "string", default: "0" },
  },
});
const repeats = Number(values.repeats);
const chunkChars = Number(values["chunk-kb"]) * 1000;

// NUL never occurs in the corpus: it separates documents in the file Python reads.
const text = benchCorpus(Number(values.mb)).replaceAll("\0", "");
const documents = chunkChars > 0 ? cutDocuments(text, chunkChars) : [text];
const megabytes = Buffer.byteLength(text) / 1e6;
const idsHash = (ids: ArrayLike<number>): string =>
  createHash("sha256")
    .update(Uint32Array.from(ids as number[]))
    .digest("hex")
    .slice(0, 16);

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
  { name: "gpt-tokenizer 4.0 o200k_harmony", run: () => encodeAll((d) => gptEncode(d, asText)) },
  { name: "tiktoken npm 1.0.22 (WASM)", run: freshRun(() => createWasmTokenizer()) },
  { name: "split only: our scanner", run: () => countPiecesScanner(text) },
  { name: "split only: JS regex", run: () => countPiecesRegex(text) },
].map((c) => ({ ...c, best: Infinity, bestCpu: Infinity, first: 0 }));

/** Cut after the first newline past every `size` chars. */
function cutDocuments(s: string, size: number): string[] {
  const out: string[] = [];
  let start = 0;
  while (start < s.length) {
    const newline = s.indexOf("\n", start + size);
    const end = newline < 0 ? s.length : newline + 1;
    out.push(s.slice(start, end));
    start = end;
  }
  return out;
}

/** Encode every document, concatenating the ids. */
function encodeAll(encode: (document: string) => number[]): number[] {
  if (documents.length === 1) return encode(documents[0]);
  const all: number[] = [];
  for (const document of documents) for (const id of encode(document)) all.push(id);
  return all;
}

/** A new tokenizer per run, so the first run's cache starts cold like a fresh worker's. */
function freshRun(make: () => { encodeText(text: string): number[] }): () => number[] {
  return () => {
    const tokenizer = make();
    return encodeAll((d) => tokenizer.encodeText(d));
  };
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

// Warm the JIT on a slice first, so that "first run" shows a cold cache rather than compilation
// (Python tiktoken's Rust core needs no warm-up).
const warmUpText = Array.from({ length: 8 }, (_, k) => text.slice((k * text.length) / 8, (k * text.length) / 8 + 50_000)).join("");
createBpeTokenizer().encodeText(warmUpText);
createBpeTokenizer({ cacheEntries: 0 }).encodeText(warmUpText);
gptEncode(warmUpText, asText);
createWasmTokenizer().encodeText(warmUpText);
countPiecesScanner(warmUpText);
countPiecesRegex(warmUpText);

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
    writeFileSync(file, documents.join("\0"));
    const script = new URL("./python_tiktoken.py", import.meta.url).pathname;
    return JSON.parse(execFileSync("python3", [script, "bench", file, String(repeats)], { env: pythonTiktokenEnv() }).toString());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const reference = contenders[0].result;
const load = loadavg()[0].toFixed(1);
const shape = documents.length === 1 ? "one string" : `${documents.length} documents of ~${chunkChars / 1000} KB`;
console.log(
  `text: ${megabytes.toFixed(1)} MB (${text.length} UTF-16 units) as ${shape}; ${cpus().length} cores, load ${load}, Node ${process.version}; best of ${repeats}`,
);
console.log("| tokenizer | MB/s (wall) | MB per CPU-second | first run MB/s (wall) | ids |");
console.log("|---|---|---|---|---|");
for (const c of contenders) {
  const same = c.result === reference ? "identical" : c.result?.endsWith("pieces") ? c.result : `DIFFERENT ${c.result}`;
  console.log(
    `| ${c.name} | ${(megabytes / c.best).toFixed(1)} | ${(megabytes / c.bestCpu).toFixed(1)} | ${(megabytes / c.first).toFixed(1)} | ${same} |`,
  );
}
const pythonSame = pythonResult.ids_sha === reference ? "identical" : `DIFFERENT ${pythonResult.ids_sha}`;
console.log(
  `| ${pythonResult.name} o200k_harmony | ${pythonResult.mb_per_s.toFixed(1)} | ${pythonResult.mb_per_cpu_s.toFixed(1)} | – | ${pythonSame} |`,
);
const ratio = (c: Contender, cpu: boolean): string =>
  (cpu ? megabytes / c.bestCpu / pythonResult.mb_per_cpu_s : megabytes / c.best / pythonResult.mb_per_s).toFixed(2);
console.log(
  `\nours / Python tiktoken: ${ratio(contenders[0], false)}x wall, ${ratio(contenders[0], true)}x CPU (with cache); ${ratio(contenders[1], false)}x wall, ${ratio(contenders[1], true)}x CPU (no cache)`,
);
