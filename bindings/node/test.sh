#!/usr/bin/env bash
# Node binding: installs deps from the lockfile, builds the addon from source, runs the suite.
# Assumes the repo's build/ is built (scripts/test.sh does it). Env: LIBE2B_PATH, E2B_LOCAL_BIN.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cd "$here"
export LIBE2B_PATH="${LIBE2B_PATH:-$repo/build/libe2b.so.0}"
export E2B_LOCAL_BIN="${E2B_LOCAL_BIN:-$repo/build/e2b-local}"
# Debian's nodejs ships its headers (with common.gypi) under /usr: node-gyp needs no download.
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/common.gypi ]; then
  export npm_config_nodedir=/usr
fi
npm ci --ignore-scripts --no-audit --no-fund
npm run build --silent
npx --no-install tsc -p test/types
node --test --test-concurrency=1 test/*.test.mjs
