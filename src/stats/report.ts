// `dataset stats report`: the stage's entry point. Streams every input once and returns
// the report's figures (JSON-ready) plus the samples the HTML charts need.
import { availableParallelism } from "node:os";
import { readJsonl } from "../core/jsonl.js";
import { displayName, readSource, type FromShape } from "../ingest/source.js";
import type { Dialect, DocumentMode, MaskMode } from "../render/index.js";
import type { TokenCounter } from "./facts.js";
import { resolveInputs } from "./inputs.js";
import { PackedAccumulator, rejectReason, type PackedFigures } from "./packed.js";
import { createAnalyzer } from "./pool.js";
import { RawAccumulator, type RawFigures } from "./raw.js";
import { PackedCoverageAccumulator, RawCoverageAccumulator, type Coverage } from "./coverage.js";

export const REPORT_VERSION = 1;
const BATCH = 64;

export interface ReportOptions {
  mask?: MaskMode;
  dialect?: Dialect;
  /** --documents: how raw records become documents (default auto). */
  documents?: DocumentMode;
  /** Worker threads for rendering and tokenizing; 0 analyzes in this thread. Default: cores - 1 (≥ 1 if more than one core). */
  workers?: number;
  /** Cap on stored MinHash signatures per text kind (see minhash.ts). */
  signatureCapacity?: number;
  /** Replaces rendering (tests of the aggregation only). */
  countTokens?: TokenCounter;
  /** --from: the raw inputs' record shape (default auto). */
  from?: FromShape;
  /** --allow-trailing-call: a raw record may end with an assistant tool call. */
  allowTrailingCall?: boolean;
  /** Called every `progressEvery` records with the count so far. */
  onProgress?: (records: number) => void;
}

export interface StatsReport {
  format: "datagen.stats";
  version: number;
  mask: MaskMode;
  dialect: Dialect;
  documents: DocumentMode;
  inputs: { raw: string[]; rejects: string[]; packed: string[] };
  raw: RawFigures | null;
  packed: PackedFigures | null;
  /** Long-context coverage (coverage.ts): length bands of raw records, trained positions of packed data. */
  coverage?: Coverage;
}

export interface ReportBundle {
  report: StatsReport;
  /** Per persona, a sample of tokens per conversation (the HTML length histograms). */
  lengthSamples: Map<string, Float64Array>;
}

export function defaultWorkers(): number {
  const cores = availableParallelism();
  return cores > 1 ? cores - 1 : 0;
}

export async function buildReport(paths: string[], options: ReportOptions = {}): Promise<ReportBundle> {
  const mask = options.mask ?? "assistant";
  const dialect = options.dialect ?? "harmony";
  const documents = options.documents ?? "auto";
  const inputs = resolveInputs(paths);
  const raw = new RawAccumulator(options.signatureCapacity);
  const rawCoverage = new RawCoverageAccumulator();
  const packedCoverage = new PackedCoverageAccumulator();
  const hasRaw = inputs.raw.length > 0 || inputs.rejects.length > 0;
  if (inputs.raw.length > 0) await readRaw(inputs.raw, raw, { ...options, mask, dialect, documents }, rawCoverage);
  for (const file of inputs.rejects) await readRejects(file, raw);
  let packed: PackedFigures | null = null;
  if (inputs.packed.length > 0) {
    const acc = new PackedAccumulator();
    for (const dir of inputs.packed) await acc.addDataset(dir);
    for (const dir of inputs.packed) await packedCoverage.addDataset(dir);
    packed = acc.figures();
  }
  return {
    report: {
      format: "datagen.stats",
      version: REPORT_VERSION,
      mask,
      dialect,
      documents,
      inputs,
      raw: hasRaw ? raw.figures() : null,
      packed,
      coverage: { raw: rawCoverage.figures(), packed: packedCoverage.figures() },
    },
    lengthSamples: raw.lengthSamples(),
  };
}

async function readRaw(
  files: string[],
  acc: RawAccumulator,
  options: ReportOptions & { mask: MaskMode; dialect: Dialect },
  coverage: RawCoverageAccumulator,
): Promise<void> {
  const analyzer = await createAnalyzer(
    options.workers ?? defaultWorkers(),
    { dialect: options.dialect, mask: options.mask, documents: options.documents, allowTrailingCall: options.allowTrailingCall },
    options.countTokens,
  );
  let records = 0;
  try {
    for (const path of files) {
      const file = displayName(path);
      acc.addFile(file);
      let values: unknown[] = [];
      let lines: number[] = [];
      const flush = async () => {
        const batchLines = lines;
        await analyzer.submit(values, (outcomes) => {
          outcomes.forEach((o, i) => {
            if (o.ok) {
              acc.addRecord(o.facts);
              coverage.add(o.facts.tokens.total);
            } else acc.addInvalid({ file, line: batchLines[i], id: o.id, code: o.code, message: o.message });
          });
          records += outcomes.length;
          options.onProgress?.(records);
        });
        values = [];
        lines = [];
      };
      for await (const item of readSource(path, { from: options.from })) {
        if ("error" in item) {
          acc.addInvalid({ file, line: item.line, id: item.id, code: item.error.code, message: item.error.message });
          continue;
        }
        values.push(item.value);
        lines.push(item.line);
        if (values.length === BATCH) await flush();
      }
      if (values.length > 0) await flush();
    }
  } finally {
    await analyzer.close();
  }
}

async function readRejects(file: string, acc: RawAccumulator): Promise<void> {
  acc.addRejectFile(file);
  for await (const item of readJsonl(file)) {
    acc.addReject("error" in item ? `unreadable_${item.error.code}` : rejectReason(item.value), "error" in item ? undefined : item.value);
  }
}
