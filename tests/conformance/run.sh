#!/usr/bin/env bash
# Conformance suites: official e2b JS SDK (node --test) and Python SDK (pytest) against e2b-local.
# Usage: tests/conformance/run.sh [js|py|all]   (env E2B_LOCAL_BIN overrides build/e2b-local)
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
WHICH="${1:-all}"
export E2B_LOCAL_BIN="${E2B_LOCAL_BIN:-$REPO/build/e2b-local}"

if [ "$(id -u)" != 0 ]; then echo "conformance: must run as root (e2b-local needs it)" >&2; exit 2; fi

if [ ! -x "$E2B_LOCAL_BIN" ]; then
  echo "conformance: $E2B_LOCAL_BIN missing, building"
  (cd "$REPO" && { [ -f build/build.ninja ] || cmake -S . -B build -G Ninja >/dev/null; } && cmake --build build) || { echo "conformance: build failed" >&2; exit 2; }
fi

hash_of() { sha256sum "$@" | sha256sum | cut -c1-16; }

install_js() {
  local dir="$HERE/js" stamp="$HERE/js/node_modules/.conformance-stamp" h
  h="$(hash_of "$dir/package.json" "$dir/package-lock.json")"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$h" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || { echo "conformance: npm ci failed" >&2; return 1; }
    echo "$h" > "$stamp"
  fi
}

VENV="$REPO/build/py-venv"
install_py() {
  local stamp="$VENV/.conformance-stamp" h py=python3
  h="$(hash_of "$HERE/py/requirements.txt")"
  [ -x /usr/bin/python3 ] && py=/usr/bin/python3
  if [ ! -x "$VENV/bin/python" ]; then
    mkdir -p "$REPO/build"
    if ! "$py" -m venv "$VENV" >/dev/null 2>&1; then
      rm -rf "$VENV"
      (apt-get install -y -qq python3-venv >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq python3-venv >/dev/null 2>&1; })
      "$py" -m venv "$VENV" || { echo "conformance: cannot create venv" >&2; return 1; }
    fi
  fi
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$h" ]; then
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$HERE/py/requirements.txt" || { echo "conformance: pip install failed" >&2; return 1; }
    echo "$h" > "$stamp"
  fi
}

rc_js=0; rc_py=0; t_js=0; t_py=0
if [ "$WHICH" = all ] || [ "$WHICH" = js ]; then
  echo "=== JS conformance (e2b npm SDK) ==="
  if install_js; then
    t0=$(date +%s)
    (cd "$HERE/js" && node harness.mjs); rc_js=$?
    t_js=$(( $(date +%s) - t0 ))
  else rc_js=1; fi
fi
if [ "$WHICH" = all ] || [ "$WHICH" = py ]; then
  echo "=== Python conformance (e2b PyPI SDK) ==="
  if install_py; then
    t0=$(date +%s)
    (cd "$HERE/py" && "$VENV/bin/python" -m pytest -q -p no:cacheprovider -rfE .); rc_py=$?
    t_py=$(( $(date +%s) - t0 ))
  else rc_py=1; fi
fi
echo "=== conformance summary: js exit $rc_js (${t_js}s), py exit $rc_py (${t_py}s) ==="
[ $rc_js -eq 0 ] && [ $rc_py -eq 0 ]
