#!/usr/bin/env bash
# Benchmark e2b-local on this machine: starts a private server (temp state dir, free port, random
# key), runs bench/e2b_local_bench.mjs against it with the official JS SDK, prints the table,
# writes bench/results/latest.json (BENCH_OUT overrides), stops the server and cleans up.
#
#   sudo bash bench/run.sh                       # full run (~25 s on 2 cores)
#   BENCH_N=10 BENCH_CONC_N=20 bash bench/run.sh # quicker
#   BENCH_ONLY=run,pause bash bench/run.sh       # some phases (cold,create,run,pause,idle memory,concurrent)
#   E2B_LOCAL_BIN=/path/e2b-local (E2B_LOCAL_BIN_COMMIT=<sha> to record what it was built from),
#   BENCH_KEEP=1 (keep the temp dir and server log)
#   BENCH_CLIENTS=0 (skip the client comparison, bench/clients.mjs), BENCH_CLIENTS_ONLY=1 (only it),
#   BENCH_PRODUCTION=0 (skip the pool/workspace/metrics benches)
#
# Exit status: non-zero only if something failed (server did not start, a request errored);
# missed performance targets are reported, not failures.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
BIN=${E2B_LOCAL_BIN:-$REPO/build/e2b-local}
JS=$REPO/tests/conformance/js

[[ $EUID == 0 ]] || { echo "bench/run.sh: must run as root (e2b-local needs it)" >&2; exit 2; }
command -v node >/dev/null || { echo "bench/run.sh: node not found" >&2; exit 2; }
command -v curl >/dev/null || { echo "bench/run.sh: curl not found" >&2; exit 2; }
if [[ ! -x $BIN ]]; then
  echo "bench/run.sh: $BIN missing, building (scripts/build.sh)" >&2
  bash scripts/build.sh
fi
if [[ ! -f $JS/node_modules/e2b/package.json ]]; then
  (cd "$JS" && npm ci --no-audit --no-fund)
fi

base=/var/tmp; [[ -d $base ]] || base=/tmp
RUN=$(mktemp -d "$base/e2b-bench-XXXXXX")
STATE=$RUN/state
mkdir "$STATE"
LOG=$RUN/server.log
KEY=e2b_$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')
SRV=

cleanup() {
  local rc=$?
  if [[ -n $SRV ]] && kill -0 "$SRV" 2>/dev/null; then
    kill -TERM "$SRV" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$SRV" 2>/dev/null; then
      echo "bench/run.sh: e2b-local did not exit 10 s after SIGTERM; SIGKILL" >&2
      kill -KILL "$SRV" 2>/dev/null || true
      [[ $rc == 0 ]] && rc=1
    fi
    wait "$SRV" 2>/dev/null || true
  fi
  # a crashed server can leave its template tmpfs (or other mounts) under the state dir
  local m
  while read -r m; do
    echo "bench/run.sh: leftover mount $m, unmounting" >&2
    umount -l "$m" || true
  done < <(awk -v s="$STATE" 'index($2, s) == 1 { print $2 }' /proc/mounts | sort -r)
  mkdir -p "$REPO/bench/results"
  cp "$LOG" "$REPO/bench/results/server-latest.log" 2>/dev/null || true
  if [[ ${BENCH_KEEP:-0} == 1 ]]; then echo "bench/run.sh: kept $RUN" >&2; else rm -rf "$RUN"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# own session: signals the server sends to its process group must not hit us
setsid "$BIN" serve --listen 127.0.0.1:0 --state-dir "$STATE" --api-key "$KEY" >"$LOG" 2>&1 &
SRV=$!
URL=
for _ in $(seq 300); do
  URL=$(sed -n 's/.*e2b-local: ready on \(http:\/\/127\.0\.0\.1:[0-9]*\).*/\1/p' "$LOG" | head -1)
  [[ -n $URL ]] && break
  kill -0 "$SRV" 2>/dev/null || { echo "bench/run.sh: e2b-local exited before ready:" >&2; tail -20 "$LOG" >&2; exit 1; }
  sleep 0.1
done
[[ -n $URL ]] || { echo "bench/run.sh: e2b-local not ready after 30 s" >&2; tail -20 "$LOG" >&2; exit 1; }
echo "bench/run.sh: e2b-local $URL (pid $SRV, state $STATE)" >&2

status=0
if [[ ${BENCH_CLIENTS_ONLY:-0} != 1 ]]; then
  E2B_API_URL=$URL E2B_SANDBOX_URL=$URL E2B_API_KEY=$KEY E2B_LOCAL_PID=$SRV E2B_LOCAL_BIN_USED=$BIN \
    node "$REPO/bench/e2b_local_bench.mjs" || status=$?
fi
# Client comparison (bench/clients.mjs): JS SDK vs libe2b vs raw libcurl (+ bindings) on this server.
if [[ ${BENCH_CLIENTS:-1} == 1 ]]; then
  [[ -x $REPO/build/client_bench ]] || cmake --build "$REPO/build" --target client_bench
  E2B_API_URL=$URL E2B_SANDBOX_URL=$URL E2B_API_KEY=$KEY \
    node --expose-gc "$REPO/bench/clients.mjs" || status=$?
fi
# Production layer (bench/c/bench_pool.c, bench_workspace.c): warm pool acquire vs cold create,
# metrics rendering, workspace push/pull of a 10,000-file tree vs per-file uploads.
if [[ ${BENCH_PRODUCTION:-1} == 1 && ${BENCH_CLIENTS_ONLY:-0} != 1 ]]; then
  out=$REPO/bench/results/production-latest.jsonl
  : >"$out"
  for b in bench_pool bench_workspace; do
    [[ -x $REPO/build/$b ]] || cmake --build "$REPO/build" --target "$b"
    echo "bench/run.sh: $b ..." >&2
    E2B_API_URL=$URL E2B_SANDBOX_URL=$URL E2B_API_KEY=$KEY "$REPO/build/$b" | tee -a "$out" || status=1
  done
fi

if grep -qiE 'error|assert|sanitizer|abort' "$LOG"; then
  echo "bench/run.sh: server log has error lines (bench/results/server-latest.log):" >&2
  grep -iE 'error|assert|sanitizer|abort' "$LOG" | head -10 >&2
fi
exit "$status"
