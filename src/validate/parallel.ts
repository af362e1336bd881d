// `datagen validate` on worker threads: the main thread splits the input into batches of raw
// items (ingest/line-batches.ts), workers parse, adapt and validate them (validate-worker.ts), and
// the verdicts come back in input order; the duplicate-id rule, the one that spans records, runs
// here, in order, so the events are those of validateFiles (without the records).
import { BatchPool } from "../core/batch-pool.js";
import { lineBatches, type LineBatch } from "../ingest/line-batches.js";
import type { FromShape } from "../ingest/source.js";
import { FirstSeenIds } from "../core/first-seen-ids.js";
import { duplicateId, type ValidationIssue } from "./index.js";

export interface ValidateWorkerSettings {
  from: FromShape;
  allowTrailingCall: boolean;
  maxLineBytes?: number;
}

/** One item's verdict from a worker, before the duplicate-id rule. */
export type LineVerdict = { ok: true; id: string } | { ok: false; id?: string; issues: ValidationIssue[] };

/** validateFiles' event, with the record's id instead of the record. */
export type VerdictEvent =
  | { file: string; line: number; ok: true; id: string }
  | { file: string; line: number; ok: false; id?: string; issues: ValidationIssue[] };

export interface ParallelValidateOptions extends Partial<ValidateWorkerSettings> {
  /** Worker threads (at least 1). */
  workers: number;
}

export async function* validateFilesInWorkers(paths: readonly string[], o: ParallelValidateOptions): AsyncGenerator<VerdictEvent> {
  const settings: ValidateWorkerSettings = {
    from: o.from ?? "auto",
    allowTrailingCall: o.allowTrailingCall === true,
    maxLineBytes: o.maxLineBytes,
  };
  const pool = new BatchPool<LineBatch, LineVerdict[]>(o.workers, import.meta.url, "validate-worker", settings);
  const seen = new FirstSeenIds();
  // Batches in flight, oldest first: bounded, so memory stays that of a few batches.
  const pending: Promise<Verdicts>[] = [];
  try {
    for (const path of paths) {
      let failure: unknown;
      try {
        for await (const batch of lineBatches(path, o.maxLineBytes)) {
          const { file, lines } = batch; // batch.data moves to the worker
          const verdicts = pool.run(batch).then((v) => ({ file, lines, verdicts: v }));
          verdicts.catch(() => undefined); // awaited below, in order; this only keeps a failure from counting as unhandled meanwhile
          pending.push(verdicts);
          if (pending.length >= 2 * o.workers) yield* events(await pending.shift()!, seen);
        }
      } catch (e) {
        failure = e; // a broken container: what came before it is still reported, as validateFiles does
      }
      while (pending.length > 0) yield* events(await pending.shift()!, seen);
      if (failure !== undefined) throw failure;
    }
  } finally {
    await pool.close();
  }
}

interface Verdicts {
  file: string;
  lines: Int32Array;
  verdicts: LineVerdict[];
}

function* events({ file, lines, verdicts }: Verdicts, seen: FirstSeenIds): Generator<VerdictEvent> {
  for (let k = 0; k < verdicts.length; k++) {
    const verdict = verdicts[k];
    const line = lines[k];
    const duplicate = verdict.id === undefined ? undefined : duplicateId(seen, verdict.id, { file, line });
    if (duplicate === undefined)
      yield verdict.ok ? { file, line, ok: true, id: verdict.id } : { file, line, ok: false, id: verdict.id, issues: verdict.issues };
    else yield { file, line, ok: false, id: verdict.id, issues: verdict.ok ? [duplicate] : [...verdict.issues, duplicate] };
  }
}
