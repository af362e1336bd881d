// Worker thread entry: renders batches of raw JSONL lines (see pool.ts for the protocol).
import { parentPort, workerData } from "node:worker_threads";
import type { LineBatch } from "./pool.js";
import { renderBatch, transferablesOf, type RenderSettings } from "./process-record.js";

const settings = workerData as RenderSettings;

parentPort!.on("message", (batch: LineBatch) => {
  const results = renderBatch(batch, settings);
  parentPort!.postMessage(results, transferablesOf(results));
});
