// The input layer every command reads through (validate, render, stats, pack, verify --source):
// a path (or "-" for stdin) → items located by FILE:LINE, whatever the container. The container
// is told by content (containers/detect.ts), never by name alone:
//   JSONL · a JSON array (one record per element) · gzip or zstd around either · Parquet (one
//   record per row; its "line" is the row number).
// readSourceLines yields each item's raw JSON bytes (pack hands those to its worker threads);
// readSource also parses and adapts them (source-record.ts), on this thread.
import { DataError } from "../core/errors.js";
import { lineTooLong } from "../core/jsonl.js";
import { ByteLineSplitter, type ByteLineOptions } from "../core/lines.js";
import { displayName, openChunks, peekHead, STDIN_ARG } from "./containers/chunks.js";
import { CorruptContainer, gunzip, unzstd } from "./containers/decompress.js";
import { detectContainer, DETECT_BYTES, type Container } from "./containers/detect.js";
import type { ItemError, SourceLine } from "./containers/item.js";
import { JsonArraySplitter } from "./containers/json-array.js";
import type { ShapeName } from "./shapes/index.js";
import { recordFromBytes, type FromShape } from "./source-record.js";

export { displayName, STDIN_ARG, STDIN_NAME } from "./containers/chunks.js";
export type { Container } from "./containers/detect.js";
export { FROM_SHAPES, type FromShape } from "./source-record.js";

export type { ItemError, SourceLine } from "./containers/item.js";

export interface SourceOptions extends ByteLineOptions {
  /** Called once the container is known; `layers` lists it from the outside in, e.g. ["gzip", "json-array"]. */
  onContainer?: (layers: Container[]) => void;
}

/** A record (after the shape adapter: see source-record.ts), or why the item is none. */
export type SourceItem =
  | { file: string; line: number; value: unknown; bytes: number; shape: ShapeName; dropped: string[]; ownId: boolean }
  | { file: string; line: number; error: ItemError; shape?: ShapeName; id?: string };

export interface ReadSourceOptions extends SourceOptions {
  /** --from: the records' shape; auto (default) detects it per record. */
  from?: FromShape;
}

/** Every item of `path` as a parsed, adapted record or a located error; throws only on a broken container. */
export async function* readSource(path: string, options: ReadSourceOptions = {}): AsyncGenerator<SourceItem> {
  const file = displayName(path);
  const from = options.from ?? "auto";
  for await (const batch of sourceBatches(path, options)) {
    for (const raw of batch) {
      if ("error" in raw) yield { file, line: raw.line, error: raw.error };
      else if ("tooLong" in raw) yield { file, line: raw.line, error: lineTooLong(options.maxLineBytes) };
      else {
        const result = recordFromBytes(raw.bytes, { file, line: raw.line, from });
        yield "error" in result ? { file, line: raw.line, ...result } : { file, line: raw.line, bytes: raw.bytes.length, ...result };
      }
    }
  }
}

/**
 * Every item of `path` as raw JSON bytes with its line. `onChunk` sees the input's bytes as stored
 * (compressed, for gzip and zstd), e.g. to hash the file in the same pass. A file with no item at
 * all ends with one `empty_input` error (line 0); a damaged container throws DataError corrupt_input.
 */
export async function* readSourceLines(path: string, options: SourceOptions = {}): AsyncGenerator<SourceLine> {
  for await (const batch of sourceBatches(path, options)) for (const item of batch) yield item;
}

/**
 * readSourceLines in batches: the items each read chunk (or Parquet row group) completes, so a
 * caller pays one async step per chunk, not per item (pack and readSource iterate these). A batch
 * is iterated once, before the next is asked for: its lines are split off the chunk as they are
 * read, not gathered first (a chunk's ~600 line views held through its records' work reached the
 * old generation: +30 MiB peak RSS for validate).
 */
export async function* sourceBatches(path: string, options: SourceOptions = {}): AsyncGenerator<Iterable<SourceLine>> {
  const file = displayName(path);
  let items = 0;
  let lastLine = 0;
  let inner: Container = "jsonl";
  const onContainer = (layers: Container[]): void => {
    inner = layers[layers.length - 1];
    options.onContainer?.(layers);
  };
  function* counted(batch: Iterable<SourceLine>): Generator<SourceLine> {
    for (const item of batch) {
      items++;
      lastLine = item.line;
      yield item;
    }
  }
  try {
    for await (const batch of containerBatches(path, { ...options, onContainer })) yield counted(batch);
  } catch (e) {
    if (!(e instanceof CorruptContainer)) throw e;
    const after = lastLine > 0 ? ` (after line ${lastLine}; the items before it were read)` : "";
    throw new DataError("corrupt_input", `${e.message}${after}`, { file });
  }
  if (items === 0) yield [{ line: 0, error: { code: "empty_input", message: `no records: ${EMPTY[inner]}` } }];
}

const EMPTY: Record<Container, string> = {
  jsonl: "the input is empty or holds only blank lines",
  "json-array": "the JSON array is empty",
  parquet: "the Parquet file has no rows",
  gzip: "",
  zstd: "",
};

async function* containerBatches(path: string, options: SourceOptions): AsyncGenerator<Iterable<SourceLine>> {
  const tap = (chunks: AsyncIterable<Buffer>): AsyncIterable<Buffer> => (options.onChunk ? tapped(chunks, options.onChunk) : chunks);
  let { head, chunks } = await peekHead(openChunks(path, options.highWaterMark), DETECT_BYTES);
  chunks = tap(chunks);
  const layers: Container[] = [];
  for (;;) {
    const detected = detectContainer(head);
    if ("unsupported" in detected) {
      throw new DataError(
        "unsupported_input",
        `the input is ${detected.unsupported}; datagen reads JSONL, a JSON array, gzip or zstd of either, and Parquet: ` +
          `unpack or convert it first`,
        { file: displayName(path) },
      );
    }
    layers.push(detected.container);
    if (detected.container !== "gzip" && detected.container !== "zstd") break;
    ({ head, chunks } = await peekHead(detected.container === "gzip" ? gunzip(chunks) : unzstd(chunks), DETECT_BYTES));
  }
  options.onContainer?.(layers);
  const inner = layers[layers.length - 1];
  if (inner === "parquet") {
    if (layers.length > 1 || path === STDIN_ARG) {
      throw new DataError("unsupported_input", "Parquet needs random access: give it as a file of its own, not compressed or on stdin", {
        file: displayName(path),
      });
    }
    // The bytes as stored go to onChunk (e.g. pack's checksum): one sequential read; else the file is just closed.
    for await (const _ of chunks) if (!options.onChunk) break;
    // Loaded only for Parquet input (hyparquet and its codecs are not small).
    const { parquetRowGroups } = await import("./containers/parquet.js");
    yield* parquetRowGroups(path, options.maxLineBytes);
    return;
  }
  const splitter = inner === "json-array" ? new JsonArraySplitter(options.maxLineBytes) : new ByteLineSplitter(options.maxLineBytes);
  for await (const chunk of chunks) yield splitter.push(chunk);
  const last = splitter.end();
  if (last) yield [last];
}

async function* tapped(chunks: AsyncIterable<Buffer>, onChunk: (chunk: Buffer) => void): AsyncGenerator<Buffer> {
  for await (const chunk of chunks) {
    onChunk(chunk);
    yield chunk;
  }
}
