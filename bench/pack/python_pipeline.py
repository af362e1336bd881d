"""The Python pipeline a user would otherwise run to pack our JSONL for SFT:
datasets (load + map with N processes) → harmony rendering (render_harmony.py, same rules as ours)
→ Python tiktoken o200k_harmony → TRL pack_dataset(strategy="bfd") → save_to_disk.

    python3 bench/pack/python_pipeline.py CORPUS --seq-len 131072 --num-proc 2 --out DIR --summary FILE

Needs TIKTOKEN_CACHE_DIR holding the o200k_base vocabulary offline (see docs/RENDERING.md).
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("--seq-len", type=int, default=131072)
    ap.add_argument("--num-proc", type=int, default=2)
    ap.add_argument("--out", required=True)
    ap.add_argument("--summary", required=True)
    args = ap.parse_args()
    started = time.time()

    import pyarrow.compute as pc
    import tiktoken
    from datasets import load_dataset
    from trl import pack_dataset

    from render_harmony import render_tokens

    enc = tiktoken.get_encoding("o200k_harmony")

    def tokenize(batch):
        ids, masks = [], []
        for line in batch["text"]:
            t, m = render_tokens(json.loads(line), enc)
            ids.append(t)
            masks.append(m)
        return {"input_ids": ids, "completion_mask": masks}

    imported = time.time()
    ds = load_dataset("text", data_files=args.corpus, split="train")
    ds = ds.map(tokenize, batched=True, num_proc=args.num_proc, remove_columns=["text"], load_from_cache_file=False)
    tokenized = time.time()
    packed = pack_dataset(ds, args.seq_len, strategy="bfd", map_kwargs={"num_proc": args.num_proc, "load_from_cache_file": False})
    packed.save_to_disk(args.out)
    done = time.time()

    lengths = pc.list_value_length(packed.data.column("input_ids")).to_numpy()
    real = int(lengths.sum())
    samples = len(lengths)
    least = int(lengths.min()) if samples else 0
    summary = {
        "samples": samples,
        "documents": len(ds),
        "tokens_real": real,
        "fill_rate": real / (samples * args.seq_len),
        "fill_rate_excluding_least": (real - least) / ((samples - 1) * args.seq_len) if samples > 1 else 1.0,
        "seconds_imports": imported - started,
        "seconds_tokenize": tokenized - imported,
        "seconds_pack_and_save": done - tokenized,
        "seconds_total": done - started,
    }
    with open(args.summary, "w") as f:
        json.dump(summary, f)


if __name__ == "__main__":
    main()
