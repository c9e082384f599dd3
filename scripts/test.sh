#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds with ASan+UBSan, runs ctest, then
# runs every fuzz target for a few seconds (scripts/fuzz.sh: clang, libFuzzer, ASan+UBSan).
# The build keeps assert()s on (no NDEBUG): they guard our own invariants.
#   scripts/test.sh                 everything
#   scripts/test.sh -R merkle       only tests whose name matches (ctest -R), in both builds:
#                                   merkle_fuzz_replay here, the timed merkle_fuzz after
#   PINWATCH_SANITIZE=OFF scripts/test.sh   a plain build (faster, no sanitizers)
#   PINWATCH_FUZZ_SECONDS=60 scripts/test.sh   fuzz each target 60 s (default 5; 0 skips)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

sanitize="${PINWATCH_SANITIZE:-ON}"
build="build/test-$( [ "$sanitize" = ON ] && echo asan || echo plain )"
jobs="${PINWATCH_JOBS:-$(nproc)}"

cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g" -DPINWATCH_SANITIZE="$sanitize" >/dev/null
cmake --build "$build" -j "$jobs"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
ctest --test-dir "$build" --output-on-failure -j "$jobs" "$@" || status=$?

# The fuzzing runs even when a test above failed: their findings are independent.
if [ "${PINWATCH_FUZZ_SECONDS:-5}" != 0 ]; then
  PINWATCH_JOBS="$jobs" scripts/fuzz.sh "$@" || status=$?
fi
exit "$status"
