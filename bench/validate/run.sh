#!/bin/sh
# Measure `datagen validate` on a ~1 GiB JSONL: peak RSS and wall time, next to the parse-only floor
# (readJsonl alone) on the same file in the same run. The file lives in /tmp and is deleted after.
# Usage: sh bench/validate/run.sh [GIB]        (from the repository root)
set -eu
FILE=/tmp/datagen-validate-bench.jsonl
trap 'rm -f "$FILE" "$FILE.tmp"' EXIT
node --import tsx bench/validate/make-big-jsonl.ts "$FILE" "${1:-1}"
measure() { # label, command...
  label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o /tmp/datagen-validate-bench.time "$@" > "/tmp/datagen-validate-bench.$label.out" 2>&1 || true
  read -r wall user sys rss <<EOT
$(tail -n 1 /tmp/datagen-validate-bench.time)
EOT
  echo "$label: wall ${wall} s, user ${user} s, sys ${sys} s, peak RSS $((rss / 1024)) MiB"
  echo "$wall" > "/tmp/datagen-validate-bench.$label"
}
measure parse-only node --import tsx bench/validate/parse-only.ts "$FILE"
measure validate node --import tsx src/cli/datagen.ts validate "$FILE" --quiet
cat /tmp/datagen-validate-bench.validate.out
echo "validate / parse-only wall time: $(echo "scale=2; $(cat /tmp/datagen-validate-bench.validate) / $(cat /tmp/datagen-validate-bench.parse-only)" | bc)"
rm -f /tmp/datagen-validate-bench.time /tmp/datagen-validate-bench.validate* /tmp/datagen-validate-bench.parse-only*
