// Raw items for worker threads (pack, verify --source, validate). Unlike readSource this does not
// parse: the bytes go to the worker threads, which decode and parse them, so the main thread only
// splits lines (parsing + structured-cloning objects on the main thread would cost a third of a
// core). Compressed and Parquet inputs are decoded here (source.ts) and reach the workers as JSON
// bytes too.
import { displayName, sourceBatches, type ItemError } from "./source.js";

/** Items of one input file: bytes of item k are data[starts[k] .. starts[k+1]). */
export interface LineBatch {
  file: string;
  lines: Int32Array;
  starts: Uint32Array;
  tooLong: Uint8Array;
  data: Uint8Array;
  /** Items the container already found to be none (e.g. empty_input, a broken JSON array). */
  errors: ({ index: number } & ItemError)[];
}

/**
 * Groups raw items into batches of ≤ 256 items or ≤ 1 MiB, copied into one transferable buffer.
 * `onChunk` sees the file's bytes as stored.
 */
export async function* lineBatches(
  path: string,
  maxLineBytes: number | undefined,
  onChunk?: (chunk: Buffer) => void,
): AsyncGenerator<LineBatch> {
  const file = displayName(path);
  let lines: number[] = [];
  let parts: (Buffer | null)[] = [];
  let errors: LineBatch["errors"] = [];
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
    const batch = { file, lines: Int32Array.from(lines), starts, tooLong, data, errors };
    lines = [];
    parts = [];
    errors = [];
    bytes = 0;
    return batch;
  };
  try {
    for await (const items of sourceBatches(path, { maxLineBytes, onChunk })) {
      for (const raw of items) {
        lines.push(raw.line);
        if ("error" in raw) errors.push({ index: parts.length, ...raw.error });
        const part = "bytes" in raw ? raw.bytes : null;
        parts.push(part);
        bytes += part?.length ?? 0;
        if (parts.length >= 256 || bytes >= 1 << 20) yield build();
      }
    }
  } catch (e) {
    // A damaged container: the items read before the damage still go out, as readSource's do.
    if (parts.length > 0) yield build();
    throw e;
  }
  if (parts.length > 0) yield build();
}
