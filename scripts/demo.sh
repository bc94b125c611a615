#!/usr/bin/env bash
# The main demo: builds everything, starts e2b-local on a free port with a temporary state dir,
# drives it with the unmodified official E2B JS SDK (examples/js-sdk/demo.mjs), then from C
# through libe2b (examples/c/hello.c, then the agent loop of examples/c/agent_loop.c).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh
(cd examples/js-sdk && { [[ -d node_modules/e2b ]] || npm ci --no-audit --no-fund --silent; })

state=$(mktemp -d /var/tmp/e2b-local-demo.XXXXXX)
key="e2b_$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"
out="$state.log"
build/e2b-local serve --listen 127.0.0.1:0 --state-dir "$state" --api-key "$key" >"$out" 2>&1 &
pid=$!
cleanup() { kill -TERM "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$state" "$out"; }
trap cleanup EXIT
for _ in $(seq 100); do grep -q 'ready on' "$out" && break; kill -0 "$pid" 2>/dev/null || { cat "$out"; exit 1; }; sleep 0.1; done
url=$(grep -o 'http://[0-9.:]*' "$out" | head -1)
echo "e2b-local is serving on $url"
E2B_API_URL=$url E2B_SANDBOX_URL=$url E2B_API_KEY=$key node examples/js-sdk/demo.mjs

echo
echo "--- the same server from C, through libe2b (examples/c/hello.c) ---"
cc examples/c/hello.c -Iinclude -Lbuild -le2b -Wl,-rpath,"$PWD/build" -o build/hello-c
E2B_API_URL=$url E2B_SANDBOX_URL=$url E2B_API_KEY=$key build/hello-c

echo
echo "--- an agent's run-read-fix loop on the code interpreter (examples/c/agent_loop.c) ---"
cc examples/c/agent_loop.c -Iinclude -Lbuild -le2b -Wl,-rpath,"$PWD/build" -o build/agent-loop-c
E2B_API_URL=$url E2B_SANDBOX_URL=$url E2B_API_KEY=$key build/agent-loop-c
