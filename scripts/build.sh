#!/usr/bin/env bash
# Installs dependencies and builds e2b-local, its agent and the tests.
#   scripts/build.sh            -> build/
#   E2B_SANITIZE=1 scripts/build.sh -> build-asan/ (ASan + UBSan)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
if [[ "${E2B_SANITIZE:-0}" == 1 ]]; then
  dir=build-asan; extra=(-DE2B_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug)
else
  dir=build; extra=()
fi
cmake -S . -B "$dir" -G Ninja "${extra[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
