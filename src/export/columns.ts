// The row layouts of the packed exports, from one sample (padding already removed).
// docs/FORMAT.md, "Export conventions", states them; tests check them position by position.

import type { ColumnSpec, Row } from "./parquet.js";

/** Labels where the mask is 0: ignored by PyTorch's cross_entropy (ignore_index). */
export const IGNORE_INDEX = -100;

/**
 * Token ids that Megatron-Bridge treats as eos and never trains on as input
 * (`loss_mask[tokens == eos_id] = 0` in its collate): `<|return|>` (the gpt-oss tokenizer's eos)
 * and `<|endoftext|>` (our padding id), whichever a run configures.
 */
export const MEGATRON_EOS_IDS: readonly number[] = [200002, 199999];

export interface HfRow {
  input_ids: Int32Array;
  /** The token id where our mask is 1, −100 elsewhere; unshifted (transformers shifts inside its loss). */
  labels: Int32Array;
  /** 0, 1, … restarting at each document start. */
  position_ids: Int32Array;
  /** Document lengths: TRL's padding-free collator rebuilds position_ids from this column (it drops position_ids). */
  seq_lengths: Int32Array;
}

export function hfRow(tokens: Uint32Array, mask: Uint8Array, bounds: Uint32Array): HfRow {
  const n = tokens.length;
  const input_ids = new Int32Array(n);
  const labels = new Int32Array(n);
  const position_ids = new Int32Array(n);
  const seq_lengths = new Int32Array(bounds.length - 1);
  for (let j = 0; j + 1 < bounds.length; j++) {
    const start = bounds[j];
    seq_lengths[j] = bounds[j + 1] - start;
    for (let i = start; i < bounds[j + 1]; i++) {
      const id = tokens[i];
      input_ids[i] = id;
      labels[i] = mask[i] === 1 ? id : IGNORE_INDEX;
      position_ids[i] = i - start;
    }
  }
  return { input_ids, labels, position_ids, seq_lengths };
}

export interface MegatronRow {
  input_ids: Int32Array;
  /** loss_mask[t] = our mask[t + 1] inside a document (position t is trained on token t + 1); 0 on each document's last token. */
  loss_mask: Int8Array;
  /** The start offset of each document (no end entry: Megatron appends len(input_ids)). */
  seq_start_id: Int32Array;
  /** Trained targets whose input token Megatron takes for eos and would zero (0 for our renderings). */
  eosZeroed: number;
}

export function megatronRow(tokens: Uint32Array, mask: Uint8Array, bounds: Uint32Array): MegatronRow {
  const n = tokens.length;
  const input_ids = new Int32Array(n);
  const loss_mask = new Int8Array(n);
  const seq_start_id = new Int32Array(bounds.length - 1);
  let eosZeroed = 0;
  for (let j = 0; j + 1 < bounds.length; j++) {
    const start = bounds[j];
    const end = bounds[j + 1];
    seq_start_id[j] = start;
    for (let t = start; t < end; t++) {
      input_ids[t] = tokens[t];
      const trained = t + 1 < end ? mask[t + 1] : 0;
      loss_mask[t] = trained;
      if (trained === 1 && MEGATRON_EOS_IDS.includes(tokens[t])) eosZeroed++;
    }
  }
  return { input_ids, loss_mask, seq_start_id, eosZeroed };
}

export type PackedFormat = "hf-parquet" | "megatron-bridge";

export const PACKED_LAYOUTS: Record<PackedFormat, { suffix: string; columns: ColumnSpec[] }> = {
  "hf-parquet": {
    suffix: ".parquet",
    columns: [
      { name: "input_ids", kind: "list<int32>" },
      { name: "labels", kind: "list<int32>" },
      { name: "position_ids", kind: "list<int32>" },
      { name: "seq_lengths", kind: "list<int32>" },
    ],
  },
  // Megatron-Bridge's GPTSFTPackedParquetDataset globs *.idx.parquet in a folder.
  "megatron-bridge": {
    suffix: ".idx.parquet",
    columns: [
      { name: "input_ids", kind: "list<int32>" },
      { name: "loss_mask", kind: "list<int8>" },
      { name: "seq_start_id", kind: "list<int32>" },
    ],
  },
};

/** One packed sample, padding removed (what the encoder threads receive). */
export interface SampleData {
  tokens: Uint32Array;
  mask: Uint8Array;
  bounds: Uint32Array;
}

/** Rows of one format, with the supervised targets they carry (megatron-bridge: after its eos rule). */
export function packedRows(format: PackedFormat, samples: SampleData[]): { rows: Row[]; trained: number; eosZeroed: number } {
  let trained = 0;
  let eosZeroed = 0;
  const rows = samples.map(({ tokens, mask, bounds }): Row => {
    if (format === "hf-parquet") {
      for (let i = 0; i < mask.length; i++) trained += mask[i];
      return { ...hfRow(tokens, mask, bounds) };
    }
    const m = megatronRow(tokens, mask, bounds);
    for (let i = 0; i < m.loss_mask.length; i++) trained += m.loss_mask[i];
    trained -= m.eosZeroed;
    eosZeroed += m.eosZeroed;
    return { input_ids: m.input_ids, loss_mask: m.loss_mask, seq_start_id: m.seq_start_id };
  });
  return { rows, trained, eosZeroed };
}
