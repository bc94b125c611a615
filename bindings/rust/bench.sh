#!/usr/bin/env bash
# Rust binding bench against a running e2b-local: needs E2B_API_URL, E2B_SANDBOX_URL,
# E2B_API_KEY (and LIBE2B_PATH, default <repo>/build/libe2b.so.0). Prints one JSON line:
# {"binding":"rust","n":..,"run_true_p50_ms":..,"run_true_p95_ms":..,"upload_64mib_ms":..,"create_ms":..}
# BENCH_N sets the number of run('true') round trips (default 50).
set -euo pipefail
cd "$(dirname "$0")"
export LIBE2B_PATH=${LIBE2B_PATH:-$(cd ../.. && pwd)/build/libe2b.so.0}
cargo build -q --locked --release --example bench >&2
exec ./target/release/examples/bench
