"""A torchtitan data source for datagen's packed datasets (docs/FORMAT.md in the datagen repository).

Reads the manifest, the shards and the document bounds directly (numpy memmaps, nothing converted)
and yields one dict per packed sample, each array `seq_len` long:

- ``input_ids``: the sample's token ids (o200k_harmony), padding included (``<|endoftext|>``);
- ``labels``: next-token targets, ``labels[t] = input_ids[t + 1]`` where datagen's mask trains
  token t + 1, −100 elsewhere (torchtitan's cross-entropy ignores −100). A document's last token
  and every padding position get −100, so no target crosses a document boundary;
- ``positions``: 0, 1, … restarting at each document start, and once more at the padding, so
  ``positions == 0`` marks every document start (torchtitan's block-causal document mask).

Nothing in the dataset is trusted (the rules of datagen's src/pack/manifest.ts and
schemas/manifest.schema.json): the manifest's counts are checked for type and range before use,
every file it names must be a plain name that resolves inside the dataset folder after symlinks,
and each sample's token ids are checked against the vocabulary when it is read.

Samples are split across data-parallel ranks deterministically (sample i goes to rank
i % world_size) and the iteration resumes from a sample index (``state_dict`` / ``load_state_dict``
or ``start``). numpy only; torch tensors are made by ``as_torch=True`` or by torchtitan's collate.

    from datagen_dataset import DatagenPackedDataset
    ds = DatagenPackedDataset("data/packed", rank=dp_rank, world_size=dp_world_size)
    for sample in ds: ...
"""
import hashlib
import json
import os

import numpy as np

IGNORE_INDEX = -100
FORMAT = ("datagen.packed", 1)
VOCAB_SIZE = 201088  # o200k_harmony
MAX_SEQ_LEN = 1 << 20  # datagen's MAX_SEQ_LEN (src/pack/defaults.ts)
MAX_SAMPLES = 2**31 - 1
SHARD_SUFFIX = {"tokens": ".tokens.u32", "mask": ".mask.u8", "bounds": ".bounds.u32", "bounds_index": ".bounds_index.u64"}


class ManifestError(ValueError):
    """A manifest.json or file that is not what datagen pack writes; names the file and the JSON path."""


def _count(manifest_path, pointer, value, low, high):
    if type(value) is not int or not low <= value <= high:
        raise ManifestError(f"{manifest_path}: {pointer}: {value!r} is not an integer in {low}..{high}")
    return value


def dataset_file(path, name, pointer):
    """The path of a file the manifest names, refused unless it is a plain name inside the dataset folder (symlinks followed)."""
    manifest_path = os.path.join(path, "manifest.json")
    if type(name) is not str or name in ("", ".", "..") or "/" in name or "\\" in name or "\0" in name:
        raise ManifestError(f"{manifest_path}: {pointer}: {name!r} is not a file inside the dataset folder")
    folder = os.path.realpath(path)
    real = os.path.realpath(os.path.join(path, name))
    if os.path.commonpath([folder, real]) != folder or real == folder:
        raise ManifestError(f"{manifest_path}: {pointer}: {name!r} resolves to {real}, outside the dataset folder")
    return os.path.join(path, name)


def check_manifest(path, m):
    """What every reader checks before using a manifest (types, bounds, shard file names)."""
    mp = os.path.join(path, "manifest.json")
    if not isinstance(m, dict):
        raise ManifestError(f"{mp}: /: not a JSON object")
    if (m.get("format"), m.get("version")) != FORMAT:
        raise ManifestError(f"{mp}: not a datagen.packed v1 dataset")
    if m.get("vocab_size") != VOCAB_SIZE:
        raise ManifestError(f"{mp}: /vocab_size: {m.get('vocab_size')!r} is not o200k_harmony's {VOCAB_SIZE}")
    _count(mp, "/seq_len", m.get("seq_len"), 1, MAX_SEQ_LEN)
    _count(mp, "/pad_id", m.get("pad_id"), 0, VOCAB_SIZE - 1)
    shards = m.get("shards")
    if not isinstance(shards, list):
        raise ManifestError(f"{mp}: /shards: {type(shards).__name__} is not an array")
    total = 0
    for i, shard in enumerate(shards):
        if not isinstance(shard, dict) or not isinstance(shard.get("files"), dict):
            raise ManifestError(f"{mp}: /shards/{i}: not a shard entry with files")
        total += _count(mp, f"/shards/{i}/samples", shard.get("samples"), 0, MAX_SAMPLES)
        names = {}
        for kind, suffix in SHARD_SUFFIX.items():
            entry = shard["files"].get(kind)
            if not isinstance(entry, dict):
                raise ManifestError(f"{mp}: /shards/{i}/files/{kind}: {entry!r} is not a file entry")
            dataset_file(path, entry.get("path"), f"/shards/{i}/files/{kind}/path")
            name = entry["path"]
            if not name.endswith(suffix):
                raise ManifestError(f"{mp}: /shards/{i}/files/{kind}/path: {name!r} does not end in {suffix}")
            names[kind] = name[: -len(suffix)]
        if len(set(names.values())) != 1:
            raise ManifestError(f"{mp}: /shards/{i}/files: the four files do not share one prefix")
    if total > MAX_SAMPLES:
        raise ManifestError(f"{mp}: /shards: {total} samples in all, more than {MAX_SAMPLES}")


