// The render worker threads of pack and verify --source: batches of raw lines in, one LineResult
// per line out, in input order (src/core/batch-pool.ts). Size 0 renders in this thread.
import { BatchPool } from "../core/batch-pool.js";
import type { LineBatch } from "../ingest/line-batches.js";
import { renderBatch, type LineResult, type RenderSettings } from "./process-record.js";

export type { LineBatch } from "../ingest/line-batches.js";

export class RenderPool extends BatchPool<LineBatch, LineResult[]> {
  constructor(size: number, settings: RenderSettings) {
    super(size, import.meta.url, "render-worker", settings, (batch) => renderBatch(batch, settings));
  }
}
