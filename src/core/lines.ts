// Splitting a byte stream into lines with 1-based line numbers, shared by core/jsonl.ts (which
// decodes and parses each line) and ingest/line-batches.ts (which hands the raw bytes to worker threads).
// A line is never buffered past `maxLineBytes`: the rest of an over-long line is skipped, not stored.
import { createReadStream } from "node:fs";

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

/** One line without its "\n" (a view of the read chunk when it lies in one), or a marker that it was too long. */
export type ByteLine = { line: number; bytes: Buffer } | { line: number; tooLong: true };

/** Feed chunks in order with push(), then call end(); blank lines (ASCII whitespace only) are counted, not returned. */
export class ByteLineSplitter {
  private parts: Buffer[] = [];
  private partBytes = 0;
  private tooLong = false;
  private lineNo = 0;

  constructor(readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {}

  /** The lines that `chunk` completes. Streams hand out a fresh chunk each time, so views into it stay valid. */
  *push(chunk: Buffer): Generator<ByteLine> {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!this.tooLong) {
        if (this.partBytes + end - start > this.maxLineBytes) {
          this.tooLong = true;
          this.parts = [];
          this.partBytes = 0;
        } else if (end > start) {
          this.parts.push(chunk.subarray(start, end));
          this.partBytes += end - start;
        }
      }
      if (nl === -1) return;
      const line = this.take();
      if (line) yield line;
      start = nl + 1;
    }
  }

  /** The last line when the input does not end with "\n". */
  end(): ByteLine | undefined {
    return this.partBytes > 0 || this.tooLong ? this.take() : undefined;
  }

  private take(): ByteLine | undefined {
    const line = ++this.lineNo;
    if (this.tooLong) {
      this.tooLong = false;
      return { line, tooLong: true };
    }
    const bytes = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.partBytes);
    this.parts = [];
    this.partBytes = 0;
    return isBlank(bytes) ? undefined : { line, bytes };
  }
}

export interface ByteLineOptions {
  maxLineBytes?: number;
  /** Size of each read; smaller is only useful in tests. */
  highWaterMark?: number;
  /** Sees every chunk as read (e.g. to hash the file in the same pass). */
  onChunk?: (chunk: Buffer) => void;
}

/** A chunked read stream of `path` (1 MiB reads by default). */
export function readChunks(path: string, options: ByteLineOptions = {}): AsyncIterable<Buffer> {
  return createReadStream(path, { highWaterMark: options.highWaterMark ?? 1 << 20 });
}

/** Yields every non-blank line of `path` as raw bytes; an over-long line is never buffered. */
export async function* readByteLines(path: string, options: ByteLineOptions = {}): AsyncGenerator<ByteLine> {
  const splitter = new ByteLineSplitter(options.maxLineBytes);
  for await (const chunk of readChunks(path, options)) {
    options.onChunk?.(chunk);
    yield* splitter.push(chunk);
  }
  const last = splitter.end();
  if (last) yield last;
}

function isBlank(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (b !== 32 && b !== 9 && b !== 13) return false;
  }
  return true;
}
