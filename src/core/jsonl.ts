// Streaming JSONL reading with line numbers. A file of any size is read in chunks; a line is
// never buffered past `maxLineBytes` (the rest of an over-long line is skipped, not stored).
import { parseJsonText, type JsonErrorCode } from "./json.js";
import type { ReasonCodeOf } from "./reasons.js";
import { ByteLineSplitter, readChunks, type ByteLine, type ByteLineOptions } from "./lines.js";

export { DEFAULT_MAX_LINE_BYTES } from "./lines.js";

/** Why a line is not a record: the reason codes shared by validate, render, stats and pack. */
export interface LineError {
  /** invalid_utf8, line_too_long, or the parser's (invalid_json, duplicate_key, …): core/reasons.ts. */
  code: ReasonCodeOf<"core/jsonl"> | JsonErrorCode;
  message: string;
}

export type JsonlItem = { line: number; value: unknown; bytes: number } | { line: number; error: LineError };

export type JsonlOptions = ByteLineOptions;

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** A line the splitter cut short; names the flag to raise. */
export function lineTooLong(maxLineBytes?: number): LineError {
  const limit = maxLineBytes === undefined ? "" : ` (${maxLineBytes} bytes)`;
  return { code: "line_too_long", message: `line exceeds --max-line-bytes${limit}; raise it to accept longer records` };
}

/**
 * One line's bytes (no "\n") as UTF-8 JSON, read by the strict parser of core/json.ts (repeated
 * keys, numbers JSON.parse would change, deep nesting). Blank lines never get here: the splitter drops them.
 */
export function parseJsonLine(bytes: Uint8Array): { value: unknown } | { error: LineError } {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    return { error: { code: "invalid_utf8", message: "line is not valid UTF-8" } };
  }
  const parsed = parseJsonText(text, { utf8Decoded: true });
  return "error" in parsed ? { error: { code: parsed.error.code, message: parsed.error.message } } : parsed;
}

/** Yields every non-blank line of `path` as parsed JSON or as a located error; never throws on data. */
export async function* readJsonl(path: string, options: JsonlOptions = {}): AsyncGenerator<JsonlItem> {
  const splitter = new ByteLineSplitter(options.maxLineBytes);
  const toItem = (raw: ByteLine): JsonlItem => {
    if ("tooLong" in raw) return { line: raw.line, error: lineTooLong(splitter.maxLineBytes) };
    const parsed = parseJsonLine(raw.bytes);
    return "error" in parsed ? { line: raw.line, error: parsed.error } : { line: raw.line, value: parsed.value, bytes: raw.bytes.length };
  };
  // The splitter is synchronous, so each record costs one async step, not two.
  for await (const chunk of readChunks(path, options)) {
    for (const raw of splitter.push(chunk)) yield toItem(raw);
  }
  const last = splitter.end();
  if (last) yield toItem(last);
}
