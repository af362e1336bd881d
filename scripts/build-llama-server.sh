#!/usr/bin/env bash
# Builds llama.cpp's llama-server (CPU, only that target) from the exact llama.cpp source that
# node-llama-cpp ships (llama/gitRelease.bundle), once, into a cache outside the clone keyed by that
# release, so CI and later runs reuse it. The fleet tests (test/fleet*.test.ts) run this binary.
#   scripts/build-llama-server.sh          build if missing, print the binary's path
#   scripts/build-llama-server.sh --path   print where the binary is (or would be); build nothing
# Cache root: $DATAGEN_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/datagen.
set -euo pipefail
cd "$(dirname "$0")/.."

llama_dir=node_modules/node-llama-cpp/llama
bundle="$llama_dir/gitRelease.bundle"
[[ -f "$bundle" ]] || { echo "build-llama-server: $bundle missing (run npm ci first)" >&2; exit 1; }
tag=$(node -p "require('./$llama_dir/llama.cpp.info.json').tag")
commit=$(git bundle list-heads "$bundle" | awk '$2 == "HEAD" { print substr($1, 1, 12) }')
release="$tag-$commit"
cache_root="${DATAGEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/datagen}"
target="$cache_root/llama-server-$release"
binary="$target/llama-server"

if [[ "${1:-}" == "--path" || -x "$binary" ]]; then echo "$binary"; exit 0; fi
mkdir -p "$cache_root"
# One build at a time per cache, even when two clones set up at once.
exec 9>"$cache_root/llama-server-$release.lock"
flock 9
if [[ -x "$binary" ]]; then echo "$binary"; exit 0; fi

# An interrupted build is picked up where it stopped (cmake and ninja/make are incremental).
work="$cache_root/llama-server-$release.build"
if [[ ! -f "$work/src/CMakeLists.txt" ]]; then
  rm -rf "$work"
  git -c advice.detachedHead=false clone -q "$bundle" "$work/src"
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
jobs="${DATAGEN_BUILD_JOBS:-$(nproc)}"
echo "build-llama-server: building llama-server $release with $jobs jobs (about 20 min on 2 idle cores, much longer on a busy machine)" >&2
cmake -S "$work/src" -B "$work/build" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DGGML_NATIVE=ON -DBUILD_SHARED_LIBS=OFF -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF \
  -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=ON >"$work/cmake.log" 2>&1 \
  || { tail -n 30 "$work/cmake.log" >&2; exit 1; }
cmake --build "$work/build" -j "$jobs" --target llama-server >"$work/build.log" 2>&1 \
  || { tail -n 30 "$work/build.log" >&2; exit 1; }
rm -rf "$target.tmp"
mkdir -p "$target.tmp"
cp "$work/build/bin/llama-server" "$target.tmp/llama-server"
"$target.tmp/llama-server" --version >/dev/null 2>&1 || { echo "build-llama-server: built binary does not run" >&2; exit 1; }
mv "$target.tmp" "$target"
rm -rf "$work"
echo "$binary"
