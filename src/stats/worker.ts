// Worker thread: analyzes batches of parsed records (see pool.ts).
import { parentPort, workerData } from "node:worker_threads";
import { analyzeValue } from "./analyze.js";
import { renderTokenCounter, type RenderOptions } from "./tokens.js";

const settings = workerData as RenderOptions;
const countTokens = renderTokenCounter(settings);

parentPort!.on("message", (batch: { seq: number; values: unknown[] }) => {
  const outcomes = batch.values.map((v) => analyzeValue(v, countTokens, settings));
  parentPort!.postMessage({ seq: batch.seq, outcomes });
});
