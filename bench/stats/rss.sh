#!/bin/sh
# Peak RSS and wall time of `dataset stats report` on a synthetic JSONL of a given size
# (bench/corpus/generate.ts, no model needed). The corpus is written to /tmp and deleted after.
#   sh bench/stats/rss.sh [BYTES=1000000000] [WORKERS=default]
set -eu
BYTES=${1:-1000000000}
CORPUS=/tmp/stats-bench-$$.jsonl
trap 'rm -f "$CORPUS" "$CORPUS.json"' EXIT
npx tsx bench/corpus/generate.ts --out "$CORPUS" --bytes "$BYTES" >&2
WORKERS_FLAG=""
[ -n "${2:-}" ] && WORKERS_FLAG="--workers $2"
/usr/bin/time -v node --import tsx src/cli/dataset.ts stats report "$CORPUS" --json "$CORPUS.json" $WORKERS_FLAG 2>&1 >/dev/null |
  grep -E "Elapsed|Maximum resident|Percent of CPU"
node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).raw; console.log(`records ${r.records}, tokens ${r.tokens.total}, invalid ${r.invalid.total}`)' "$CORPUS.json"
