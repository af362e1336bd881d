// The README.md dataset card of an export: what the columns mean, counts, provenance, how to load.
import { manifestDocumentsMode, type Manifest } from "../pack/format.js";
import type { ExportSummary } from "./packed-export.js";

const n = (x: number): string => x.toLocaleString("en-US");

export function packedCard(s: ExportSummary, m: Manifest): string {
  const hf = s.format === "hf-parquet";
  const features = hf
    ? [
        "| `input_ids` | list<int32> | o200k_harmony token ids of the sample, padding removed |",
        "| `labels` | list<int32> | the token id where datagen's mask is 1, −100 elsewhere; **unshifted** (transformers shifts inside its loss) |",
        "| `position_ids` | list<int32> | 0, 1, … restarting at 0 at each document (conversation) start |",
        "| `seq_lengths` | list<int32> | the length of each document in the row (TRL's padding-free collator builds its `position_ids` from it) |",
      ]
    : [
        "| `input_ids` | list<int32> | o200k_harmony token ids of the sample, padding removed |",
        "| `loss_mask` | list<int8> | **shifted**: `loss_mask[t]` = 1 when position t is trained to predict token t+1 of the same document; 0 on each document's last token |",
        "| `seq_start_id` | list<int32> | start offset of each document in the row |",
      ];
  const load = hf
    ? [
        "```python",
        "from datasets import load_dataset",
        `ds = load_dataset("parquet", data_dir="${s.out}", split="train")`,
        "```",
        "",
        "Each row packs several conversations. Train on it only with an attention implementation",
        "that honours `position_ids` as document boundaries (flash-attention varlen, e.g.",
        "`attn_implementation=\"flash_attention_2\"`, and TRL's `padding_free=True`, which rebuilds `position_ids`",
        "from `seq_lengths`), or split rows at `position_ids == 0` into one document per row.",
        "Plain eager/SDPA attention would let a conversation attend to the one before it.",
      ]
    : [
        "Point Megatron-Bridge's packed SFT dataset (`GPTSFTPackedParquetDataset`) at this folder",
        "(it globs `*.idx.parquet`); see docs/TRAINING.md in the datagen repository.",
        "Its collate drops each document's last input position, trains position t on token t+1",
        "with `loss_mask[t]`, and zeroes the loss where the input token is the tokenizer's eos;",
        `trained targets affected by that rule here: ${n(s.eosZeroed ?? 0)}.`,
      ];
  return [
    "---",
    "tags: [datagen, gpt-oss, harmony, sft, packed]",
    "---",
    "",
    `# datagen export (${s.format})`,
    "",
    `Exported by \`datagen export --to ${s.format}\` from the packed dataset \`${s.source}\``,
    `(manifest.json sha256 \`${s.sourceManifestSha256}\`; tokenizer ${m.tokenizer}, dialect ${m.dialect}, mask ${m.mask},`,
    `seq_len ${n(m.seq_len)}${s.verified ? "; the source passed `dataset verify` before export" : "; exported with --no-verify"}).`,
    "",
    "## Features",
    "",
    "| column | type | meaning |",
    "|---|---|---|",
    ...features,
    "",
    "## Counts",
    "",
    `- rows (packed samples): ${n(s.rows)}`,
    `- documents (--documents ${manifestDocumentsMode(m)}): ${n(s.documents)}`,
    `- tokens: ${n(s.tokens)}`,
    `- trained targets: ${n(s.trained ?? 0)}`,
    `- files: ${s.files.map((f) => `\`${f.path}\` (${n(f.rows)} rows)`).join(", ")}`,
    "",
    "## Loading",
    "",
    ...load,
    "",
  ].join("\n");
}

export function textCard(s: ExportSummary, dialect: string, documents = "conversation"): string {
  const harmony = s.format === "harmony-text";
  return [
    "---",
    "tags: [datagen, gpt-oss, harmony, sft]",
    "---",
    "",
    `# datagen export (${s.format})`,
    "",
    `Exported by \`datagen export --to ${s.format}\` from ${s.source} (dialect ${dialect}).`,
    "",
    harmony
      ? `\`data.jsonl\`: one \`{"text": …}\` per document (\`--documents ${documents}\`: a record, or one per assistant turn when it is cut; docs/RENDERING.md), the exact harmony rendering.`
      + " Tokenize it with special tokens allowed (o200k_harmony): every line was checked to give exactly the ids `datagen pack` trains on."
      : "`part-*.parquet`: columns `id`, `messages` and `tools`, JSON strings in the shape of transformers' `apply_chat_template` (tool-call arguments as objects); load with `load_dataset(\"parquet\", data_files=\"DIR/part-*.parquet\")` (not `data_dir`: `rejects.jsonl` sits beside them) and parse with `json.loads`.",
    "Records whose content spells a special token (`special_token_text`) or that fail validation are in `rejects.jsonl` with file, line and reason code.",
    "",
    "## Counts",
    "",
    harmony ? `- documents: ${n(s.documents)}` : `- conversations: ${n(s.rows)}`,
    `- tokens (o200k_harmony rendering): ${n(s.tokens)}`,
    `- rejects: ${n(s.rejects)}`,
    "",
  ].join("\n");
}
