// What feeding zlib 16 KiB at a time costs (src/ingest/containers/decompress.ts gunzip: a slice,
// then everything it inflated, so a slow reader never loses output before a damaged end) against
// the anchor, Node's own createGunzip() stream piped from the file and read with for await.
// Side by side in one process, alternating rounds, on one .jsonl.gz (made here from the benchmark
// corpus if absent); each side's best round, in MB of inflated output per wall and per CPU second.
//   npx tsx bench/ingest/gunzip.ts [FILE.gz] [ROUNDS]
import { createReadStream, existsSync, writeFileSync } from "node:fs";
import { createGunzip, gzipSync } from "node:zlib";
import { conversation } from "../corpus/generate.js";
import { gunzip } from "../../src/ingest/containers/decompress.js";

const FILE = process.argv[2] ?? "/tmp/datagen-gunzip-bench.jsonl.gz";
const ROUNDS = Number(process.argv[3] ?? 5);
const TARGET = 100e6;

if (!existsSync(FILE)) {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < TARGET; i++) {
    const line = `${JSON.stringify(conversation(i, 1))}\n`;
    lines.push(line);
    size += line.length;
  }
  writeFileSync(FILE, gzipSync(lines.join("")));
}

type Side = { name: string; run: () => AsyncIterable<Buffer> };
const sides: Side[] = [
  { name: "ours gunzip()", run: () => gunzip(createReadStream(FILE)) },
  { name: "anchor createGunzip()", run: () => createReadStream(FILE).pipe(createGunzip()) },
];

async function timed(side: Side): Promise<{ bytes: number; wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let bytes = 0;
  for await (const chunk of side.run()) bytes += chunk.length;
  const cpu = process.cpuUsage(cpu0);
  return { bytes, wall: (performance.now() - t0) / 1000, cpu: (cpu.user + cpu.system) / 1e6 };
}

const best = new Map<string, { bytes: number; wall: number; cpu: number }>();
for (let r = 0; r < ROUNDS; r++) {
  for (const side of r % 2 ? [...sides].reverse() : sides) {
    const t = await timed(side);
    const b = best.get(side.name);
    best.set(side.name, b ? { bytes: t.bytes, wall: Math.min(b.wall, t.wall), cpu: Math.min(b.cpu, t.cpu) } : t);
  }
}
const [ours, anchor] = sides.map((s) => best.get(s.name)!);
if (ours.bytes !== anchor.bytes) throw new Error(`output sizes differ: ${ours.bytes} vs ${anchor.bytes}`);
console.log(`${FILE}: ${(ours.bytes / 1e6).toFixed(1)} MB inflated, best of ${ROUNDS} alternating rounds`);
for (const s of sides) {
  const t = best.get(s.name)!;
  console.log(`${s.name.padEnd(22)} ${(t.bytes / 1e6 / t.wall).toFixed(1)} MB/s wall  ${(t.bytes / 1e6 / t.cpu).toFixed(1)} MB/CPU-s`);
}
console.log(`ratio ours / anchor: wall time ${(ours.wall / anchor.wall).toFixed(3)}, CPU time ${(ours.cpu / anchor.cpu).toFixed(3)}`);
