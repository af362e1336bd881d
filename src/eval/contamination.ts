// The model-judged suites' items checked against training data with the judge's contamination check
// (src/judge/rules.ts ContaminationIndex: the share of an item's word n-grams found in the training
// records' user messages and finals). Items at or over the threshold are reported, per item, in
// contamination.json and in the report: their figures may measure memory, not behaviour.
import { join } from "node:path";
import { DataError } from "../core/errors.js";
import { writeFileAtomic } from "../core/output.js";
import type { ConversationRecord } from "../core/record.js";
import { readSource } from "../ingest/source.js";
import { ContaminationIndex, DEFAULT_RULES } from "../judge/rules.js";
import { CONTAMINATION_FILE } from "./files.js";
import type { EvalItem } from "./types.js";

export interface ContaminationReport {
  format: "datagen-eval-contamination/1";
  train_files: string[];
  train_records: number;
  ngram_words: number;
  threshold: number;
  checked: number;
  max_overlap: number;
  contaminated: { id: string; overlap: number }[];
}

/** The texts of a training record that the check compares: user messages and assistant finals. */
function recordTexts(record: ConversationRecord): string[] {
  return record.messages
    .filter(
      (m) => (m.role === "user" || (m.role === "assistant" && !m.tool_calls?.length)) && typeof m.content === "string" && m.content !== "",
    )
    .map((m) => m.content as string);
}

/** An item's own texts: its user turns and scripted answers, and its follow-ups. */
const itemTexts = (item: EvalItem): string[] => [...item.messages.map((m) => m.content ?? ""), ...(item.followups ?? [])].filter(Boolean);

export async function checkContamination(
  items: EvalItem[],
  trainFiles: string[],
  out: string,
  n = DEFAULT_RULES.contaminationWords,
  threshold = DEFAULT_RULES.maxContamination,
): Promise<ContaminationReport> {
  const index = new ContaminationIndex(n);
  let records = 0;
  for (const file of trainFiles) {
    for await (const item of readSource(file)) {
      if ("error" in item) throw new DataError(item.error.code, item.error.message, { file: item.file, line: item.line });
      for (const text of recordTexts(item.value as ConversationRecord)) index.add(text);
      records++;
    }
  }
  const judged = items.filter((i) => i.suite !== "ruler");
  const overlaps = judged.map((i) => ({ id: i.id, overlap: Math.max(0, ...itemTexts(i).map((t) => index.overlap(t))) }));
  const report: ContaminationReport = {
    format: "datagen-eval-contamination/1",
    train_files: trainFiles,
    train_records: records,
    ngram_words: n,
    threshold,
    checked: judged.length,
    max_overlap: Math.max(0, ...overlaps.map((o) => o.overlap)),
    contaminated: overlaps.filter((o) => o.overlap >= threshold).map((o) => ({ id: o.id, overlap: Math.round(o.overlap * 1000) / 1000 })),
  };
  writeFileAtomic(join(out, CONTAMINATION_FILE), JSON.stringify(report, null, 2) + "\n");
  return report;
}
