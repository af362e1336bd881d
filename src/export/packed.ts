// Reading a packed dataset for export: samples in manifest order, padding cut off.
// Cheap structural checks run even with --no-verify, so a damaged dataset stops with a clear
// error instead of exporting zeros (ShardReader leaves unread bytes of a short file at zero).
import { existsSync, readFileSync, statSync } from "node:fs";
import { DataError } from "../core/errors.js";
import { SHARD_KINDS, type Manifest, type ShardEntry } from "../pack/format.js";
import { datasetFile, TOKENIZER_VOCAB } from "../pack/manifest.js";
import { ShardReader } from "../pack/reader.js";
import type { ColumnScratch } from "./columns.js";
import type { PartData } from "./types.js";

/**
 * One sample by reference: the main thread reads only the bounds (and checks them); an encoder
 * thread reads the tokens and mask straight into its column memory (readPart).
 */
export interface SampleRef {
  shard: number;
  /** Index of the sample in its shard. */
  sample: number;
  /** [0, s1, …, end]: document starts, then the end of the last document (padding starts there). */
  bounds: Uint32Array;
}

/** What an encoder needs to read samples by reference. */
export interface PackedSource {
  dir: string;
  seqLen: number;
  shards: ShardEntry[];
}

/** Every shard file is present with the byte size the manifest and the sample count imply. */
export function checkShardFiles(dir: string, m: Manifest): void {
  m.shards.forEach((shard, s) => {
    const expected: Record<string, number> = {
      tokens: shard.samples * m.seq_len * 4,
      mask: shard.samples * m.seq_len,
      bounds_index: (shard.samples + 1) * 8,
    };
    for (const kind of SHARD_KINDS) {
      const entry = shard.files[kind];
      const path = datasetFile(dir, entry.path);
      if (!existsSync(path))
        throw new DataError("missing_shard_file", `shard ${s}: ${entry.path} is listed in the manifest but missing`, { file: path });
      const size = statSync(path).size;
      const want = expected[kind] ?? entry.bytes;
      if (size !== want || size !== entry.bytes) {
        throw new DataError(
          "truncated_shard",
          `shard ${s}: ${entry.path} has ${size} bytes, expected ${want} (manifest says ${entry.bytes}); ` +
            `the dataset is damaged — repack it`,
          { file: path },
        );
      }
    }
  });
}

/** Every sample in order, by reference; its bounds are checked before it is handed out. */
export function* packedSampleRefs(dir: string, m: Manifest): Generator<SampleRef> {
  for (let s = 0; s < m.shards.length; s++) {
    const files = m.shards[s].files;
    const index = new BigUint64Array(readWhole(datasetFile(dir, files.bounds_index.path), 8));
    const all = new Uint32Array(readWhole(datasetFile(dir, files.bounds.path), 4));
    for (let k = 0; k < m.shards[s].samples; k++) {
      const bounds = all.slice(Number(index[k]), Number(index[k + 1]));
      checkBounds(bounds, m.seq_len, files.bounds.path, s, k);
      yield { shard: s, sample: k, bounds };
    }
  }
}

/**
 * The samples' real tokens and masks end to end (padding cut off), read from the shards into
 * `scratch` (valid until its next use).
 */
export function readPart(source: PackedSource, samples: SampleRef[], scratch: ColumnScratch): PartData {
  const rows = new Int32Array(samples.length + 1);
  samples.forEach((r, k) => (rows[k + 1] = rows[k] + r.bounds[r.bounds.length - 1]));
  const ids = scratch.int32("input_ids", rows[samples.length]);
  const mask = scratch.uint8("mask", ids.length);
  const readers = new Map<number, ShardReader>();
  try {
    samples.forEach((r, k) => {
      let reader = readers.get(r.shard);
      if (reader === undefined) readers.set(r.shard, (reader = new ShardReader(source.dir, source.shards[r.shard], source.seqLen)));
      reader.readPrefixInto(r.sample, ids.subarray(rows[k], rows[k + 1]), mask.subarray(rows[k], rows[k + 1]));
      checkIdsAndMask(source, r, ids.subarray(rows[k], rows[k + 1]), mask.subarray(rows[k], rows[k + 1]));
    });
  } finally {
    for (const reader of readers.values()) reader.close();
  }
  return { ids, mask, rows, bounds: samples.map((r) => r.bounds) };
}

/**
 * Ids below the vocabulary and mask values 0/1, even with --no-verify: one pass over memory just
 * read (a tampered shard would otherwise export id 4294967295 as -1, or a mask of 7).
 */
function checkIdsAndMask(source: PackedSource, r: SampleRef, ids: Int32Array, mask: Uint8Array): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] >>> 0;
    if (id >= TOKENIZER_VOCAB || mask[i] > 1) {
      const files = source.shards[r.shard].files;
      const bad =
        id >= TOKENIZER_VOCAB
          ? {
              code: "token_out_of_range",
              what: `token id ${id} is not below the vocabulary size ${TOKENIZER_VOCAB}`,
              file: files.tokens.path,
            }
          : { code: "bad_mask_value", what: `mask value ${mask[i]} is not 0 or 1`, file: files.mask.path };
      const where = `shard ${r.shard} sample ${r.sample} position ${i}`;
      throw new DataError(bad.code, `${where}: ${bad.what}; run 'dataset verify' and repack`, { file: datasetFile(source.dir, bad.file) });
    }
  }
}

/** A file's bytes in a buffer of their own, cut to a whole number of `unit`-byte values. */
function readWhole(path: string, unit: number): ArrayBuffer {
  const bytes = readFileSync(path);
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength - (bytes.byteLength % unit)) as ArrayBuffer;
}

function checkBounds(bounds: Uint32Array, seqLen: number, file: string, shard: number, sample: number): void {
  let ok = bounds.length >= 2 && bounds[0] === 0;
  for (let j = 1; ok && j < bounds.length; j++) ok = bounds[j] > bounds[j - 1] && bounds[j] <= seqLen;
  if (!ok)
    throw new DataError(
      "bad_bounds",
      `shard ${shard} sample ${sample}: document bounds ` +
        `[${Array.from(bounds.subarray(0, 8)).join(", ")}${bounds.length > 8 ? ", …" : ""}] ` +
        `are not increasing from 0 within seq_len ${seqLen}`,
      { file },
    );
}
