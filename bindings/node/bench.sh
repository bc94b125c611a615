#!/usr/bin/env bash
# Hook for bench/clients.mjs: the Node binding's figures as JSON lines (one per op). Needs
# E2B_API_URL, E2B_SANDBOX_URL, E2B_API_KEY of a running e2b-local; builds the addon if needed.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
export LIBE2B_PATH="${LIBE2B_PATH:-$here/../../build/libe2b.so.0}"
if [ ! -f build/Release/e2b_node.node ]; then
  if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/common.gypi ]; then export npm_config_nodedir=/usr; fi
  npm ci --ignore-scripts --no-audit --no-fund >&2
  npm run build --silent >&2
fi
BENCH_FORMAT=ops exec node bench.mjs
