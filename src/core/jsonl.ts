// Streaming JSONL reading with line numbers. A file of any size is read in chunks; a line is
// never buffered past `maxLineBytes` (the rest of an over-long line is skipped, not stored).
import { createReadStream } from "node:fs";

export const DEFAULT_MAX_LINE_BYTES = 16 * 1024 * 1024;

export type JsonlItem =
  | { line: number; value: unknown; bytes: number }
  | { line: number; error: { code: "invalid_utf8" | "invalid_json" | "line_too_long"; message: string } };

export interface JsonlOptions {
  maxLineBytes?: number;
  /** Size of each read; smaller is only useful in tests. */
  highWaterMark?: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Yields every non-blank line of `path` as parsed JSON or as a located error; never throws on data. */
export async function* readJsonl(path: string, options: JsonlOptions = {}): AsyncGenerator<JsonlItem> {
  const maxLineBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const stream = createReadStream(path, { highWaterMark: options.highWaterMark ?? 1 << 20 });
  let parts: Buffer[] = [];
  let partBytes = 0;
  let overlong = false;
  let lineNo = 0;

  const finish = (): JsonlItem | undefined => {
    lineNo++;
    const line = lineNo;
    if (overlong) {
      overlong = false;
      return { line, error: { code: "line_too_long", message: `line exceeds --max-line-bytes (${maxLineBytes} bytes)` } };
    }
    const buf = parts.length === 1 ? parts[0] : Buffer.concat(parts, partBytes);
    parts = [];
    partBytes = 0;
    return parseLine(buf, line);
  };

  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (;;) {
      const nl = chunk.indexOf(10, start);
      const end = nl === -1 ? chunk.length : nl;
      if (!overlong) {
        if (partBytes + (end - start) > maxLineBytes) {
          overlong = true;
          parts = [];
          partBytes = 0;
        } else if (end > start) {
          parts.push(chunk.subarray(start, end));
          partBytes += end - start;
        }
      }
      if (nl === -1) break;
      const item = finish();
      if (item) yield item;
      start = nl + 1;
    }
  }
  if (partBytes > 0 || overlong) {
    const item = finish();
    if (item) yield item;
  }
}

function parseLine(buf: Buffer, line: number): JsonlItem | undefined {
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    return { line, error: { code: "invalid_utf8", message: "line is not valid UTF-8" } };
  }
  if (text.trim() === "") return undefined;
  try {
    return { line, value: JSON.parse(text), bytes: buf.length };
  } catch (e) {
    return { line, error: { code: "invalid_json", message: (e as Error).message } };
  }
}
