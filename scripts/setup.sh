#!/usr/bin/env bash
# Fresh-machine set-up: system packages (only what is missing), then the locked npm install.
#   scripts/setup.sh         what `datagen` needs (g++ and make, for the bundled trainer)
#   scripts/setup.sh --test  also Debian's chromium, for the HTML report test, and llama.cpp's
#                            llama-server (built once from node-llama-cpp's llama.cpp source into
#                            ~/.cache/datagen, see scripts/build-llama-server.sh) for the fleet tests
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v g++ >/dev/null || need+=(g++)
command -v make >/dev/null || need+=(make)
if [[ "${1:-}" == "--test" ]]; then
  [[ -x /usr/bin/chromium ]] || need+=(chromium)
  command -v cmake >/dev/null || need+=(cmake)
  command -v git >/dev/null || need+=(git)
fi
if ((${#need[@]})); then
  echo "setup: installing ${need[*]} with apt-get" >&2
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

npm ci --no-audit --no-fund
if [[ "${1:-}" == "--test" ]]; then scripts/build-llama-server.sh >/dev/null; fi
