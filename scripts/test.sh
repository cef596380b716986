#!/bin/sh
# `make test`: every suite, in the order that fails fastest.
#   1. plain build (RelWithDebInfo, gcc) and its unit tests
#   2. ASan+UBSan build (clang, with the test-only enhanced-auth method) and its unit tests
#   3. integration tests against the plain build with `threads 1` and `threads 4`
#   4. integration tests against the ASan+UBSan build, and against a
#      ThreadSanitizer build with `threads 4`
#   5. the README's config reference matches the option table
#   6. a short libFuzzer run of every fuzz target
# Environment: JOBS (parallel build jobs), FUZZ_SECONDS (per target, default 20).
set -eu
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
PY=/usr/bin/python3

step() { printf '\n==> %s\n' "$*"; }

step "build: plain (RelWithDebInfo)"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$JOBS"

step "build: ASan+UBSan (clang)"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
    -DSANITIZE=address,undefined -DPETREL_TEST_AUTH=ON >/dev/null
cmake --build build-asan -j "$JOBS"

step "unit tests: plain"
(cd build && ctest --output-on-failure -j "$JOBS")

step "unit tests: ASan+UBSan"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -j "$JOBS")

step "integration tests: plain, threads 1"
$PY tests/integration/run.py --bin build/bin --threads 1

step "integration tests: plain, threads 4, persistence on (acknowledgements after commit)"
$PY tests/integration/run.py --bin build/bin --threads 4 --persistence

step "integration tests: ASan+UBSan, threads 2"
$PY tests/integration/run.py --bin build-asan/bin --threads 2 --sanitized

step "build: ThreadSanitizer (clang), broker only"
cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
    -DSANITIZE=thread -DPETREL_TEST_AUTH=ON >/dev/null
cmake --build build-tsan -j "$JOBS" --target petrel

step "integration tests: ThreadSanitizer, threads 4"
mkdir -p build-tsan/bin
for tool in petrel-pub petrel-sub petrel-passwd petrel-bench; do
    ln -sf "$(pwd)/build/bin/$tool" build-tsan/bin/$tool
done
TSAN_OPTIONS="halt_on_error=1 exitcode=66" \
    $PY tests/integration/run.py --bin build-tsan/bin --threads 4 --sanitized

step "config reference in README matches the option table"
scripts/gen-config-doc.sh build/bin/petrel --check

step "fuzz: ${FUZZ_SECONDS}s per target"
cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang \
    -DSANITIZE=address,undefined -DPETREL_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$JOBS"
scripts/fuzz.sh build-fuzz/fuzz "$FUZZ_SECONDS"

printf '\nall tests passed\n'
