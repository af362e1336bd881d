// Parquet (as Hugging Face Hub datasets store them), read one row group at a time with hyparquet:
// memory is bounded by the largest row group, not the file. Each row becomes one JSON text (the
// record), written here with exact integers (int64 as digits) and JSON-typed columns copied
// verbatim, so the strict parser sees the same text a JSONL line would give and checks it the
// same way. Rows are numbered from 1: a row's "line" is its row number.
// A null field of a row or struct is left out: Parquet stores a field a record did not have as
// null (a table of messages with different keys gives every message every key), so reading nulls
// back as absent gives back the records that were written. Nulls inside lists stay.
import { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, type AsyncBuffer, type FileMetaData } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import { DEFAULT_MAX_LINE_BYTES } from "../../core/lines.js";
import type { ReasonCodeOf } from "../../core/reasons.js";
import { CorruptContainer } from "./decompress.js";
import type { SourceLine } from "./item.js";

/** A JSON-typed column's text, passed through unparsed. */
class RawJson {
  constructor(readonly text: string) {}
}

/** A string column value that is not UTF-8 (hyparquet would otherwise replace the bytes silently). */
class NotUtf8 {}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const decodeText = (bytes: Uint8Array): string | NotUtf8 => {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return new NotUtf8();
  }
};

const parsers = {
  stringFromBytes: (bytes: Uint8Array | undefined) => (bytes ? decodeText(bytes) : bytes),
  jsonFromBytes: (bytes: Uint8Array | undefined) => {
    if (!bytes) return bytes;
    const text = decodeText(bytes);
    return typeof text === "string" ? new RawJson(text) : text;
  },
};

class UnsupportedValue extends Error {
  constructor(
    readonly code: ReasonCodeOf<"core/jsonl" | "ingest/containers">,
    message: string,
  ) {
    super(message);
  }
}

/** The rows of each row group in turn. */
export async function* parquetRowGroups(path: string, maxLineBytes = DEFAULT_MAX_LINE_BYTES): AsyncGenerator<SourceLine[]> {
  let file: AsyncBuffer;
  let metadata: FileMetaData;
  try {
    file = await asyncBufferFromFile(path);
    metadata = await parquetMetadataAsync(file, { parsers });
  } catch (e) {
    throw new CorruptContainer(`not a readable Parquet file (${(e as Error).message})`);
  }
  let rowStart = 0;
  for (const [group, rowGroup] of metadata.row_groups.entries()) {
    const rowEnd = rowStart + Number(rowGroup.num_rows);
    let rows: Record<string, unknown>[];
    try {
      rows = await parquetReadObjects({ file, metadata, rowStart, rowEnd, compressors, parsers, utf8: true });
    } catch (e) {
      throw new CorruptContainer(`Parquet row group ${group} (rows ${rowStart + 1}-${rowEnd}) cannot be decoded (${(e as Error).message})`);
    }
    const start = rowStart;
    yield rows.map((row, k) => rowToJson(row, start + k + 1, maxLineBytes));
    rowStart = rowEnd;
  }
}

function rowToJson(row: Record<string, unknown>, line: number, maxLineBytes: number): SourceLine {
  let text: string;
  try {
    text = toJson(row);
  } catch (e) {
    if (!(e instanceof UnsupportedValue)) throw e;
    return { line, error: { code: e.code, message: e.message } };
  }
  const bytes = Buffer.from(text, "utf8");
  return bytes.length > maxLineBytes ? { line, tooLong: true } : { line, bytes };
}

/** JSON text of one decoded Parquet value (nesting is bounded by the file's schema). */
function toJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "bigint":
      return value.toString();
    case "number":
      if (!Number.isFinite(value)) throw new UnsupportedValue("unsupported_value", `a Parquet value is ${value}, which JSON cannot hold`);
      return JSON.stringify(value);
    case "object":
      return objectToJson(value);
    default:
      throw new UnsupportedValue("unsupported_value", `a Parquet value of type ${typeof value} cannot be read as JSON`);
  }
}

function objectToJson(value: object): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof NotUtf8) throw new UnsupportedValue("invalid_utf8", "a Parquet string holds bytes that are not UTF-8");
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (value instanceof Uint8Array)
    throw new UnsupportedValue("unsupported_value", "a Parquet binary value (not UTF-8 text) cannot be read as JSON");
  if (Array.isArray(value) || ArrayBuffer.isView(value)) {
    const items = Array.from(value as ArrayLike<unknown>, toJson);
    return `[${items.join(",")}]`;
  }
  const fields = Object.entries(value)
    .filter(([, v]) => v !== null && v !== undefined)
    .map(([key, v]) => `${JSON.stringify(key)}:${toJson(v)}`);
  return `{${fields.join(",")}}`;
}
