// Export speed, side by side: `datagen export --to hf-parquet` against pyarrow writing the same
// columns from numpy (bench/export/pyarrow_export.py), same codec, same packed dataset; wall time
// CPU time (user + sys) and peak RSS from /usr/bin/time, rounds alternating the two sides.
//
//   npx tsx bench/export/run.ts PACKED [--rounds 2] [--compression zstd]
// Make a ~100 M-token PACKED with bench/corpus/generate.ts (--count 102000) and datagen pack.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: "string", default: "2" }, compression: { type: "string", default: "zstd" } },
});
const packed = positionals[0];
if (!packed) throw new Error("usage: run.ts PACKED [--rounds N] [--compression zstd|snappy|none]");
const root = join(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "export-bench-"));
const manifest = JSON.parse(readFileSync(join(packed, "manifest.json"), "utf8"));

function timed(cmd: string[]): { seconds: number; cpuSeconds: number; rssMiB: number } {
  const r = spawnSync("/usr/bin/time", ["-f", "%e %M %U %S", ...cmd], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${cmd.join(" ")}: ${r.stderr}`);
  const [seconds, kb, user, sys] = r.stderr.trim().split("\n").at(-1)!.split(" ").map(Number);
  return { seconds, cpuSeconds: user + sys, rssMiB: kb / 1024 };
}

// The built CLI when there is one (`npm run build`): what users run; from source, tsx compiles
// the CLI and each encoder worker at start (~2.4 s more CPU here).
const built = join(root, "dist/src/cli/datagen.js");
const datagen = existsSync(built) ? [process.execPath, built] : [process.execPath, "--import", "tsx", join(root, "src/cli/datagen.ts")];
const sides = {
  "datagen export": () =>
    timed([
      ...datagen,
      "export",
      packed,
      "--to",
      "hf-parquet",
      "--out",
      join(work, "ours"),
      "--force",
      "--no-verify",
      "--compression",
      values.compression!,
    ]),
  "pyarrow from numpy": () =>
    timed([
      "python3",
      join(root, "bench/export/pyarrow_export.py"),
      packed,
      join(work, "pyarrow.parquet"),
      "--compression",
      values.compression!,
    ]),
};
console.log(
  `${manifest.tokens.real.toLocaleString("en-US")} tokens in ${manifest.samples} samples (seq_len ${manifest.seq_len}), codec ${values.compression}, ${datagen.at(-1)}`,
);
for (let round = 1; round <= Number(values.rounds); round++) {
  const results: Record<string, ReturnType<typeof timed>> = {};
  for (const [name, run] of Object.entries(sides)) results[name] = run();
  const [ours, theirs] = Object.values(results);
  console.log(
    JSON.stringify({ round, ...results, wallRatio: ours.seconds / theirs.seconds, cpuRatio: ours.cpuSeconds / theirs.cpuSeconds }),
  );
}
rmSync(work, { recursive: true, force: true });
