// The registry of export formats: one entry per `--to` value. Everything else is derived from this
// table: the CLI's choices and help, which input a format reads, the file suffix, the columns and
// their builder, and the dataset card. Adding a format is one entry here (a packed one also writes
// its column builder in columns.ts); docs/ARCHITECTURE.md, "Adding an export format".
// Light on purpose: `datagen` loads it at start (the Parquet writers load only when export runs).
import { hfColumns, megatronColumns, type ColumnScratch } from "./columns.js";
import { HF_MESSAGES_COLUMNS } from "./messages.js";
import type { ColumnSpec, ExportSummary, PackedColumns, PartData } from "./types.js";

const n = (x: number): string => x.toLocaleString("en-US");

interface FormatBase {
  /** The lines `datagen export --help` shows under the format's name. */
  help: string[];
}

/** A packed dataset folder → one Parquet row per sample. */
export interface PackedFormatSpec extends FormatBase {
  input: "packed";
  suffix: string;
  columns: ColumnSpec[];
  build: (part: PartData, scratch: ColumnScratch) => PackedColumns;
  /** Whether the format drops trained targets after an eos input token (the summary warns). */
  eosRule: boolean;
  card: { features: string[]; loading: (s: ExportSummary) => string[] };
}

/** JSONL conversation records → text or messages a trainer tokenizes itself. */
export interface RecordsFormatSpec extends FormatBase {
  input: "records";
  /** `text`: data.jsonl of {"text": harmony rendering}; `messages`: Parquet rows of `columns`. */
  writes: "text" | "messages";
  columns?: ColumnSpec[];
  /** The card's paragraph on the files, given the --documents mode. */
  card: (documents: string) => string;
}

export type FormatSpec = PackedFormatSpec | RecordsFormatSpec;

const FEATURE_INPUT_IDS = "| `input_ids` | list<int32> | o200k_harmony token ids of the sample, padding removed |";

