// Raw JSONL lines for the pack pipeline. Unlike core/jsonl.ts this does not parse: the bytes go
// to the worker threads, which decode and parse them, so the main thread only splits lines
// (parsing + structured-cloning objects on the main thread would cost a third of a core).
import { createReadStream } from "node:fs";
import { DEFAULT_MAX_LINE_BYTES } from "../core/jsonl.js";
import type { LineBatch } from "./pool.js";

export type RawLine = { line: number; bytes: Buffer } | { line: number; tooLong: true };

/** Yields every non-empty line of `path` (1-based line numbers); an over-long line is never buffered. */
export async function* readRawLines(path: string, maxLineBytes = DEFAULT_MAX_LINE_BYTES): AsyncGenerator<RawLine> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  let tooLong = false;
  let lineNo = 0;
  const take = (): RawLine | undefined => {
    lineNo++;
    if (tooLong) {
      tooLong = false;
      return { line: lineNo, tooLong: true };
    }
    // A single part is a view of its chunk; streams hand out a fresh chunk each time, so it stays valid.
    const bytes = parts.length === 1 ? parts[0] : Buffer.concat(parts, partBytes);
    parts = [];
    partBytes = 0;
    return isBlank(bytes) ? undefined : { line: lineNo, bytes };
  };
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!tooLong) {
        if (partBytes + end - start > maxLineBytes) {
          tooLong = true;
          parts = [];
          partBytes = 0;
        } else if (end > start) {
          parts.push(chunk.subarray(start, end));
          partBytes += end - start;
        }
      }
      if (nl === -1) break;
      const item = take();
      if (item) yield item;
      start = nl + 1;
    }
  }
  if (partBytes > 0 || tooLong) {
    const item = take();
    if (item) yield item;
  }
}

function isBlank(bytes: Buffer): boolean {
  for (const b of bytes) if (b !== 32 && b !== 9 && b !== 13) return false;
  return true;
}

/** Groups raw lines into batches of ≤ 256 lines or ≤ 1 MiB, copied into one transferable buffer. */
export async function* lineBatches(file: string, maxLineBytes: number | undefined): AsyncGenerator<LineBatch> {
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
  for await (const raw of readRawLines(file, maxLineBytes)) {
    lines.push(raw.line);
    const part = "bytes" in raw ? raw.bytes : null;
    parts.push(part);
    bytes += part?.length ?? 0;
    if (parts.length >= 256 || bytes >= 1 << 20) yield build();
  }
  if (parts.length > 0) yield build();
}

