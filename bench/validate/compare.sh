#!/bin/sh
# Before/after on the same input: `datagen validate FILE --quiet` and the parse-only floor, from two
# commits side by side, alternating, ROUNDS times (user CPU is the figure to read on a shared machine).
# Usage: sh bench/validate/compare.sh BEFORE_COMMIT AFTER_COMMIT FILE [ROUNDS]   (from the repository root)
# FILE: e.g. `node --import tsx bench/validate/make-big-jsonl.ts /tmp/v.jsonl 0.1875` (200 MB).
set -eu
before=$1 after=$2 file=$3 rounds=${4:-3}
dir=$(mktemp -d /tmp/datagen-validate-compare.XXXXXX)
trap 'rm -rf "$dir"' EXIT
for side in before after; do
  mkdir "$dir/$side"
  eval "commit=\$$side"
  git archive "$commit" | tar -x -C "$dir/$side"
  ln -s "$PWD/node_modules" "$dir/$side/node_modules"
done
echo "side command wall_s user_s peak_rss_kb"
for r in $(seq 1 "$rounds"); do
  for side in before after; do
    (cd "$dir/$side" && /usr/bin/time -f "$side validate %e %U %M" node --import tsx src/cli/datagen.ts validate "$file" --quiet >/dev/null 2>"$dir/err" || true; tail -n 1 "$dir/err")
    (cd "$dir/$side" && /usr/bin/time -f "$side parse-only %e %U %M" node --import tsx bench/validate/parse-only.ts "$file" >/dev/null 2>"$dir/err" || true; tail -n 1 "$dir/err")
  done
  echo "load $(cut -d' ' -f1 /proc/loadavg)"
done
