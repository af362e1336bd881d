// Where pack's default switches from the main thread to worker threads: the built CLI packs the
// same input with --workers 0 (the anchor: no thread started) and --workers 2, side by side, at
// several input sizes, and prints the wall-time ratio. The crossover is what
// RENDER_THREADS_FROM_BYTES (src/pack/defaults.ts) should sit near.
//
//   npm run build && npx tsx bench/pack/threads.ts [--sizes 65536,262144,1048576,4194304] [--repeat 3]
//
// Input: bench/corpus/generate.ts's records (seed 1) up to each size; --seq-len 32768.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { conversation } from "../corpus/generate.js";

const { values } = parseArgs({
  options: { sizes: { type: "string", default: "65536,262144,1048576,4194304" }, repeat: { type: "string", default: "3" } },
});
const sizes = values.sizes.split(",").map(Number);
const repeat = Number(values.repeat);
const cli = join(import.meta.dirname, "../../dist/src/cli/datagen.js");
const work = mkdtempSync(join(tmpdir(), "bench-threads-"));

/** Records of the benchmark corpus, in order, until the file holds `bytes`. */
function corpusOf(bytes: number): string {
  const path = join(work, `corpus-${bytes}.jsonl`);
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const line = `${JSON.stringify(conversation(i, 1))}\n`;
    lines.push(line);
    size += Buffer.byteLength(line);
  }
  writeFileSync(path, lines.join(""));
  return path;
}

/** Wall seconds of one pack of `input` with this many workers. */
function packSeconds(input: string, workers: number): number {
  const out = join(work, `out-${workers}`);
  rmSync(out, { recursive: true, force: true });
  const started = process.hrtime.bigint();
  const args = [cli, "pack", input, "--out", out, "--seq-len", "32768", "--workers", String(workers)];
  const r = spawnSync(process.execPath, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`pack --workers ${workers} failed: ${r.stderr}`);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** Best of `repeat` rounds for 0 and 2 workers, alternating which goes first so neither gains from a warm cache. */
function bestOfRounds(input: string): { zero: number; two: number } {
  const best = { zero: Infinity, two: Infinity };
  for (let k = 0; k < repeat; k++) {
    for (const workers of k % 2 === 0 ? [0, 2] : [2, 0]) {
      const s = packSeconds(input, workers);
      if (workers === 0) best.zero = Math.min(best.zero, s);
      else best.two = Math.min(best.two, s);
    }
  }
  return best;
}

try {
  console.log("input bytes | --workers 0 s | --workers 2 s | ratio 2 / 0");
  for (const bytes of sizes) {
    const input = corpusOf(bytes);
    const { zero, two } = bestOfRounds(input);
    console.log(`${bytes} | ${zero.toFixed(3)} | ${two.toFixed(3)} | ${(two / zero).toFixed(2)}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