export const EXPORT_FORMAT_SPECS = {
  "hf-parquet": {
    input: "packed",
    help: [
      "packed → part-NNNNN.parquet: input_ids, labels (−100 where untrained,",
      "unshifted), position_ids (restart at 0 per document); for TRL SFTTrainer",
    ],
    suffix: ".parquet",
    columns: [
      { name: "input_ids", kind: "list<int32>" },
      { name: "labels", kind: "list<int32>" },
      { name: "position_ids", kind: "list<int32>" },
      { name: "seq_lengths", kind: "list<int32>" },
    ],
    build: hfColumns,
    eosRule: false,
    card: {
      features: [
        FEATURE_INPUT_IDS,
        "| `labels` | list<int32> | the token id where datagen's mask is 1, −100 elsewhere; " +
          "**unshifted** (transformers shifts inside its loss) |",
        "| `position_ids` | list<int32> | 0, 1, … restarting at 0 at each document (conversation) start |",
        "| `seq_lengths` | list<int32> | the length of each document in the row " +
          "(TRL's padding-free collator builds its `position_ids` from it) |",
      ],
      loading: (s) => [
        "```python",
        "from datasets import load_dataset",
        `ds = load_dataset("parquet", data_dir="${s.out}", split="train")`,
        "```",
        "",
        "Each row packs several conversations. Train on it only with an attention implementation",
        "that honours `position_ids` as document boundaries (flash-attention varlen, e.g.",
        '`attn_implementation="flash_attention_2"`, and TRL\'s `padding_free=True`, which rebuilds `position_ids`',
        "from `seq_lengths`), or split rows at `position_ids == 0` into one document per row.",
        "Plain eager/SDPA attention would let a conversation attend to the one before it.",
      ],
    },
  },
  // Megatron-Bridge's GPTSFTPackedParquetDataset globs *.idx.parquet in a folder.
  "megatron-bridge": {
    input: "packed",
    help: [
      "packed → part-NNNNN.idx.parquet: input_ids, loss_mask (shifted by one inside",
      "each document), seq_start_id; for GPTSFTPackedParquetDataset",
    ],
    suffix: ".idx.parquet",
    columns: [
      { name: "input_ids", kind: "list<int32>" },
      { name: "loss_mask", kind: "list<int8>" },
      { name: "seq_start_id", kind: "list<int32>" },
    ],
    build: megatronColumns,
    eosRule: true,
    card: {
      features: [
        FEATURE_INPUT_IDS,
        "| `loss_mask` | list<int8> | **shifted**: " +
          "`loss_mask[t]` = 1 when position t is trained to predict token t+1 of the same document; 0 on each document's last token |",
        "| `seq_start_id` | list<int32> | start offset of each document in the row |",
      ],
      loading: (s) => [
        "Point Megatron-Bridge's packed SFT dataset (`GPTSFTPackedParquetDataset`) at this folder",
        "(it globs `*.idx.parquet`); see docs/TRAINING.md in the datagen repository.",
        "Its collate drops each document's last input position, trains position t on token t+1",
        "with `loss_mask[t]`, and zeroes the loss where the input token is the tokenizer's eos;",
        `trained targets affected by that rule here: ${n(s.eosZeroed ?? 0)}.`,
      ],
    },
  },
  "harmony-text": {
    input: "records",
    help: [
      'JSONL → data.jsonl of {"text": harmony rendering}, one per document',
      "(--documents: a record, or one per turn); records whose content",
      "spells a special token are rejected (special_token_text)",
    ],
    writes: "text",
    card: (documents) =>
      `\`data.jsonl\`: one \`{"text": …}\` per document (\`--documents ${documents}\`: a record, ` +
      `or one per assistant turn when it is cut; ` +
      "docs/RENDERING.md), the exact harmony rendering. Tokenize it with special tokens allowed (o200k_harmony): " +
      "every line was checked to give exactly the ids `datagen pack` trains on.",
  },
  "hf-messages": {
    input: "records",
    help: ["JSONL → part-NNNNN.parquet: id, messages, tools (JSON strings)"],
    writes: "messages",
    columns: HF_MESSAGES_COLUMNS,
    card: () =>
      "`part-*.parquet`: columns `id`, `messages` and `tools`, JSON strings in the shape of transformers' `apply_chat_template` " +
      '(tool-call arguments as objects); load with `load_dataset("parquet", data_files="DIR/part-*.parquet")` ' +
      "(not `data_dir`: `rejects.jsonl` sits beside them) and parse with `json.loads`.",
  },
} as const satisfies Record<string, FormatSpec>;

type Specs = typeof EXPORT_FORMAT_SPECS;
export type ExportFormat = keyof Specs;
export type PackedFormat = { [K in ExportFormat]: Specs[K]["input"] extends "packed" ? K : never }[ExportFormat];
export type TextFormat = Exclude<ExportFormat, PackedFormat>;

export const EXPORT_FORMATS = Object.keys(EXPORT_FORMAT_SPECS) as ExportFormat[];
/** Formats read from a packed dataset; the others read JSONL records. */
export const PACKED_FORMATS = EXPORT_FORMATS.filter((f): f is PackedFormat => EXPORT_FORMAT_SPECS[f].input === "packed");

export const isPackedFormat = (f: ExportFormat): f is PackedFormat => EXPORT_FORMAT_SPECS[f].input === "packed";

export function packedSpec(format: PackedFormat): PackedFormatSpec {
  return EXPORT_FORMAT_SPECS[format];
}

export function recordsSpec(format: TextFormat): RecordsFormatSpec {
  return EXPORT_FORMAT_SPECS[format];
}

/** The columns of one part in one format, one row per sample; `scratch` holds them until its next use. */
export function packedColumns(format: PackedFormat, part: PartData, scratch: ColumnScratch): PackedColumns {
  return packedSpec(format).build(part, scratch);
}

/** The formats block of `datagen export --help`. */
export function formatsHelp(): string {
  const width = Math.max(...EXPORT_FORMATS.map((f) => f.length)) + 1;
  return EXPORT_FORMATS.map((f) =>
    EXPORT_FORMAT_SPECS[f].help.map((line, k) => `  ${(k === 0 ? f : "").padEnd(width)} ${line}`).join("\n"),
  ).join("\n");
}
