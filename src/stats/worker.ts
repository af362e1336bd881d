// Worker thread: analyzes batches of parsed records (see pool.ts).
import { parentPort, workerData } from "node:worker_threads";
import { markJsonNumbers } from "../core/json.js";
import { analyzeValue } from "./analyze.js";
import { renderTokenCounter, type RenderOptions } from "./tokens.js";

const settings = workerData as RenderOptions;
const countTokens = renderTokenCounter(settings);

parentPort!.on("message", (batch: { seq: number; values: unknown[] }) => {
  // Cloning to this thread kept the numbers written as-is (core/json.ts JsonNumber) but not the
  // marks that say where they are; validation needs those to see plain numbers.
  const outcomes = batch.values.map((v) => (markJsonNumbers(v), analyzeValue(v, countTokens, settings)));
  parentPort!.postMessage({ seq: batch.seq, outcomes });
});
