#!/usr/bin/env bash
# Rust binding: fetch crates (Cargo.lock), build, run the layout/loader tests and the
# integration suite against a private e2b-local. Assumes the repo's build/ is built
# (libe2b.so.0; E2B_LOCAL_BIN defaults to build/e2b-local). Runs as root. Exit code = result.
set -euo pipefail
cd "$(dirname "$0")"
REPO=$(cd ../.. && pwd)
export LIBE2B_PATH=${LIBE2B_PATH:-$REPO/build/libe2b.so.0}
export E2B_LOCAL_BIN=${E2B_LOCAL_BIN:-$REPO/build/e2b-local}
export E2B_INCLUDE_DIR=${E2B_INCLUDE_DIR:-$REPO/include}
export RUST_BACKTRACE=${RUST_BACKTRACE:-0}
command -v cargo >/dev/null || { echo "bindings/rust/test.sh: cargo not found (install rustup/cargo)" >&2; exit 2; }
[[ -f $LIBE2B_PATH ]] || { echo "bindings/rust/test.sh: $LIBE2B_PATH missing; build libe2b first" >&2; exit 2; }
cargo fetch --locked
cargo build --locked --tests --examples -j2
cargo test --locked -j2 --no-fail-fast
