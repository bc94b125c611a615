#!/usr/bin/env bash
# Installs libe2b from a build dir into a temp prefix, then builds and runs a C consumer with
# pkg-config (shared and static) and with find_package(e2b). Usage: run.sh [build-dir]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
prefix=$(mktemp -d /var/tmp/e2b-install.XXXXXX)
trap 'rm -rf "$prefix"' EXIT
cmake --install "$build" --prefix "$prefix" >/dev/null
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig:$prefix/lib/x86_64-linux-gnu/pkgconfig"
libdir=$(pkg-config --variable=libdir e2b)
cc "$here/consumer.c" $(pkg-config --cflags --libs e2b) -o "$prefix/consumer-pc"
LD_LIBRARY_PATH="$libdir" "$prefix/consumer-pc"
cc "$here/consumer.c" $(pkg-config --cflags e2b) -o "$prefix/consumer-static" "$libdir/libe2b.a" $(pkg-config --libs-only-l --static e2b | sed 's/-le2b//')
"$prefix/consumer-static"
cmake -S "$here" -B "$prefix/cmake-build" -DCMAKE_PREFIX_PATH="$prefix" >/dev/null
cmake --build "$prefix/cmake-build" >/dev/null
LD_LIBRARY_PATH="$libdir" "$prefix/cmake-build/consumer"
echo "packaging: 3 passed, 0 failed"
