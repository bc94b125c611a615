#!/usr/bin/env bash
# Go binding: fetch the module deps (go.sum pinned), vet, build with CGO_ENABLED=0, and run the
# suite against a private e2b-local started by the tests. Assumes the repo's build/ is built
# (libe2b.so.0, e2b-local); override with LIBE2B_PATH / E2B_LOCAL_BIN.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$here"
# The toolchain's usual home when it is not on PATH (non-login shells, CI).
command -v go >/dev/null || export PATH=$PATH:/usr/local/go/bin
if ! command -v go >/dev/null; then
    echo "bindings/go: the go toolchain is not installed" >&2
    exit 1
fi
export CGO_ENABLED=0
export LIBE2B_PATH=${LIBE2B_PATH:-$repo/build/libe2b.so.0}
export E2B_LOCAL_BIN=${E2B_LOCAL_BIN:-$repo/build/e2b-local}
for f in "$LIBE2B_PATH" "$E2B_LOCAL_BIN"; do
    [ -e "$f" ] || { echo "bindings/go: $f is missing (build the repo first)" >&2; exit 1; }
done
go mod download
go vet ./...
go build ./...
go test -count=1 -timeout 240s ./...
# Optional second pass against an ASan build of libe2b (E2B_GO_ASAN_LIB=<repo>/build-asan/libe2b.so.0):
# libasan and libstdc++ are preloaded (libe2b is dlopened late), and the suite runs
# LeakSanitizer itself at the end, since Go exits without libc's atexit.
if [ -n "${E2B_GO_ASAN_LIB:-}" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    go test -c -o "$tmp/e2b.test" ./e2b
    (cd e2b && LD_PRELOAD="$(gcc -print-file-name=libasan.so) $(gcc -print-file-name=libstdc++.so.6)" \
        ASAN_OPTIONS=detect_leaks=1:handle_segv=0:allow_user_segv_handler=1 \
        LIBE2B_PATH="$E2B_GO_ASAN_LIB" "$tmp/e2b.test" -test.count=1 -test.timeout 240s)
fi