class DatagenPackedDataset:
    def __init__(self, path, rank=0, world_size=1, verify=False, start=0, as_torch=False, infinite=False):
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is not in 0..{world_size - 1}")
        self.path, self.rank, self.world_size = path, rank, world_size
        self.as_torch, self.infinite = as_torch, infinite
        with open(os.path.join(path, "manifest.json")) as f:
            try:
                self.manifest = json.load(f)
            except ValueError as e:
                raise ManifestError(f"{f.name}: not JSON ({e})") from None
        check_manifest(path, self.manifest)
        self.seq_len = self.manifest["seq_len"]
        self.pad_id = self.manifest["pad_id"]
        if verify:
            self._verify()
        self._shards = [self._open(shard) for shard in self.manifest["shards"]]
        self._first = np.cumsum([0] + [s["samples"] for s in self.manifest["shards"]])
        self.samples = int(self._first[-1])
        self.next_index = start  # the next global sample index this rank yields

    def _open(self, shard):
        f = {kind: dataset_file(self.path, shard["files"][kind]["path"], kind) for kind in SHARD_SUFFIX}
        n, L = shard["samples"], self.seq_len
        for kind, size in (("tokens", n * L * 4), ("mask", n * L), ("bounds_index", (n + 1) * 8)):
            if os.path.getsize(f[kind]) != size:
                raise ValueError(f"{f[kind]}: {os.path.getsize(f[kind])} bytes, expected {size} (damaged dataset)")
        return {
            "tokens": np.memmap(f["tokens"], dtype="<u4", mode="r").reshape(n, L),
            "mask": np.memmap(f["mask"], dtype="u1", mode="r").reshape(n, L),
            "bounds": np.fromfile(f["bounds"], dtype="<u4"),
            "index": np.fromfile(f["bounds_index"], dtype="<u8"),
        }

    def _verify(self):
        """sha256 of every file against the manifest (a changed byte raises)."""
        entries = [e for s in self.manifest["shards"] for e in s["files"].values()] + [self.manifest["documents_file"]]
        for e in entries:
            h = hashlib.sha256()
            with open(dataset_file(self.path, e["path"], "file"), "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            if h.hexdigest() != e["sha256"]:
                raise ValueError(f"{e['path']}: sha256 differs from the manifest; run `dataset verify {self.path}`")

    def __len__(self):
        """Samples this rank yields in one pass."""
        return len(range(self.rank, self.samples, self.world_size))

    def sample(self, i):
        """The global sample i: input_ids, labels, positions (int64 numpy arrays of seq_len)."""
        s = int(np.searchsorted(self._first, i, side="right") - 1)
        shard, k = self._shards[s], i - int(self._first[s])
        L = self.seq_len
        bounds = shard["bounds"][int(shard["index"][k]):int(shard["index"][k + 1])].astype(np.int64)
        tokens = np.asarray(shard["tokens"][k], dtype=np.int64)
        mask = np.asarray(shard["mask"][k])
        if len(bounds) < 2 or bounds[0] != 0 or np.any(np.diff(bounds) <= 0) or bounds[-1] > L:
            raise ManifestError(f"{self.path}: shard {s} sample {k}: document bounds are not increasing from 0 within seq_len {L}")
        if tokens.max(initial=0) >= VOCAB_SIZE or mask.max(initial=0) > 1:
            raise ManifestError(f"{self.path}: shard {s} sample {k}: a token id >= {VOCAB_SIZE} or a mask value > 1; run `dataset verify`")
        end = int(bounds[-1])
        labels = np.full(L, IGNORE_INDEX, dtype=np.int64)
        trained = mask[1:] == 1  # mask is 0 on every document start and on padding
        labels[:-1][trained] = tokens[1:][trained]
        starts = np.concatenate([bounds[:-1], [end]] if end < L else [bounds[:-1]])
        lengths = np.diff(np.concatenate([starts, [L]]))
        positions = np.arange(L, dtype=np.int64) - np.repeat(starts, lengths)
        out = {"input_ids": tokens, "labels": labels, "positions": positions}
        if self.as_torch:
            import torch

            out = {k: torch.from_numpy(v) for k, v in out.items()}
        return out

    def __iter__(self):
        while True:
            # First index >= next_index that belongs to this rank.
            i = self.next_index + (self.rank - self.next_index) % self.world_size
            while i < self.samples:
                self.next_index = i + self.world_size
                yield self.sample(i)
                i = self.next_index
            if not self.infinite:
                return
            self.next_index = 0

    def state_dict(self):
        return {"next_index": self.next_index}

    def load_state_dict(self, state):
        self.next_index = int(state["next_index"])


def torchtitan_batches(dataset):
    """(inputs, labels) pairs in the shape torchtitan's training loop takes from its dataloader:
    ``({"input": input_ids, "positions": positions}, labels)``, torch tensors."""
    import torch

    for sample in dataset:
        yield (
            {"input": torch.from_numpy(sample["input_ids"]), "positions": torch.from_numpy(sample["positions"])},
            torch.from_numpy(sample["labels"]),
        )
