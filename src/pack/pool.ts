// The render worker threads of pack and verify --source: batches of raw lines in, one LineResult
// per line out, in input order (src/core/batch-pool.ts).
import { BatchPool } from "../core/batch-pool.js";
import type { LineBatch } from "../ingest/line-batches.js";
import type { LineResult, RenderSettings } from "./process-record.js";

export type { LineBatch } from "../ingest/line-batches.js";

export class RenderPool extends BatchPool<LineBatch, LineResult[]> {
  constructor(size: number, settings: RenderSettings) {
    super(size, import.meta.url, "render-worker", settings);
  }
}
