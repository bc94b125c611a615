#!/usr/bin/env bash
# Every function declared in include/e2b.h must be called by at least one C integration test
# (tests/integration/*.c), the issue's "drive every public function" rule made mechanical.
set -euo pipefail
cd "$(dirname "$0")/.."
missing=0
for fn in $(grep -oE 'E2B_API [^;]*\b(e2b_[a-z0-9_]+)\(' include/e2b.h | grep -oE 'e2b_[a-z0-9_]+\($' | tr -d '('); do
  if ! grep -qw "$fn" tests/integration/*.c; then
    echo "not called by any integration test: $fn"
    missing=1
  fi
done
n=$(grep -cE '^E2B_API ' include/e2b.h)
((missing)) && exit 1
echo "all $n public functions are driven by tests/integration"
