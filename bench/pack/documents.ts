// Pack speed and sample count per --documents mode on a multi-turn corpus, side by side, with
// `conversation` (the whole-record rendering every earlier pack used) as the anchor.
//
//   npx tsx bench/pack/documents.ts [--count 2000] [--seed 1] [--seq-len 131072] [--workers 2] [--repeat 2]
//
// The corpus is bench/corpus/generate.ts's (deterministic for a seed: 1 to 8 turns, tool rounds,
// thinking before tool calls and on half the finals). Each mode is packed --repeat times in turn
// (conversation, auto, turns, …); the best time is reported.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { packDataset, type PackSummary } from "../../src/pack/index.js";
import type { DocumentMode } from "../../src/render/index.js";
import { conversation } from "../corpus/generate.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "2000" },
    seed: { type: "string", default: "1" },
    "seq-len": { type: "string", default: "131072" },
    workers: { type: "string", default: "2" },
    repeat: { type: "string", default: "2" },
  },
});
const count = Number(values.count);
const seqLen = Number(values["seq-len"]);
const workers = Number(values.workers);
const repeat = Number(values.repeat);
const MODES: DocumentMode[] = ["conversation", "auto", "turns"];

const dir = mkdtempSync(join(tmpdir(), "bench-documents-"));
try {
  const input = join(dir, "corpus.jsonl");
  const records = Array.from({ length: count }, (_, i) => conversation(i, Number(values.seed)));
  writeFileSync(input, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const turns = records.map((r) => r.messages.filter((m) => m.role === "user").length);
  const allTurns = turns.reduce((a, b) => a + b, 0);
  const multiTurn = turns.filter((t) => t > 1).length;
  console.log(
    `corpus: ${count} records (seed ${values.seed}), ${allTurns} turns, ${multiTurn} multi-turn; seq_len ${seqLen}, ${workers} workers`,
  );

  const best = new Map<DocumentMode, PackSummary>();
  for (let k = 0; k < repeat; k++) {
    for (const mode of MODES) {
      const summary = await packDataset([input], { out: join(dir, `${mode}-${k}`), seqLen, workers, documents: mode, overlong: "drop" });
      rmSync(join(dir, `${mode}-${k}`), { recursive: true, force: true });
      const previous = best.get(mode);
      if (!previous || summary.seconds < previous.seconds) best.set(mode, summary);
    }
  }

  const anchor = best.get("conversation")!;
  const rows = MODES.map((mode) => {
    const s = best.get(mode)!;
    const d = s.documentsStats;
    return [
      mode,
      String(s.documents),
      String(s.samples),
      `${(s.samples / anchor.samples).toFixed(2)}x`,
      String(s.tokens.real),
      String(s.tokens.trained),
      `${((100 * d.repeated_prefix_tokens) / s.tokens.real).toFixed(1)} %`,
      String(d.analysis_tokens_dropped),
      s.seconds.toFixed(1),
      String(Math.round(count / s.seconds)),
      `${(anchor.seconds / s.seconds).toFixed(2)}x`,
    ];
  });
  const header = ["mode", "documents", "samples", "vs conv.", "real tokens", "trained", "repeated prefix", "analysis dropped"];
  header.push("seconds", "records/s", "speed vs conv.");
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`);
  for (const r of rows) console.log(line(r));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
