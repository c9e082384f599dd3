#!/usr/bin/env bash
# config_status_bench.sh: what a big watch list costs a whole command (issue 13). For each
# NAMES (default 1 10000 100000) it writes a config with that many watch names
# ("hostI.zoneJ.example.com", every other one with include_subdomains), and prints CPU
# seconds and peak RSS under /usr/bin/time -v of
#   pinwatch status           (parses the config; builds no watch index)
#   pinwatch run --once       (also builds the one watch index; no logs to follow)
# against a throwaway PostgreSQL. Per-name heap figures: build/release/bench/pinwatch_config_bench.
#   bench/config_status_bench.sh [NAMES...]      (BUILD_DIR=build/release, JOBS=nproc by default)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD="${BUILD_DIR:-build/release}"
[ "$#" -gt 0 ] || set -- 1 10000 100000

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$BUILD" -j"${JOBS:-$(nproc)}" --target pinwatch >/dev/null

work="$(mktemp -d /tmp/pinwatch-config-bench.XXXXXX)"
. scripts/throwaway-postgres.sh
cleanup() {
  stop_throwaway_postgres "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT
start_throwaway_postgres "$work/pg"

# A log list with no logs: `run --once` builds its watch index and has nothing to follow.
echo '{"version": "1", "log_list_timestamp": "2025-01-01T00:00:00Z", "operators": []}' >"$work/no-logs.json"

config() {  # config NAMES FILE
  python3 - "$1" "$PG_URL" "$work/no-logs.json" >"$2" <<'EOF'
import sys
names, url, logs = int(sys.argv[1]), sys.argv[2], sys.argv[3]
out = ["database:", "  url: " + url, "logs:", "  lists: [" + logs + "]", "watch:"]
for i in range(names):
    out.append("  - name: host%d.zone%d.example.com" % (i, i % 977))
    if i % 2:
        out.append("    include_subdomains: true")
print("\n".join(out))
EOF
}

measure() {  # measure LABEL ARGS...: one line with CPU seconds and peak RSS
  local label="$1"
  shift
  /usr/bin/time -v "$@" >/dev/null 2>"$work/time.txt" || { cat "$work/time.txt"; exit 1; }
  awk -v label="$label" '
    /User time/ { user = $NF } /System time/ { sys = $NF } /Maximum resident/ { rss = $NF }
    END { printf "%-28s cpu %6.2f s  peak RSS %8.1f MB\n", label, user + sys, rss / 1024 }' "$work/time.txt"
}

config 1 "$work/migrate.yaml"
"$BUILD/monitor/pinwatch" --config "$work/migrate.yaml" migrate >/dev/null
for n in "$@"; do
  config "$n" "$work/watch.yaml"
  echo "$n watch names ($(wc -c <"$work/watch.yaml") bytes of YAML):"
  measure "  status" "$BUILD/monitor/pinwatch" --config "$work/watch.yaml" status
  measure "  run --once (no logs)" "$BUILD/monitor/pinwatch" --config "$work/watch.yaml" run --once
done
