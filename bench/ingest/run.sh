#!/bin/sh
# The input layer's cost (docs/BENCHMARKS.md "Ingest"). On one ~1 GiB JSONL (bench/validate's
# generator) and its gzip and zstd copies, with /usr/bin/time (wall, user CPU, peak RSS):
#  - readJsonl vs readSource on the plain file (the layer's own overhead on plain JSONL);
#  - `datagen validate --quiet` on .jsonl, .jsonl.gz and .jsonl.zst (memory stays bounded);
#  - if BEFORE names a checkout of the code before the layer (with node_modules), its
#    `datagen validate --quiet` on the same .jsonl, side by side.
# Usage: [ROUNDS=n] [KEEP=1] sh bench/ingest/run.sh [GIB] [BEFORE]      (from the repository root)
set -eu
GIB=${1:-1}
BEFORE=${2:-}
FILE=/tmp/datagen-ingest-bench.jsonl
# KEEP=1 keeps the three files for the next run (and reuses them if present).
[ "${KEEP:-}" = 1 ] || trap 'rm -f "$FILE" "$FILE.gz" "$FILE.zst" "$FILE.tmp" /tmp/datagen-ingest-bench.time' EXIT
if [ ! -s "$FILE.zst" ]; then
  node --import tsx bench/validate/make-big-jsonl.ts "$FILE" "$GIB"
  gzip -6 -c "$FILE" > "$FILE.gz"
  zstd -q -3 -c "$FILE" > "$FILE.zst"
fi
ls -l "$FILE" "$FILE.gz" "$FILE.zst" | awk '{print $5, $9}'
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
measure() { # label, command...
  label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o /tmp/datagen-ingest-bench.time "$@" > /tmp/datagen-ingest-bench.out 2>&1 || true
  read -r wall user sys rss <<EOT
$(tail -n 1 /tmp/datagen-ingest-bench.time)
EOT
  echo "$label: wall ${wall} s, user ${user} s, sys ${sys} s, peak RSS $((rss / 1024)) MiB, load $(cut -d' ' -f1 /proc/loadavg) | $(tail -n 1 /tmp/datagen-ingest-bench.out)"
}
# ROUNDS=n repeats the plain-file measurements n times, interleaved (a shared machine's load moves).
for round in $(seq 1 "${ROUNDS:-1}"); do
  echo "round $round"
  measure "readJsonl .jsonl" node --import tsx bench/ingest/read-only.ts readJsonl "$FILE"
  measure "readSource .jsonl" node --import tsx bench/ingest/read-only.ts readSource "$FILE"
  measure "validate .jsonl" node --import tsx src/cli/datagen.ts validate "$FILE" --quiet
  if [ -n "$BEFORE" ]; then
    measure "validate .jsonl (before)" sh -c "cd '$BEFORE' && node --import tsx src/cli/datagen.ts validate '$FILE' --quiet"
  fi
done
measure "validate .jsonl.gz" node --import tsx src/cli/datagen.ts validate "$FILE.gz" --quiet
measure "validate .jsonl.zst" node --import tsx src/cli/datagen.ts validate "$FILE.zst" --quiet
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
