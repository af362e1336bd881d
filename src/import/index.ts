// `datagen import` as a function: read inputs of any shape, convert each record to ours
// (shapes/), validate it as `datagen validate` does, and hand the valid ones on as JSONL lines,
// with a report: records by detected shape, converted, rejected by reason, and what was dropped.
import { stringifyJson } from "../core/json.js";
import type { ReasonCode } from "../core/reasons.js";
import { createValidator, type ValidateOptions } from "../validate/index.js";
import type { ShapeName } from "../ingest/shapes/index.js";
import { readSource, type ReadSourceOptions } from "../ingest/source.js";

export interface ImportOptions extends ReadSourceOptions, ValidateOptions {
  /** Receives each converted record as one JSONL line (with "\n"); awaited, so output can apply back-pressure. */
  write: (line: string) => Promise<void> | void;
  /** Each line that was not converted, as it happens. */
  onReject?: (reject: ImportReject) => void;
  onProgress?: (records: number) => void;
  progressEvery?: number;
}

export interface ImportReject {
  file: string;
  line: number;
  id?: string;
  code: ReasonCode;
  message: string;
  /** The shape the line was read as, when it had one. */
  shape?: ShapeName;
}

export interface ImportReport {
  files: number;
  /** Items read (non-blank lines), converted or not. */
  records: number;
  converted: number;
  rejected: number;
  /** Records per shape they were read as (auto-detected or forced). */
  shapes: Partial<Record<ShapeName, number>>;
  /** Rejected records per reason (the first reason of each). */
  rejected_by_code: Record<string, number>;
  /** Per field left out on the way: in how many converted records. */
  dropped: Record<string, number>;
}

export async function importFiles(paths: readonly string[], options: ImportOptions): Promise<ImportReport> {
  const validator = createValidator(options);
  const report: ImportReport = {
    files: paths.length,
    records: 0,
    converted: 0,
    rejected: 0,
    shapes: {},
    rejected_by_code: {},
    dropped: {},
  };
  const every = options.progressEvery ?? 10_000;
  const reject = (r: ImportReject): void => {
    report.rejected++;
    report.rejected_by_code[r.code] = (report.rejected_by_code[r.code] ?? 0) + 1;
    options.onReject?.(r);
  };
  for (const path of paths) {
    for await (const item of readSource(path, options)) {
      const { file, line } = item;
      // line 0: the input held no item at all (empty_input); a reject, but not a record.
      if (line > 0) report.records++;
      if (options.onProgress && report.records % every === 0) options.onProgress(report.records);
      if (item.shape !== undefined) report.shapes[item.shape] = (report.shapes[item.shape] ?? 0) + 1;
      if ("error" in item) {
        reject({ file, line, id: item.id, shape: item.shape, ...item.error });
        continue;
      }
      // Serialized before validation, which normalizes argument strings in place: the written
      // record keeps them exactly as the input had them (numbers too: stringifyJson prints literals).
      const text = stringifyJson(item.value) + "\n";
      const checked = validator.check(item.value, { file, line });
      if (!checked.ok) {
        const first = checked.issues[0];
        const where = first.path && !first.message.includes(first.path) ? ` (at ${first.path})` : "";
        reject({ file, line, id: checked.id, shape: item.shape, code: first.code, message: `${first.message}${where}` });
        continue;
      }
      for (const field of item.dropped) report.dropped[field] = (report.dropped[field] ?? 0) + 1;
      report.converted++;
      await options.write(text);
    }
  }
  return report;
}
