// Reading a packed dataset for export: whole samples, padding cut off, in manifest order.
// Cheap structural checks run even with --no-verify, so a damaged dataset stops with a clear
// error instead of exporting zeros (ShardReader leaves unread bytes of a short file at zero).
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { DataError } from "../core/errors.js";
import { SHARD_KINDS, type Manifest } from "../pack/format.js";
import { ShardReader } from "../pack/reader.js";

export interface ExportSample {
  /** Index of the sample in the whole dataset (shard order, then sample order). */
  index: number;
  shard: number;
  /** Real tokens only (padding removed): `tokens.length` = the end of the last document. */
  tokens: Uint32Array;
  mask: Uint8Array;
  /** [0, s1, …, end]: document starts, then the end of the last document. */
  bounds: Uint32Array;
}

/** Every shard file is present with the byte size the manifest and the sample count imply. */
export function checkShardFiles(dir: string, m: Manifest): void {
  m.shards.forEach((shard, s) => {
    const expected: Record<string, number> = { tokens: shard.samples * m.seq_len * 4, mask: shard.samples * m.seq_len, bounds_index: (shard.samples + 1) * 8 };
    for (const kind of SHARD_KINDS) {
      const entry = shard.files[kind];
      const path = join(dir, entry.path);
      if (!existsSync(path)) throw new DataError("missing_shard_file", `shard ${s}: ${entry.path} is listed in the manifest but missing`, { file: path });
      const size = statSync(path).size;
      const want = expected[kind] ?? entry.bytes;
      if (size !== want || size !== entry.bytes) {
        throw new DataError("truncated_shard", `shard ${s}: ${entry.path} has ${size} bytes, expected ${want} (manifest says ${entry.bytes}); the dataset is damaged — repack it`, { file: path });
      }
    }
  });
}

/** Samples in order; each is checked for sane bounds before it is handed out. */
export function* packedSamples(dir: string, m: Manifest): Generator<ExportSample> {
  let index = 0;
  for (let s = 0; s < m.shards.length; s++) {
    const reader = new ShardReader(dir, m.shards[s], m.seq_len);
    try {
      for (let k = 0; k < reader.samples; k++, index++) {
        const { tokens, mask, bounds } = reader.sample(k);
        checkBounds(bounds, m.seq_len, reader.shard.files.bounds.path, s, k);
        const end = bounds[bounds.length - 1];
        yield { index, shard: s, tokens: tokens.subarray(0, end), mask: mask.subarray(0, end), bounds };
      }
    } finally {
      reader.close();
    }
  }
}

function checkBounds(bounds: Uint32Array, seqLen: number, file: string, shard: number, sample: number): void {
  let ok = bounds.length >= 2 && bounds[0] === 0;
  for (let j = 1; ok && j < bounds.length; j++) ok = bounds[j] > bounds[j - 1] && bounds[j] <= seqLen;
  if (!ok) throw new DataError("bad_bounds", `shard ${shard} sample ${sample}: document bounds [${Array.from(bounds.subarray(0, 8)).join(", ")}${bounds.length > 8 ? ", …" : ""}] are not increasing from 0 within seq_len ${seqLen}`, { file });
}
