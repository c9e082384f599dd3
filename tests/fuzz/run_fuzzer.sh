#!/usr/bin/env bash
# One bounded libFuzzer run: ctest's test `<name>` in a -DPINWATCH_FUZZ=ON build
# (cmake/pinwatch.cmake registers it; scripts/fuzz.sh runs them all).
#   run_fuzzer.sh FUZZER WORKDIR [-libfuzzer_flag=value...] SEED...
# SEEDs are files or directories (the repository's corpus and shared testdata). They are
# copied into a fresh WORKDIR/corpus, which libFuzzer grows; the seeds themselves are never
# written. A crashing, leaking, too slow or too large input fails the test and is left in
# WORKDIR/artifacts/. The run's figures go to WORKDIR/stats.
# Environment: PINWATCH_FUZZ_SECONDS (default 5) per target, PINWATCH_FUZZ_TIMEOUT_S
# (default 10) per input, PINWATCH_FUZZ_RSS_MB (default 2048).
set -uo pipefail

fuzzer="$1" work="$2"
shift 2
flags=()
while [ $# -gt 0 ] && [[ "$1" == -* ]]; do
  flags+=("$1")
  shift
done
name="$(basename "$fuzzer")"
seconds="${PINWATCH_FUZZ_SECONDS:-5}"
timeout_s="${PINWATCH_FUZZ_TIMEOUT_S:-10}"
rss_mb="${PINWATCH_FUZZ_RSS_MB:-2048}"

# Any sanitizer report ends the run, but for the third-party ones ubsan.supp names.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}:halt_on_error=1:suppressions=$(dirname "$0")/ubsan.supp"

rm -rf "$work/corpus" "$work/artifacts" "$work/stats"
mkdir -p "$work/corpus" "$work/artifacts"

# Seeds are named by their content: files of the same name in different directories
# (each log's get-sth_response.json) must not overwrite each other.
seeds=0
home_corpus=""
for seed in "$@"; do
  if [ ! -e "$seed" ]; then
    echo "$name: seed $seed is absent; fuzzing without it"
    continue
  fi
  case "$seed" in */tests/fuzz/corpus/*) [ -z "$home_corpus" ] && home_corpus="$seed" ;; esac
  while IFS= read -r -d '' f; do
    sum="$(sha1sum <"$f")"
    cp "$f" "$work/corpus/${sum%% *}"
    seeds=$((seeds + 1))
  done < <(find "$seed" -type f -print0)
done

"$fuzzer" -max_total_time="$seconds" -timeout="$timeout_s" -rss_limit_mb="$rss_mb" \
  -print_final_stats=1 -artifact_prefix="$work/artifacts/" "${flags[@]}" "$work/corpus" 2>&1 | tee "$work/log"
rc=${PIPESTATUS[0]}

stat() { sed -n "s/^stat::$1: *//p" "$work/log" | tail -n 1; }
runs="$(stat number_of_executed_units)"
per_s="$(stat average_exec_per_sec)"
rss="$(stat peak_rss_mb)"
corpus_now="$(find "$work/corpus" -type f | wc -l)"
printf '%s %s %s %s %s %s\n' "$name" "${runs:-0}" "$seconds" "${per_s:-0}" "${rss:-0}" "$corpus_now" >"$work/stats"
echo "$name: ${runs:-?} inputs in ${seconds} s (${per_s:-?}/s), ${seeds} seeds, corpus now ${corpus_now}, peak RSS ${rss:-?} MB"

if [ "$rc" -ne 0 ]; then
  echo "$name: FAILED (libFuzzer exit $rc). The input that failed:"
  find "$work/artifacts" -type f -printf '  %p\n'
  echo "Reproduce: $fuzzer ARTIFACT"
  echo "Keep it as a regression test (replayed by ${name}_replay in every GCC build):"
  echo "  cp ARTIFACT ${home_corpus:-tests/fuzz/corpus/<dir>}/<what-it-is>"
  exit "$rc"
fi
if [ -z "$runs" ] || [ "$runs" -eq 0 ]; then
  echo "$name: FAILED: libFuzzer reported no executed inputs"
  exit 1
fi
