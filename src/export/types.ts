// Types the export modules share, apart from their implementations (so no module imports another
// only for a type, and no import circle runs through a type).

export type ColumnKind = "list<int32>" | "list<int8>" | "string";
export interface ColumnSpec {
  name: string;
  kind: ColumnKind;
}

/**
 * One list column of a part: every row's values end to end, and where each row starts
 * (`offsets[k]` … `offsets[k + 1]`), the layout Arrow and Parquet store, built in one pass.
 */
export interface ListColumn {
  name: string;
  values: Int32Array | Int8Array;
  offsets: Int32Array;
}

/** The part's columns, with the supervised targets they carry (megatron-bridge: after its eos rule). */
export interface PackedColumns {
  columns: ListColumn[];
  trained: number;
  /** megatron-bridge: trained targets whose input token Megatron takes for eos and would zero (0 for our renderings). */
  eosZeroed: number;
}

/**
 * One part's samples end to end, padding removed: what an encoder reads from the shards
 * (packed.ts readPart) and builds the columns from.
 */
export interface PartData {
  /** Token ids; below 2^31, so the shards' u32 values read as Int32 are the same numbers. */
  ids: Int32Array;
  mask: Uint8Array;
  /** Where each sample starts in ids and mask: [0, n0, n0 + n1, …]. */
  rows: Int32Array;
  /** Each sample's document bounds [0, s1, …, end], relative to the sample. */
  bounds: Uint32Array[];
}

export interface WrittenPart {
  path: string;
  rows: number;
  bytes: number;
}

export interface ExportSummary {
  format: string;
  source: string;
  out: string;
  files: WrittenPart[];
  rows: number;
  documents: number;
  tokens: number;
  /** Supervised targets in the written rows (for megatron-bridge: after its eos rule). */
  trained?: number;
  rejects: number;
  /** megatron-bridge only: trained targets Megatron would drop because the input token is an eos id. */
  eosZeroed?: number;
  sourceManifestSha256?: string;
  verified: boolean;
  seconds: number;
}
