// Worker thread of the Parquet export: Arrow IPC (or packed samples) in, a Parquet file written atomically out.
import { parentPort } from "node:worker_threads";
import { runEncodeJob } from "./encode.js";
import type { EncodeJob, EncodeReply } from "./parquet.js";

parentPort!.on("message", (job: EncodeJob) => {
  let reply: EncodeReply;
  try {
    reply = { id: job.id, ...runEncodeJob(job) };
  } catch (e) {
    reply = { id: job.id, error: (e as Error).message };
  }
  parentPort!.postMessage(reply);
});
