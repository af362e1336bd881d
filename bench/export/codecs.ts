// Where the export encoder's time goes, per codec: the same four parts (16 samples each) of PACKED
// read and built into hf-parquet columns once, then encoded by parquet-wasm with each codec in turn,
// alternating, 5 rounds in one process; CPU medians. The pyarrow side for each codec:
// `npx tsx bench/export/run.ts PACKED --compression CODEC`.
//   npx tsx bench/export/codecs.ts PACKED
import { readManifest } from "../../src/pack/reader.js";
import { ColumnScratch } from "../../src/export/columns.js";
import { packedColumns } from "../../src/export/formats.js";
import { encodeParquet, listColumnsIpc } from "../../src/export/encode.js";
import { packedSampleRefs, readPart } from "../../src/export/packed.js";
import { COMPRESSIONS } from "../../src/export/choices.js";

const dir = process.argv[2];
if (!dir) throw new Error("usage: codecs.ts PACKED");
const manifest = readManifest(dir);
const refs = [...packedSampleRefs(dir, manifest)];
const scratch = new ColumnScratch();
const parts: Uint8Array[] = [];
let tokens = 0;
for (let k = 0; k < Math.min(64, refs.length); k += 16) {
  const part = readPart({ dir, seqLen: manifest.seq_len, shards: manifest.shards }, refs.slice(k, k + 16), scratch);
  tokens += part.ids.length;
  // A copy each: the IPC lives in the scratch memory until its next use.
  parts.push(
    (await listColumnsIpc(packedColumns("hf-parquet", part, scratch).columns, Math.min(16, refs.length - k), {}, scratch)).slice(),
  );
}
const cpu = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};
const seconds: Record<string, number[]> = {};
const bytes: Record<string, number> = {};
for (let round = 0; round < 5; round++) {
  for (const codec of COMPRESSIONS) {
    const start = cpu();
    bytes[codec] = 0;
    for (const ipc of parts) bytes[codec] += encodeParquet(ipc, { compression: codec, rowGroupRows: 64 }).length;
    (seconds[codec] ??= []).push(cpu() - start);
  }
}
console.log(`${tokens.toLocaleString("en-US")} tokens in ${parts.length} parts`);
for (const codec of COMPRESSIONS) {
  const sorted = [...seconds[codec]].sort((a, b) => a - b);
  console.log(JSON.stringify({ codec, cpuSecondsMedian: Number(sorted[2].toFixed(3)), bytes: bytes[codec] }));
}
