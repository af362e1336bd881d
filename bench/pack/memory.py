"""Peak RSS of `datagen pack` as the input grows (memory must stay bounded).

    python3 bench/pack/memory.py 100e6 1e9 [--seq-len 131072] [--workers 2]

For each size: generates a corpus of that many bytes in /tmp (bench/corpus/generate.ts, seed 2),
packs it with the built CLI (dist/, run `npx tsc -p tsconfig.json` first), prints wall time,
tokens/s, fill rate and the peak RSS (sampled every 50 ms), then deletes corpus and output.
"""
import argparse
import json
import os
import shutil
import subprocess
import tempfile

from run import ROOT, measure


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("sizes", nargs="+", type=float)
    ap.add_argument("--seq-len", type=int, default=131072)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    print(f"cpus {os.cpu_count()}, load average {os.getloadavg()}")
    for size in args.sizes:
        tmp = tempfile.mkdtemp(prefix="pack-mem-", dir="/tmp")
        try:
            corpus = os.path.join(tmp, "corpus.jsonl")
            subprocess.run(["npx", "tsx", "bench/corpus/generate.ts", "--out", corpus, "--bytes", str(int(size)), "--seed", "2"], cwd=ROOT, check=True)
            cmd = ["node", "dist/src/cli/datagen.js", "pack", corpus, "--out", os.path.join(tmp, "out"), "--seq-len", str(args.seq_len), "--workers", str(args.workers), "--json"]
            wall, tree, single, out = measure(cmd)
            s = json.loads(out)
            print(f"input {os.path.getsize(corpus) / 1e6:.0f} MB, {s['records']} records, {s['tokens']['real']} tokens: "
                  f"wall {wall:.1f} s, {s['tokens']['real'] / wall / 1e6:.3f} M tokens/s, peak RSS {tree / 1e6:.0f} MB, "
                  f"{s['samples']} samples, fill {100 * s['fillRate']:.3f} % ({100 * s['fillRateExcludingLeast']:.3f} % without the least-filled); "
                  f"load average now {os.getloadavg()[0]:.1f}", flush=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
