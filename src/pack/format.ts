// The packed dataset format "datagen.packed" version 1 (docs/FORMAT.md is the contract with
// `dataset verify`, `dataset stats report` and the trainer). Everything little-endian.
import { endianness } from "node:os";
import { DataError, DatagenError } from "../core/errors.js";
import { DOCUMENT_MODE_NAMES, type DocumentMode } from "../render/names.js";

export const FORMAT_NAME = "datagen.packed";
export const FORMAT_VERSION = 1;
export const TOKENIZER_NAME = "o200k_harmony";
export const MANIFEST_FILE = "manifest.json";
export const DOCUMENTS_FILE = "documents.jsonl";
export const REJECTS_FILE = "rejects.jsonl";
/** Files are written under this suffix and renamed once the whole dataset is complete. */
export const PARTIAL_SUFFIX = ".partial";

export const SHARD_KINDS = ["tokens", "mask", "bounds", "bounds_index"] as const;
export type ShardKind = (typeof SHARD_KINDS)[number];
const SHARD_EXTENSIONS: Record<ShardKind, string> = {
  tokens: "tokens.u32",
  mask: "mask.u8",
  bounds: "bounds.u32",
  bounds_index: "bounds_index.u64",
};

export function shardFileName(shard: number, kind: ShardKind): string {
  return `shard-${String(shard).padStart(5, "0")}.${SHARD_EXTENSIONS[kind]}`;
}

/** Names this tool may write into an output directory (final or partial); anything else is foreign. */
export function isDatasetFileName(name: string): boolean {
  const base = name.endsWith(PARTIAL_SUFFIX) ? name.slice(0, -PARTIAL_SUFFIX.length) : name;
  return (
    /^shard-\d{5,}\.(tokens\.u32|mask\.u8|bounds\.u32|bounds_index\.u64)$/.test(base) ||
    [MANIFEST_FILE, DOCUMENTS_FILE, REJECTS_FILE].includes(base) ||
    /^staging\.[a-z]+$/.test(base)
  );
}

/** Checksums of one written file. `locator`: see locator.ts (finds a single flipped byte). */
export interface FileEntry {
  path: string;
  bytes: number;
  sha256: string;
  locator: string;
}

export interface ShardEntry {
  samples: number;
  files: Record<ShardKind, FileEntry>;
}

export interface InputEntry {
  /** As given to pack (the key documents.jsonl's `input` uses); `<stdin>` for standard input. */
  path: string;
  /** The file relative to the dataset directory, `/`-separated (absent for stdin and in older manifests). */
  location?: string;
  bytes: number;
  sha256: string;
  records: number;
}

export type OverlongPolicy = "drop" | "truncate" | "error";
export const OVERLONG_POLICIES: readonly OverlongPolicy[] = ["drop", "truncate", "error"];

import type { ShapeName } from "../ingest/shapes/index.js";

export interface Manifest {
  format: typeof FORMAT_NAME;
  version: typeof FORMAT_VERSION;
  tokenizer: typeof TOKENIZER_NAME;
  vocab_size: number;
  seq_len: number;
  dialect: string;
  mask: string;
  pad_id: number;
  samples: number;
  documents: number;
  tokens: { real: number; trained: number; padding: number };
  fill_rate: number;
  overlong: { policy: OverlongPolicy; count: number };
  rejects: number;
  shuffle_seed: number | null;
  pack_window: number;
  inputs: InputEntry[];
  shards: ShardEntry[];
  documents_file: FileEntry;
  rejects_file: FileEntry;
  locator: { algorithm: "weighted-sum-mod-p"; block_bytes: number; modulus: number };
  /** Present (true) when packed with --allow-trailing-call: verify --source re-validates the same way. */
  allow_trailing_call?: true;
  /** Present when packed with a forced --from (not auto): verify --source reads the inputs as that shape. */
  from?: ShapeName;
  /** --documents (docs/RENDERING.md, "Documents"); absent in older manifests, which are `conversation`. */
  documents_mode?: DocumentMode;
  /** What the documents mode cost; absent in older manifests. */
  documents_stats?: DocumentsStats;
}

/** Counts of --documents: accepted records, packed documents, analysis tokens no document trains, prefix tokens rendered again. */
export interface DocumentsStats {
  records: number;
  documents: number;
  analysis_tokens_dropped: number;
  repeated_prefix_tokens: number;
}

/** The documents mode a manifest was packed with (older manifests: the whole-record rendering); an unknown one is refused. */
export function manifestDocumentsMode(m: Pick<Manifest, "documents_mode">): DocumentMode {
  const mode: unknown = m.documents_mode ?? "conversation";
  if (typeof mode === "string" && (DOCUMENT_MODE_NAMES as readonly string[]).includes(mode)) return mode as DocumentMode;
  throw new DataError("invalid_manifest", `documents_mode ${JSON.stringify(mode)} is not one of ${DOCUMENT_MODE_NAMES.join(", ")}`, {
    file: MANIFEST_FILE,
  });
}

/** One line of documents.jsonl. `shard`/`sample`: the sample's shard and index within it. */
export interface DocumentEntry {
  id: string;
  input: string;
  line: number;
  shard: number;
  sample: number;
  offset: number;
  length: number;
  trained: number;
}

/** Keys in a fixed order so documents.jsonl is byte-stable. */
export function documentLine(d: DocumentEntry): string {
  return (
    JSON.stringify({
      id: d.id,
      input: d.input,
      line: d.line,
      shard: d.shard,
      sample: d.sample,
      offset: d.offset,
      length: d.length,
      trained: d.trained,
    }) + "\n"
  );
}

/** Typed arrays are written as raw memory; the format is little-endian. */
export function assertLittleEndian(): void {
  if (endianness() !== "LE") throw new DatagenError("the packed format is little-endian; this machine is big-endian");
}

export function bytesOf(view: ArrayBufferView): Buffer {
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}
