// Worker thread entry: renders batches of raw JSONL lines (see pool.ts for the protocol).
import { parentPort, workerData } from "node:worker_threads";
import { processLine, type LineResult, type RenderSettings } from "./process-record.js";
import type { LineBatch } from "./pool.js";

const settings = workerData as RenderSettings;

parentPort!.on("message", (batch: LineBatch) => {
  const results: LineResult[] = [];
  const transfer: ArrayBuffer[] = [];
  const errors = new Map(batch.errors.map((e) => [e.index, e]));
  for (let k = 0; k < batch.lines.length; k++) {
    const error = errors.get(k);
    const bytes = batch.tooLong[k] ? null : batch.data.subarray(batch.starts[k], batch.starts[k + 1]);
    const result: LineResult = error
      ? { kind: "reject", line: batch.lines[k], code: error.code, message: error.message }
      : processLine(bytes, batch.file, batch.lines[k], settings);
    if (result.kind === "record")
      for (const d of result.documents) transfer.push(d.tokens.buffer as ArrayBuffer, d.mask.buffer as ArrayBuffer);
    results.push(result);
  }
  parentPort!.postMessage(results, transfer);
});
