// Worker thread of the Parquet export: Arrow IPC (or packed samples by reference) in, a Parquet file written atomically out.
// The pool sends a thread one job at a time, so jobs never overlap in its reused memory.
import { parentPort } from "node:worker_threads";
import { DatagenError } from "../core/errors.js";
import { outputFsError } from "../core/output.js";
import { runEncodeJob } from "./encode.js";
import type { EncodeJob, EncodeReply } from "./encode-job.js";

parentPort!.on("message", (job: EncodeJob) => {
  runEncodeJob(job).then(
    (result): void => parentPort!.postMessage({ id: job.id, ...result } satisfies EncodeReply),
    (e: unknown): void => parentPort!.postMessage({ id: job.id, ...failure(e) } satisfies EncodeReply),
  );
});

/**
 * What the main thread needs to report the failure as it would its own: a file-system error on a
 * path (the source, the output folder, a full disk) or one of ours is one line with its exit code;
 * anything else is a bug, and its stack travels with it.
 */
function failure(e: unknown): { error: string; exitCode?: number } {
  const system = e as NodeJS.ErrnoException;
  const known =
    e instanceof DatagenError
      ? e
      : typeof system?.code === "string" && typeof system.syscall === "string"
        ? outputFsError(e, system.syscall, system.path ?? "(no path)")
        : undefined;
  if (known) return { error: known.message, exitCode: known.exitCode };
  return { error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
}
