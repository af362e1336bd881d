"""integrations/torchtitan/datagen_dataset.py against the shards: every rank split covers each
sample exactly once, a resumed iterator continues where the saved state says, labels train
exactly the manifest's trained-token count, and positions restart at every document bound.

  python3 bench/export/torchtitan_check.py PACKED   # numpy only
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "integrations", "torchtitan"))
from datagen_dataset import DatagenPackedDataset  # noqa: E402


def first_token(sample):
    return (int(sample["input_ids"][0]), int(sample["input_ids"][1]), int((sample["labels"] != -100).sum()))


def main():
    packed = sys.argv[1]
    manifest = json.load(open(os.path.join(packed, "manifest.json")))
    full = DatagenPackedDataset(packed, verify=True)
    every = [first_token(s) for s in full]
    assert len(every) == manifest["samples"]
    trained = sum(t for _, _, t in every)
    assert trained == manifest["tokens"]["trained"], (trained, manifest["tokens"]["trained"])
    for world in (2, 3):
        seen = {}
        for rank in range(world):
            for i, s in zip(range(rank, manifest["samples"], world), DatagenPackedDataset(packed, rank=rank, world_size=world)):
                assert i not in seen and first_token(s) == every[i]
                seen[i] = rank
        assert sorted(seen) == list(range(manifest["samples"]))
    # resume: take two samples, save, continue in a fresh instance
    a = DatagenPackedDataset(packed, rank=1, world_size=2)
    it = iter(a)
    taken = [first_token(next(it)) for _ in range(min(2, len(a)))]
    b = DatagenPackedDataset(packed, rank=1, world_size=2)
    b.load_state_dict(a.state_dict())
    rest = [first_token(s) for s in b]
    assert taken + rest == [every[i] for i in range(1, manifest["samples"], 2)]
    # positions restart at each document bound (documents.jsonl offsets) and labels never cross one
    docs = [json.loads(line) for line in open(os.path.join(packed, "documents.jsonl"))]
    first = np.cumsum([0] + [s["samples"] for s in manifest["shards"]])
    for d in docs:
        s = full.sample(int(first[d["shard"]]) + d["sample"])
        o, n = d["offset"], d["length"]
        assert np.array_equal(s["positions"][o:o + n], np.arange(n))
        assert s["labels"][o + n - 1] == -100
    print(json.dumps({"samples": manifest["samples"], "documents": len(docs), "trained": trained, "ok": True}))


if __name__ == "__main__":
    main()
