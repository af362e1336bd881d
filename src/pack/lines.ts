// Raw JSONL lines for the pack pipeline. Unlike core/jsonl.ts this does not parse: the bytes go
// to the worker threads, which decode and parse them, so the main thread only splits lines
// (parsing + structured-cloning objects on the main thread would cost a third of a core).
import { readByteLines } from "../core/lines.js";
import type { LineBatch } from "./pool.js";

/** Groups raw lines into batches of ≤ 256 lines or ≤ 1 MiB, copied into one transferable buffer. */
export async function* lineBatches(file: string, maxLineBytes: number | undefined, onChunk?: (chunk: Buffer) => void): AsyncGenerator<LineBatch> {
  let lines: number[] = [];
  let parts: (Buffer | null)[] = [];
  let bytes = 0;
  const build = (): LineBatch => {
    const data = new Uint8Array(bytes); // not a pooled Buffer: it is transferred to a worker
    const starts = new Uint32Array(parts.length + 1);
    const tooLong = new Uint8Array(parts.length);
    let at = 0;
    parts.forEach((p, k) => {
      starts[k] = at;
      if (p === null) tooLong[k] = 1;
      else {
        data.set(p, at);
        at += p.length;
      }
    });
    starts[parts.length] = at;
    const batch = { file, lines: Int32Array.from(lines), starts, tooLong, data };
    lines = [];
    parts = [];
    bytes = 0;
    return batch;
  };
  for await (const raw of readByteLines(file, { maxLineBytes, onChunk })) {
    lines.push(raw.line);
    const part = "bytes" in raw ? raw.bytes : null;
    parts.push(part);
    bytes += part?.length ?? 0;
    if (parts.length >= 256 || bytes >= 1 << 20) yield build();
  }
  if (parts.length > 0) yield build();
}

