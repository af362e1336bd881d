// Which container an input is, from its first bytes (never from its name: a renamed or
// already-decompressed file is read by what it holds).
export type Container = "jsonl" | "json-array" | "gzip" | "zstd" | "parquet";

/** Bytes needed to decide (magic numbers, a BOM, and leading whitespace before "["). */
export const DETECT_BYTES = 4096;

const MAGIC: { container: Container; bytes: number[] }[] = [
  { container: "gzip", bytes: [0x1f, 0x8b] },
  { container: "zstd", bytes: [0x28, 0xb5, 0x2f, 0xfd] },
  { container: "parquet", bytes: [0x50, 0x41, 0x52, 0x31] }, // "PAR1"
];

// Formats people may hand us by mistake: named, so the error can say what to do.
const UNSUPPORTED: { name: string; bytes: number[] }[] = [
  { name: "a zip archive", bytes: [0x50, 0x4b, 0x03, 0x04] },
  { name: "bzip2 data", bytes: [0x42, 0x5a, 0x68] },
  { name: "xz data", bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00] },
  { name: "a 7z archive", bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c] },
  { name: "LZ4 data", bytes: [0x04, 0x22, 0x4d, 0x18] },
  { name: "an Arrow IPC file", bytes: [0x41, 0x52, 0x52, 0x4f, 0x57, 0x31] }, // "ARROW1"
];

export type Detected = { container: Container } | { unsupported: string };

export function detectContainer(head: Uint8Array): Detected {
  for (const m of MAGIC) if (startsWith(head, m.bytes)) return { container: m.container };
  // zstd skippable frames (0x184D2A50..5F, little-endian) may precede the first data frame.
  if (head.length >= 4 && (head[0] & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18)
    return { container: "zstd" };
  for (const u of UNSUPPORTED) if (startsWith(head, u.bytes)) return { unsupported: u.name };
  return { container: firstJsonChar(head) === 0x5b ? "json-array" : "jsonl" };
}

function startsWith(head: Uint8Array, bytes: number[]): boolean {
  return head.length >= bytes.length && bytes.every((b, k) => head[k] === b);
}

/** The first byte after a UTF-8 BOM and JSON whitespace, or -1. */
function firstJsonChar(head: Uint8Array): number {
  let k = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (k < head.length && (head[k] === 0x20 || head[k] === 0x09 || head[k] === 0x0a || head[k] === 0x0d)) k++;
  return k < head.length ? head[k] : -1;
}
