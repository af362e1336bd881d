"""The loss, three ways: the masked mean loss of a GGUF model (the smoke model by default) over the
rows of `datagen export --to hf-parquet` and `--to megatron-bridge` and over the torchtitan data
source, each computed with transformers' GptOss on CPU one document at a time (its eager attention
does not honour packed boundaries), against `datagen train --eval-only --json` on the packed dataset.

Run through bench/export/loss-check.ts (it packs, exports and evaluates first), or by hand:
  python3 bench/export/loss_check.py --model M.gguf --packed P --hf H --megatron MB --ours eval.json
Needs torch, transformers, gguf, datasets, pyarrow (pip, local mirror). Exit 1 when a figure is off.
"""
import argparse
import glob
import json
import os
import sys

import numpy as np
import pyarrow.parquet as pq
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "train"))
sys.path.insert(0, os.path.join(HERE, "..", "..", "integrations", "torchtitan"))
from torch_gpt_oss_step import load_model  # noqa: E402  (GGUF → transformers GptOss, eager, float32)
from datagen_dataset import DatagenPackedDataset  # noqa: E402

EOS_ID = 200002  # <|return|>: the gpt-oss tokenizer's eos, which Megatron-Bridge's collate never trains on as input


class Losses:
    def __init__(self, model):
        self.model, self.sum, self.count, self.documents = model, 0.0, 0, 0

    def add(self, inputs, targets, weights):
        """Sum of -log p(target) at the positions where weight is 1 (one causal sequence)."""
        targets = torch.as_tensor(targets, dtype=torch.long).clamp(min=0)
        w = torch.as_tensor(weights, dtype=torch.double)
        with torch.no_grad():
            hidden = self.model.model(input_ids=torch.as_tensor(inputs, dtype=torch.long)[None]).last_hidden_state[0]
            # the vocabulary is 201,088 wide: project only the trained positions, a chunk at a time
            keep = torch.nonzero(w > 0).flatten()
            for c in range(0, len(keep), 256):
                at = keep[c:c + 256]
                logits = self.model.lm_head(hidden[at]).double()
                nll = F.cross_entropy(logits, targets[at], reduction="none")
                self.sum += float((nll * w[at]).sum())
        self.count += int(w.sum())
        self.documents += 1

    def result(self):
        return {"loss": self.sum / self.count, "tokens_trained": self.count, "documents": self.documents}


def hf_rows(model, hf_dir):
    """hf-parquet through `datasets`: unshifted labels, documents where position_ids restart at 0."""
    from datasets import load_dataset

    ds = load_dataset("parquet", data_dir=hf_dir, split="train")
    out = Losses(model)
    for row in ds:
        ids, labels, pos = (np.asarray(row[k], dtype=np.int64) for k in ("input_ids", "labels", "position_ids"))
        starts = list(np.flatnonzero(pos == 0)) + [len(ids)]
        for s, e in zip(starts, starts[1:]):
            # transformers' causal-LM loss: logits at t are scored against labels[t + 1]
            shifted = labels[s + 1:e]
            out.add(ids[s:e - 1], shifted, shifted != -100)
    return out.result()


def megatron_rows(model, mb_dir):
    """megatron-bridge rows with its collate's convention: per document, inputs ids[s:e-1], targets
    ids[s+1:e], weights loss_mask[s:e-1], zeroed where the input token is eos."""
    out = Losses(model)
    for path in sorted(glob.glob(os.path.join(mb_dir, "*.idx.parquet"))):
        table = pq.read_table(path)
        for row in table.to_pylist():
            ids = np.asarray(row["input_ids"], dtype=np.int64)
            lm = np.asarray(row["loss_mask"], dtype=np.int64)
            bounds = list(row["seq_start_id"]) + [len(ids)]
            for s, e in zip(bounds, bounds[1:]):
                inputs, weights = ids[s:e - 1], lm[s:e - 1].copy()
                weights[inputs == EOS_ID] = 0
                out.add(inputs, ids[s + 1:e], weights)
    return out.result()


def torchtitan_rows(model, packed):
    """The torchtitan data source: next-token labels, documents where positions restart at 0."""
    out = Losses(model)
    for sample in DatagenPackedDataset(packed, verify=True):
        ids, labels, pos = sample["input_ids"], sample["labels"], sample["positions"]
        starts = list(np.flatnonzero(pos == 0)) + [len(ids)]
        for s, e in zip(starts, starts[1:]):
            if (labels[s:e] == -100).all():
                continue  # padding, or a document with nothing trained
            out.add(ids[s:e], labels[s:e], labels[s:e] != -100)
    return out.result()


def main():
    ap = argparse.ArgumentParser()
    for flag in ("--model", "--packed", "--hf", "--megatron", "--ours"):
        ap.add_argument(flag, required=True)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--tolerance", type=float, default=1e-4)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    model = load_model(a.model).eval()
    ours = json.load(open(a.ours))
    figures = {"ours": ours, "hf-parquet": hf_rows(model, a.hf), "megatron-bridge": megatron_rows(model, a.megatron),
               "torchtitan": torchtitan_rows(model, a.packed)}
    ok = True
    for name in ("hf-parquet", "megatron-bridge", "torchtitan"):
        f = figures[name]
        f["relative_difference"] = abs(f["loss"] - ours["loss"]) / abs(ours["loss"])
        f["ok"] = f["relative_difference"] <= a.tolerance and f["tokens_trained"] == ours["tokens_trained"]
        ok = ok and f["ok"]
    print(json.dumps(figures, indent=2))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
