"""Python tiktoken's o200k_harmony, the reference, for bench/tokenize/run.ts and the test fixture.

  python3 python_tiktoken.py bench FILE REPEATS   -> one JSON line: MB/s of wall and of CPU time (best of REPEATS), token count, sha256 of the ids
  python3 python_tiktoken.py ids < cases.json      -> JSON: tiktoken version and ids of each text

Offline, tiktoken needs its vocabulary in TIKTOKEN_CACHE_DIR (run.ts prepares it; see docs/RENDERING.md).
"""
import array
import hashlib
import json
import sys
import time

import tiktoken


def bench(path: str, repeats: int) -> None:
    enc = tiktoken.get_encoding("o200k_harmony")
    with open(path, encoding="utf-8", newline="") as f:  # keep \r\n as is
        documents = f.read().split("\0")  # run.ts separates documents with NUL
    megabytes = sum(len(d.encode("utf-8")) for d in documents) / 1e6
    enc.encode_ordinary("warm up")
    best = best_cpu = float("inf")
    ids = []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        ids = [i for d in documents for i in enc.encode_ordinary(d)] if len(documents) > 1 else enc.encode_ordinary(documents[0])
        best = min(best, time.perf_counter() - start)
        best_cpu = min(best_cpu, time.process_time() - start_cpu)
    ids_sha = hashlib.sha256(array.array("I", ids).tobytes()).hexdigest()[:16]  # little-endian uint32 here
    print(json.dumps({"name": f"Python tiktoken {tiktoken.__version__}", "mb_per_s": megabytes / best, "mb_per_cpu_s": megabytes / best_cpu, "seconds": best, "tokens": len(ids), "ids_sha": ids_sha}))


def ids() -> None:
    enc = tiktoken.get_encoding("o200k_harmony")
    texts = json.load(sys.stdin)
    cases = [{"text": text, "ids": enc.encode_ordinary(text)} for text in texts]
    lines = [json.dumps(case, ensure_ascii=True, separators=(",", ":")) for case in cases]
    sys.stdout.write('{"tiktoken":"%s","cases":[\n%s\n]}\n' % (tiktoken.__version__, ",\n".join(lines)))


if __name__ == "__main__":
    if sys.argv[1] == "bench":
        bench(sys.argv[2], int(sys.argv[3]))
    else:
        ids()
