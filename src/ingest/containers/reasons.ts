// Reason codes of the input layer (stable: scripts match on them). Per item, like invalid_json:
// empty_input and unsupported_value. For the whole input (exit 1, naming the file): corrupt_input
// and unsupported_input.
export const CONTAINER_REASONS = {
  empty_input: {
    summary:
      "the input holds no record at all (empty file, only blank lines, an empty JSON array, a Parquet file without rows); reported at line 0",
  },
  unsupported_value: { summary: "a Parquet value JSON cannot hold (NaN, Infinity, binary bytes); fix or drop the row" },
  corrupt_input: { summary: "gzip, zstd or Parquet data is damaged or truncated; the items before it were read, the rest cannot be" },
  unsupported_input: {
    summary: "a container datagen does not read (zip, bzip2, xz, 7z, LZ4, Arrow IPC; Parquet on stdin or compressed); unpack or convert it",
  },
} as const;

export type ContainerReason = keyof typeof CONTAINER_REASONS;

/** The table as aligned text lines (for --help). */
export function containerReasonTable(indent = "  "): string {
  const codes = Object.keys(CONTAINER_REASONS) as ContainerReason[];
  const width = Math.max(...codes.map((c) => c.length));
  return codes.map((code) => `${indent}${code.padEnd(width)}  ${CONTAINER_REASONS[code].summary}`).join("\n");
}
