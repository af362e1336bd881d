// What every container yields per item, before parsing.

/** Why an item is not a record: a stable reason code and a one-line message. */
export interface ItemError {
  code: string;
  message: string;
}

/** An item's JSON bytes, a marker that it was over --max-line-bytes, or why it is no item. */
export type SourceLine = { line: number; bytes: Buffer } | { line: number; tooLong: true } | { line: number; error: ItemError };
