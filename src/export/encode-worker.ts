// Worker thread of the Parquet export: Arrow IPC (or packed samples by reference) in, a Parquet file written atomically out.
// The pool sends a thread one job at a time, so jobs never overlap in its reused memory.
import { parentPort } from "node:worker_threads";
import { runEncodeJob } from "./encode.js";
import type { EncodeJob, EncodeReply } from "./parquet.js";

parentPort!.on("message", (job: EncodeJob) => {
  runEncodeJob(job).then(
    (result): void => parentPort!.postMessage({ id: job.id, ...result } satisfies EncodeReply),
    (e: unknown): void => parentPort!.postMessage({ id: job.id, error: (e as Error).message } satisfies EncodeReply),
  );
});
