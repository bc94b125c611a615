#!/usr/bin/env bash
# Builds everything and runs every test suite, as CI does (.ci/run calls this). Needs root.
#   1. build (scripts/build.sh installs the apt dependencies)
#   2. isolation tests of the jail layer (tests/isolation, real namespaces/cgroups), then ctest
#      (tests/unit CMocka suites, transport tests)
#   3. agent tests: the official JS SDK against a bare e2b-agent (tests/agent)
#   4. conformance: the official JS and Python SDKs against e2b-local (tests/conformance)
#   5. ctest and the same JS conformance suite against an ASan+UBSan build of e2b-local and its agent
# Set E2B_SKIP_ASAN=1 to skip step 5 locally.
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
fail=0
step() { printf '\n===== %s =====\n' "$*"; }
run() { local name=$1; shift; local t0=$SECONDS; "$@"; local rc=$?; echo "[$name] exit $rc in $((SECONDS - t0)) s"; ((rc == 0)) || fail=1; }

step build
bash scripts/build.sh || { echo "build failed"; exit 1; }

step "isolation tests (jail layer)"
run isolation build/jail_test

step "ctest (CMocka unit tests of src/protocol, transport tests)"
run ctest ctest --test-dir build --output-on-failure

step "packaging: install, then a C consumer via pkg-config (shared, static) and find_package(e2b)"
run packaging bash tests/packaging/run.sh build

step "agent tests (official JS SDK against a bare e2b-agent)"
# Both pinned SDKs live in this package (tests/conformance/run.sh reinstalls when the lock changes).
(cd tests/conformance/js && { [[ -d node_modules/e2b && -d node_modules/@e2b/code-interpreter ]] ||
  npm ci --no-audit --no-fund --loglevel=error >/dev/null; })
export E2B_SDK_DIR="$repo/tests/conformance/js" E2B_AGENT_BIN="$repo/build/e2b-agent"
run agent node --test tests/agent/

step "conformance (official JS + Python SDKs against e2b-local)"
# Four test files at a time: the suite has timing checks, and its fork-bomb and memory tests load
# the 2-core CI machine.
run conformance env E2B_CONF_CONCURRENCY=4 bash tests/conformance/run.sh all

step "bindings (Go, Node, Rust) and the e2b CLI, each against its own e2b-local"
# Each suite is self-contained: bindings/<lang>/test.sh and cli/test.sh build what they need
# against build/libe2b.so.0 and start their own servers from build/e2b-local.
for suite in bindings/*/test.sh cli/test.sh; do
  [[ -f $suite ]] && run "$suite" bash "$suite"
done

if [[ "${E2B_SKIP_ASAN:-0}" != 1 ]]; then
  step "ASan + UBSan build: JS conformance against it"
  E2B_SANITIZE=1 bash scripts/build.sh || { echo "sanitizer build failed"; exit 1; }
  run asan-ctest env ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --test-dir build-asan --output-on-failure
  # Leak checks run in e2b-local (it exits normally on SIGTERM); the agent is pid 1 of a
  # seccomp'd sandbox where LeakSanitizer cannot ptrace, and it is SIGKILLed at sandbox end.
  # Two test files at a time: sanitized binaries are slower and the suite has timing checks.
  run asan-conformance env E2B_LOCAL_BIN="$repo/build-asan/e2b-local" E2B_CONF_CONCURRENCY=2 \
    ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    bash tests/conformance/run.sh js
fi

step summary
if ((fail)); then echo "SOME TESTS FAILED"; exit 1; fi
echo "all suites passed"
