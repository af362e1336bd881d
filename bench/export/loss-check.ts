// The three-way loss check of the export formats: pack a corpus with thinking, tool calls and several
// documents per sample, export it to hf-parquet and megatron-bridge, evaluate the smoke model with
// `datagen train --eval-only --json`, then bench/export/loss_check.py recomputes the loss with
// transformers' GptOss from each export and from the torchtitan data source; then TRL's
// padding-free collator must return the hf-parquet labels and position_ids unchanged.
//
//   npx tsx bench/export/loss-check.ts [--records 40] [--seq-len 8192] [--threads 2]
// Needs `make -C trainer` and python3 with torch, transformers, gguf, datasets, pyarrow, trl.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { conversation } from "../corpus/generate.js";
import { ensureSmokeModel } from "../../src/model/smoke.js";

const { values } = parseArgs({
  options: {
    records: { type: "string", default: "40" },
    "seq-len": { type: "string", default: "8192" },
    threads: { type: "string", default: "2" },
  },
});
const root = join(import.meta.dirname, "../..");
const work = mkdtempSync(join(tmpdir(), "export-loss-"));
const datagen = (args: string[]): string => {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/datagen.ts"), ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`datagen ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
};

const corpus = join(work, "corpus.jsonl");
const examples = readFileSync(join(root, "data/examples/conversations.jsonl"), "utf8").trim();
const generated = Array.from({ length: Number(values.records) }, (_, i) => JSON.stringify(conversation(i, 11))).join("\n");
writeFileSync(corpus, `${examples}\n${generated}\n`);
const packed = join(work, "packed");
datagen(["pack", corpus, "--out", packed, "--seq-len", values["seq-len"]!, "--overlong", "drop"]);
datagen(["export", packed, "--to", "hf-parquet", "--out", join(work, "hf")]);
datagen(["export", packed, "--to", "megatron-bridge", "--out", join(work, "mb")]);
const model = await ensureSmokeModel();
const ours = join(work, "eval.json");
// The untruncated YaRN range is the one transformers uses.
writeFileSync(
  ours,
  datagen(["train", "--data", packed, "--model", model, "--eval-only", "--json", "--rope-untruncated", "--threads", values.threads!]),
);
const manifest = JSON.parse(readFileSync(join(packed, "manifest.json"), "utf8"));
console.error(
  `packed ${manifest.documents} documents in ${manifest.samples} samples (seq_len ${manifest.seq_len}, ${manifest.tokens.trained} trained tokens): ${work}`,
);
const check = spawnSync(
  "python3",
  [
    join(root, "bench/export/loss_check.py"),
    "--model",
    model,
    "--packed",
    packed,
    "--hf",
    join(work, "hf"),
    "--megatron",
    join(work, "mb"),
    "--ours",
    ours,
    "--threads",
    values.threads!,
  ],
  { stdio: "inherit" },
);
// TRL's padding-free collator on the same rows: labels and position_ids come back unchanged.
const trl = spawnSync("python3", [join(root, "bench/export/trl_collator_check.py"), join(work, "hf")], { stdio: "inherit" });
// The torchtitan source's rank split, resume and positions against the shards.
const titan = spawnSync("python3", [join(root, "bench/export/torchtitan_check.py"), packed], { stdio: "inherit" });
process.exit(check.status || trl.status || titan.status || 0);
