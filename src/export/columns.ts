// The column builders of the packed exports, one row per sample (padding already removed); the
// formats that use them are entries of formats.ts.
// docs/FORMAT.md, "Export conventions", states them; tests check them position by position.

import type { PackedColumns, PartData } from "./types.js";

/** Labels where the mask is 0: ignored by PyTorch's cross_entropy (ignore_index). */
export const IGNORE_INDEX = -100;

/**
 * Token ids that Megatron-Bridge treats as eos and never trains on as input
 * (`loss_mask[tokens == eos_id] = 0` in its collate): `<|return|>` (the gpt-oss tokenizer's eos)
 * and `<|endoftext|>` (our padding id), whichever a run configures.
 */
export const MEGATRON_EOS_IDS: readonly number[] = [200002, 199999];

/**
 * hf-parquet: `input_ids`; `labels`, the token id where our mask is 1 and −100 elsewhere,
 * unshifted (transformers shifts inside its loss); `position_ids`, 0, 1, … restarting at each
 * document start; `seq_lengths`, the document lengths (TRL's padding-free collator rebuilds
 * position_ids from them, as it drops position_ids).
 */
export function hfColumns({ ids, mask, rows, bounds }: PartData, scratch: ColumnScratch): PackedColumns {
  const docs = documentOffsets(bounds);
  const labels = scratch.int32("labels", ids.length);
  const position_ids = scratch.int32("positions", ids.length);
  const seq_lengths = scratch.int32("documents", docs[bounds.length]);
  const trained = writeLabels(ids, mask, labels);
  const ramp = scratch.ramp(maxLength(rows));
  bounds.forEach((b, k) =>
    writePositions(b, position_ids.subarray(rows[k], rows[k + 1]), seq_lengths.subarray(docs[k], docs[k + 1]), ramp),
  );
  return {
    columns: [
      { name: "input_ids", values: ids, offsets: rows },
      { name: "labels", values: labels, offsets: rows },
      { name: "position_ids", values: position_ids, offsets: rows },
      { name: "seq_lengths", values: seq_lengths, offsets: docs },
    ],
    trained,
    eosZeroed: 0,
  };
}

/**
 * labels[i] = ids[i] where mask[i] is 1, else IGNORE_INDEX; returns the supervised count. Masks
 * come in runs (whole assistant messages): each run is one native search and one fill or copy.
 * A mask byte other than 0 or 1 (a damaged dataset exported with --no-verify) counts as 0.
 */
function writeLabels(ids: Int32Array, mask: Uint8Array, labels: Int32Array): number {
  labels.fill(IGNORE_INDEX);
  let trained = 0;
  for (let start = mask.indexOf(1); start !== -1; ) {
    let end = start + 1;
    while (end < mask.length && mask[end] === 1) end++;
    labels.set(ids.subarray(start, end), start);
    trained += end - start;
    start = mask.indexOf(1, end);
  }
  return trained;
}

/** Positions 0, 1, … restarting at each document start (copied from `ramp`), and the document lengths. */
function writePositions(bounds: Uint32Array, positions: Int32Array, lengths: Int32Array, ramp: Int32Array): void {
  for (let j = 0; j + 1 < bounds.length; j++) {
    lengths[j] = bounds[j + 1] - bounds[j];
    positions.set(ramp.subarray(0, lengths[j]), bounds[j]);
  }
}

/**
 * megatron-bridge: `input_ids`; `loss_mask[t]` = our mask[t + 1] inside a document (position t
 * is trained on token t + 1), 0 on each document's last token; `seq_start_id`, each document's
 * start (no end entry: Megatron appends len(input_ids)).
 */
export function megatronColumns({ ids, mask, rows, bounds }: PartData, scratch: ColumnScratch): PackedColumns {
  const docs = documentOffsets(bounds);
  const loss_mask = scratch.int8("loss_mask", ids.length);
  const seq_start_id = scratch.int32("documents", docs[bounds.length]);
  let trained = 0;
  let eosZeroed = 0;
  bounds.forEach((b, k) => {
    const at = rows[k];
    for (let j = 0; j + 1 < b.length; j++) {
      const start = at + b[j];
      const end = at + b[j + 1];
      seq_start_id[docs[k] + j] = b[j];
      loss_mask.set(mask.subarray(start + 1, end), start);
      loss_mask[end - 1] = 0;
      for (let t = start; t + 1 < end; t++) {
        if (mask[t + 1] !== 1) continue;
        trained++;
        if (MEGATRON_EOS_IDS.includes(ids[t])) eosZeroed++;
      }
    }
  });
  return {
    columns: [
      { name: "input_ids", values: ids, offsets: rows },
      { name: "loss_mask", values: loss_mask, offsets: rows },
      { name: "seq_start_id", values: seq_start_id, offsets: docs },
    ],
    trained: trained - eosZeroed,
    eosZeroed,
  };
}

/** The longest row. */
function maxLength(rows: Int32Array): number {
  let longest = 0;
  for (let k = 0; k + 1 < rows.length; k++) longest = Math.max(longest, rows[k + 1] - rows[k]);
  return longest;
}

/** [0, d0, d0 + d1, …]: where each sample's documents start in a per-document column. */
function documentOffsets(bounds: Uint32Array[]): Int32Array {
  const offsets = new Int32Array(bounds.length + 1);
  bounds.forEach((b, k) => (offsets[k + 1] = offsets[k] + b.length - 1));
  return offsets;
}

/**
 * Memory reused from part to part by one encoder (grow-only, one buffer per named slot): fresh
 * 100 MB arrays per part cost more in page faults and garbage collection than filling them.
 * Callers write every element they are handed.
 */
export class ColumnScratch {
  private readonly buffers = new Map<string, ArrayBuffer>();

  int32(slot: string, length: number): Int32Array {
    return new Int32Array(this.buffer(slot, length * 4), 0, length);
  }

  uint8(slot: string, length: number): Uint8Array {
    return new Uint8Array(this.buffer(slot, length), 0, length);
  }

  int8(slot: string, length: number): Int8Array {
    return new Int8Array(this.buffer(slot, length), 0, length);
  }

  /** 0, 1, …, length - 1 (kept: positions are copied from it). */
  ramp(length: number): Int32Array {
    const known = this.buffers.get("ramp")?.byteLength ?? 0;
    const ramp = this.int32("ramp", length);
    if (known < length * 4) for (let i = 0; i < length; i++) ramp[i] = i;
    return ramp;
  }

  private buffer(slot: string, bytes: number): ArrayBuffer {
    let buffer = this.buffers.get(slot);
    if (buffer === undefined || buffer.byteLength < bytes) this.buffers.set(slot, (buffer = new ArrayBuffer(bytes)));
    return buffer;
  }
}
