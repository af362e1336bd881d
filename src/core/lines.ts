// Splitting a byte stream into lines with 1-based line numbers, shared by core/jsonl.ts (which
// decodes and parses each line) and ingest/line-batches.ts (which hands the raw bytes to worker threads).
// A line is never buffered past `maxLineBytes`: the rest of an over-long line is skipped, not stored.
import { createReadStream } from "node:fs";

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

/** One line without its "\n" (a view of the read chunk when it lies in one), or a marker that it was too long. */
export type ByteLine = { line: number; bytes: Buffer } | { line: number; tooLong: true };

/**
 * Byte slices gathered into one value of at most `max` bytes. Past the cap the slices gathered so far
 * are dropped and the rest is skipped, so an over-long value never grows the heap; take() then reports it.
 */
export class CappedBytes {
  private parts: Buffer[] = [];
  private size = 0;
  private over = false;

  constructor(readonly max: number) {}

  /** Adds chunk[from, to): a view, valid as long as the chunk is (streams hand out a fresh one each time). */
  add(chunk: Buffer, from: number, to: number): void {
    if (this.over || to <= from) return;
    if (this.size + to - from > this.max) {
      this.over = true;
      this.clear();
      return;
    }
    this.parts.push(chunk.subarray(from, to));
    this.size += to - from;
  }

  get empty(): boolean {
    return this.size === 0 && !this.over;
  }

  /** The gathered bytes (or "too long"), and a fresh start. */
  take(): Buffer | "tooLong" {
    if (this.over) {
      this.over = false;
      return "tooLong";
    }
    const bytes = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.size);
    this.clear();
    return bytes;
  }

  clear(): void {
    this.parts = [];
    this.size = 0;
  }
}

/** Feed chunks in order with push(), then call end(); blank lines (ASCII whitespace only) are counted, not returned. */
export class ByteLineSplitter {
  private readonly pending: CappedBytes;
  private lineNo = 0;

  constructor(readonly maxLineBytes = DEFAULT_MAX_LINE_BYTES) {
    this.pending = new CappedBytes(maxLineBytes);
  }

  /** The lines that `chunk` completes. Streams hand out a fresh chunk each time, so views into it stay valid. */
  *push(chunk: Buffer): Generator<ByteLine> {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      this.pending.add(chunk, start, nl === -1 ? chunk.length : nl);
      if (nl === -1) return;
      const line = this.take();
      if (line) yield line;
      start = nl + 1;
    }
  }

  /** The last line when the input does not end with "\n". */
  end(): ByteLine | undefined {
    return this.pending.empty ? undefined : this.take();
  }

  private take(): ByteLine | undefined {
    const line = ++this.lineNo;
    const bytes = this.pending.take();
    if (bytes === "tooLong") return { line, tooLong: true };
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
