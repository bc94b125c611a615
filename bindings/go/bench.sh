#!/usr/bin/env bash
# Go binding bench for bench/clients.mjs: builds cmd/e2b-bench (CGO_ENABLED=0) and runs it
# against the server named by E2B_API_URL / E2B_SANDBOX_URL / E2B_API_KEY; JSON lines on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export LIBE2B_PATH=${LIBE2B_PATH:-$repo/build/libe2b.so.0}
bin=$(mktemp -d)/e2b-bench
trap 'rm -rf "$(dirname "$bin")"' EXIT
command -v go >/dev/null || export PATH=$PATH:/usr/local/go/bin
(cd "$here" && CGO_ENABLED=0 go build -o "$bin" ./cmd/e2b-bench) >&2
"$bin" "$@"
