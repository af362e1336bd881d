// `datagen import` as a function: read inputs of any shape, convert each record to ours
// (shapes/), validate it as `datagen validate` does, and hand the valid ones on as JSONL lines,
// with a report: records by detected shape, converted, rejected by reason, and what was dropped.
import { readJsonl, type JsonlOptions } from "../core/jsonl.js";
import { createValidator, type ValidateOptions } from "../validate/index.js";
import { adaptRecord, type ShapeName, type ShapeOption } from "./shapes/index.js";

export interface ImportOptions extends JsonlOptions, ValidateOptions {
  from?: ShapeOption;
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
  code: string;
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
  const report: ImportReport = { files: paths.length, records: 0, converted: 0, rejected: 0, shapes: {}, rejected_by_code: {}, dropped: {} };
  const every = options.progressEvery ?? 10_000;
  const reject = (r: ImportReject): void => {
    report.rejected++;
    report.rejected_by_code[r.code] = (report.rejected_by_code[r.code] ?? 0) + 1;
    options.onReject?.(r);
  };
  for (const file of paths) {
    for await (const item of readJsonl(file, options)) {
      report.records++;
      if (options.onProgress && report.records % every === 0) options.onProgress(report.records);
      if ("error" in item) {
        reject({ file, line: item.line, ...item.error });
        continue;
      }
      const adapted = adaptRecord(item.value, { shape: options.from ?? "auto", file, line: item.line });
      if (adapted.shape !== undefined) report.shapes[adapted.shape] = (report.shapes[adapted.shape] ?? 0) + 1;
      if ("error" in adapted) {
        reject({ file, line: item.line, id: idOf(item.value), shape: adapted.shape, ...adapted.error });
        continue;
      }
      // Serialized before validation, which normalizes argument strings in place: the written
      // record keeps them exactly as the input had them.
      const line = JSON.stringify(adapted.record) + "\n";
      const checked = validator.check(adapted.record, { file, line: item.line });
      if (!checked.ok) {
        const first = checked.issues[0];
        const where = first.path && !first.message.includes(first.path) ? ` (at ${first.path})` : "";
        reject({ file, line: item.line, id: checked.id, shape: adapted.shape, code: first.code, message: `${first.message}${where}` });
        continue;
      }
      for (const field of adapted.dropped) report.dropped[field] = (report.dropped[field] ?? 0) + 1;
      report.converted++;
      await options.write(line);
    }
  }
  return report;
}

function idOf(value: unknown): string | undefined {
  const id = value !== null && typeof value === "object" ? (value as { id?: unknown }).id : undefined;
  return typeof id === "string" ? id : typeof id === "number" ? String(id) : undefined;
}
