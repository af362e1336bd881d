// Streaming JSONL reading with line numbers. A file of any size is read in chunks; a line is
// never buffered past `maxLineBytes` (the rest of an over-long line is skipped, not stored).
import { ByteLineSplitter, readChunks, type ByteLine, type ByteLineOptions } from "./lines.js";

export { DEFAULT_MAX_LINE_BYTES } from "./lines.js";

export type JsonlItem =
  | { line: number; value: unknown; bytes: number }
  | { line: number; error: { code: "invalid_utf8" | "invalid_json" | "line_too_long"; message: string } };

export type JsonlOptions = ByteLineOptions;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** Yields every non-blank line of `path` as parsed JSON or as a located error; never throws on data. */
export async function* readJsonl(path: string, options: JsonlOptions = {}): AsyncGenerator<JsonlItem> {
  const splitter = new ByteLineSplitter(options.maxLineBytes);
  const toItem = (raw: ByteLine): JsonlItem | undefined =>
    "tooLong" in raw
      ? { line: raw.line, error: { code: "line_too_long", message: `line exceeds --max-line-bytes (${splitter.maxLineBytes} bytes)` } }
      : parseLine(raw.bytes, raw.line);
  // The splitter is synchronous, so each record costs one async step, not two.
  for await (const chunk of readChunks(path, options)) {
    for (const raw of splitter.push(chunk)) {
      const item = toItem(raw);
      if (item) yield item;
    }
  }
  const last = splitter.end();
  const item = last && toItem(last);
  if (item) yield item;
}

function parseLine(buf: Buffer, line: number): JsonlItem | undefined {
  let text: string;
  try {
    text = utf8.decode(buf);
  } catch {
    return { line, error: { code: "invalid_utf8", message: "line is not valid UTF-8" } };
  }
  if (text.trim() === "") return undefined; // Unicode whitespace only (ASCII-blank lines never get here)
  try {
    return { line, value: JSON.parse(text), bytes: buf.length };
  } catch (e) {
    return { line, error: { code: "invalid_json", message: (e as Error).message } };
  }
}
