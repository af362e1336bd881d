// Worker thread of the Parquet export: Arrow IPC in, a Parquet file written atomically out.
import { parentPort } from "node:worker_threads";
import { encodeParquet, type EncodeJob, type EncodeReply } from "./parquet.js";
import { writeOutputFile } from "./output.js";

parentPort!.on("message", (job: EncodeJob) => {
  let reply: EncodeReply;
  try {
    const bytes = encodeParquet(job.ipc, job);
    writeOutputFile(job.path, bytes);
    reply = { id: job.id, bytes: bytes.length };
  } catch (e) {
    reply = { id: job.id, error: (e as Error).message };
  }
  parentPort!.postMessage(reply);
});
