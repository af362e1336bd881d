// Worker thread of `datagen validate` (parallel.ts): a batch of raw items in, one verdict per item
// out, in order. Each item goes through the same steps as on the main thread (validateFiles):
// the input layer's record (strict JSON, shape adapter), then validateRecord.
import { parentPort, workerData } from "node:worker_threads";
import { lineTooLong } from "../core/jsonl.js";
import type { LineBatch } from "../ingest/line-batches.js";
import { recordFromBytes } from "../ingest/source-record.js";
import { validateRecord } from "./index.js";
import type { LineVerdict, ValidateWorkerSettings } from "./parallel.js";

const settings = workerData as ValidateWorkerSettings;

parentPort!.on("message", (batch: LineBatch) => {
  const errors = new Map(batch.errors.map((e) => [e.index, e]));
  const verdicts: LineVerdict[] = [];
  for (let k = 0; k < batch.lines.length; k++) verdicts.push(verdictOf(batch, k, errors.get(k)));
  parentPort!.postMessage(verdicts);
});

function verdictOf(batch: LineBatch, k: number, error: LineBatch["errors"][number] | undefined): LineVerdict {
  if (error) return { ok: false, issues: [{ code: error.code, message: error.message }] };
  if (batch.tooLong[k]) {
    const tooLong = lineTooLong(settings.maxLineBytes);
    return { ok: false, issues: [{ code: tooLong.code, message: tooLong.message }] };
  }
  const item = recordFromBytes(batch.data.subarray(batch.starts[k], batch.starts[k + 1]), {
    file: batch.file,
    line: batch.lines[k],
    from: settings.from,
  });
  if ("error" in item) return { ok: false, id: item.id, issues: [{ code: item.error.code, message: item.error.message }] };
  const result = validateRecord(item.value, { allowTrailingCall: settings.allowTrailingCall });
  return result.ok ? { ok: true, id: result.record.id } : { ok: false, id: result.id, issues: result.issues };
}
