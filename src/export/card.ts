// The README.md dataset card of an export: what the columns mean, counts, provenance, how to load.
import { manifestDocumentsMode, type Manifest } from "../pack/format.js";
import { packedSpec, recordsSpec, type PackedFormat, type TextFormat } from "./formats.js";
import type { ExportSummary } from "./types.js";

const n = (x: number): string => x.toLocaleString("en-US");

export function packedCard(s: ExportSummary, m: Manifest): string {
  const spec = packedSpec(s.format as PackedFormat);
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
    ...spec.card.features,
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
    ...spec.card.loading(s),
    "",
  ].join("\n");
}

export function textCard(s: ExportSummary, dialect: string, documents = "conversation"): string {
  const spec = recordsSpec(s.format as TextFormat);
  return [
    "---",
    "tags: [datagen, gpt-oss, harmony, sft]",
    "---",
    "",
    `# datagen export (${s.format})`,
    "",
    `Exported by \`datagen export --to ${s.format}\` from ${s.source} (dialect ${dialect}).`,
    "",
    spec.card(documents),
    "Records whose content spells a special token (`special_token_text`) or that fail validation " +
      "are in `rejects.jsonl` with file, line and reason code.",
    "",
    "## Counts",
    "",
    spec.writes === "text" ? `- documents: ${n(s.documents)}` : `- conversations: ${n(s.rows)}`,
    `- tokens (o200k_harmony rendering): ${n(s.tokens)}`,
    `- rejects: ${n(s.rejects)}`,
    "",
  ].join("\n");
}
