#!/usr/bin/env bash
# Timed libFuzzer runs of the fuzz targets (tests/fuzz/): a clang build with
# -DPINWATCH_FUZZ=ON in build/test-fuzz (ASan+UBSan, every library instrumented), then
# ctest runs each target's timed test (named as the target) in parallel (tests/fuzz/run_fuzzer.sh). scripts/test.sh
# calls it after the main suite.
#   scripts/fuzz.sh                 every target, 5 s each
#   scripts/fuzz.sh -R leaf         only the targets whose name matches (arguments go to
#                                   ctest; only the selected targets are built)
#   PINWATCH_FUZZ_SECONDS=600 scripts/fuzz.sh   longer runs (seconds per target)
# A failing target leaves its input in build/test-fuzz/fuzz/<name>/artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."

build=build/test-fuzz
jobs="${PINWATCH_JOBS:-$(nproc)}"
export PINWATCH_FUZZ_SECONDS="${PINWATCH_FUZZ_SECONDS:-5}"
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# -O1 and line tables only: fast to build, fast enough to fuzz, and stack traces with lines.
cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DPINWATCH_FUZZ=ON -DPINWATCH_BENCH=OFF >/dev/null

# This build registers only the timed runs, each named as its target (tests/CMakeLists.txt),
# so ctest's own selection by the arguments says which targets to build.
mapfile -t targets < <(ctest --test-dir "$build" -N "$@" | sed -n 's/^ *Test *#[0-9]*: \(.*\)$/\1/p')
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz target selected"
  exit 0
fi
cmake --build "$build" -j "$jobs" --target "${targets[@]}"

status=0
ctest --test-dir "$build" --output-on-failure -j "$jobs" --timeout $((PINWATCH_FUZZ_SECONDS + 300)) "$@" || status=$?

echo "fuzz: inputs run per target (${PINWATCH_FUZZ_SECONDS} s each)"
printf '  %-24s %12s %10s %8s %8s\n' target inputs inputs/s corpus "RSS MB"
for t in "${targets[@]}"; do
  if [ -f "$build/fuzz/$t/stats" ]; then
    read -r _ runs _ per_s rss corpus <"$build/fuzz/$t/stats"
    printf '  %-24s %12s %10s %8s %8s\n' "$t" "$runs" "$per_s" "$corpus" "$rss"
  fi
done
exit "$status"
