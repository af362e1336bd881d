"""The baseline of bench/export: pyarrow writing the same hf-parquet columns (input_ids, labels, position_ids, seq_lengths) from numpy (memmapped
shards, labels and position_ids computed with numpy), same codec, no dictionary, no statistics (as the export), 64-row row groups.

  python3 bench/export/pyarrow_export.py PACKED OUT.parquet [--compression zstd]
"""
import argparse
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def rows(packed):
    m = json.load(open(os.path.join(packed, "manifest.json")))
    L = m["seq_len"]
    for shard in m["shards"]:
        f = {k: os.path.join(packed, e["path"]) for k, e in shard["files"].items()}
        tokens = np.memmap(f["tokens"], dtype="<u4", mode="r").reshape(-1, L)
        mask = np.memmap(f["mask"], dtype="u1", mode="r").reshape(-1, L)
        bounds, index = np.fromfile(f["bounds"], dtype="<u4"), np.fromfile(f["bounds_index"], dtype="<u8")
        for k in range(shard["samples"]):
            b = bounds[index[k]:index[k + 1]].astype(np.int64)
            end = int(b[-1])
            ids = tokens[k, :end].astype(np.int32)
            labels = np.where(mask[k, :end] == 1, ids, np.int32(-100)).astype(np.int32)
            positions = (np.arange(end) - np.repeat(b[:-1], np.diff(b))).astype(np.int32)
            yield ids, labels, positions, np.diff(b).astype(np.int32)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("packed")
    ap.add_argument("out")
    ap.add_argument("--compression", default="zstd")
    ap.add_argument("--batch", type=int, default=64)
    a = ap.parse_args()
    schema = pa.schema([(n, pa.list_(pa.int32())) for n in ("input_ids", "labels", "position_ids", "seq_lengths")])
    writer = pq.ParquetWriter(a.out, schema, compression=a.compression, use_dictionary=False, write_statistics=False)
    batch = []

    def flush():
        cols = []
        for c in range(4):
            parts = [r[c] for r in batch]
            offsets = np.concatenate([[0], np.cumsum([len(p) for p in parts])]).astype(np.int32)
            cols.append(pa.ListArray.from_arrays(pa.array(offsets), pa.array(np.concatenate(parts))))
        writer.write_table(pa.Table.from_arrays(cols, schema=schema), row_group_size=a.batch)
        batch.clear()

    for r in rows(a.packed):
        batch.append(r)
        if len(batch) == a.batch:
            flush()
    if batch:
        flush()
    writer.close()


if __name__ == "__main__":
    main()
