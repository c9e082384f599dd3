#!/usr/bin/env bash
# run_once_bench.sh: end to end, `pinwatch run --once` over a ctsim log of ENTRIES entries
# with 1,000 watched names and a throwaway PostgreSQL, then certspotter (Debian package)
# over the same log. Prints entries/s, CPU seconds per 100k entries and peak RSS for
# pinwatch, certspotter's entries per CPU-second, and the ratio.
#   bench/run_once_bench.sh [ENTRIES]          (default 1000000; SKIP_CERTSPOTTER=1 to skip it)
#   DB_DELAY_MS=5 bench/run_once_bench.sh ...  the database answers 5 ms slower per round trip
#                                              (bench/delay_proxy.py between pinwatch and it)
#   WITH_ALERTS=1 bench/run_once_bench.sh ...   also http.listen (/metrics) and a throwaway
#                                              Alertmanager receiving the plants' alerts
# Targets (issue 4): >= 150,000 entries per CPU-second of the pinwatch process; peak memory
# under 100 MB and flat in the size of the log (run it with 100000 and 1000000 to compare).
set -euo pipefail
cd "$(dirname "$0")/.."
ENTRIES="${1:-1000000}"
BUILD="${BUILD_DIR:-build/release}"

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPINWATCH_BENCH=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target pinwatch ctsim >/dev/null

work="$(mktemp -d /tmp/pinwatch-bench.XXXXXX)"
pids=()
. scripts/throwaway-postgres.sh
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  stop_throwaway_postgres "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT

# A throwaway PostgreSQL on a free loopback port (fsync stays on: real commits).
start_throwaway_postgres "$work/pg"
db="$PG_URL"
if [ -n "${DB_DELAY_MS:-}" ]; then
  pg_port="${PG_URL##*:}"; pg_port="${pg_port%%/*}"
  python3 bench/delay_proxy.py 0 127.0.0.1 "$pg_port" "$DB_DELAY_MS" >"$work/proxy.out" 2>&1 &
  pids+=($!)
  until grep -q listening "$work/proxy.out" 2>/dev/null; do sleep 0.1; done
  db="${PG_URL/:$pg_port\//:$(awk '{print $2}' "$work/proxy.out")/}"
  echo "database behind a proxy adding ${DB_DELAY_MS} ms per round trip"
fi

if [ -n "${WITH_ALERTS:-}" ]; then
  am_port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  printf 'route: {receiver: "null"}\nreceivers: [{name: "null"}]\n' >"$work/am.yml"
  prometheus-alertmanager --config.file="$work/am.yml" --storage.path="$work/am" \
    --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= >"$work/am.log" 2>&1 &
  pids+=($!)
  until grep -q 'Listening on' "$work/am.log" 2>/dev/null; do sleep 0.1; done
  echo "alerts: to a throwaway Alertmanager on 127.0.0.1:$am_port; /metrics on a free port"
fi

# The log: ENTRIES entries, a few plants for watched names.
"$BUILD/sim/ctsim" --entries "$ENTRIES" --seed bench --log-list-out "$work/loglist.json" \
  --plant 1000:x509:normal:key-a:www.mybank.test --plant 500000:both:rogue:key-b:pay.mybank.test \
  >"$work/ctsim.out" 2>"$work/ctsim.err" &
pids+=($!)
until grep -q 'serving' "$work/ctsim.out" 2>/dev/null; do
  kill -0 "${pids[0]}" 2>/dev/null || { cat "$work/ctsim.err"; exit 1; }
  sleep 0.2
done
echo "ctsim: $(grep -o '[0-9]* entries in [0-9.]* s' "$work/ctsim.err")"

{
  echo "database: {url: \"$db\"}"
  echo "logs: {lists: [\"$work/loglist.json\"], start: 0}"
  echo "run: {progress_interval_s: 30}"
  if [ -n "${WITH_ALERTS:-}" ]; then
    echo "http: {listen: \"127.0.0.1:0\"}"
    echo "alerts: {alertmanager_urls: [\"http://127.0.0.1:$am_port\"]}"
  fi
  echo "watch:"
  echo "  - {name: mybank.test, include_subdomains: true}"
  for i in $(seq 1 999); do echo "  - {name: decoy$i.example, include_subdomains: true}"; done
} >"$work/pinwatch.yaml"
"$BUILD/monitor/pinwatch" --config "$work/pinwatch.yaml" migrate >/dev/null

/usr/bin/time -v -o "$work/time.txt" "$BUILD/monitor/pinwatch" --config "$work/pinwatch.yaml" run --once \
  2>"$work/pinwatch.err"
field() { grep "$1" "$work/time.txt" | awk -F': ' '{print $2}'; }
user="$(field 'User time')"; sys="$(field 'System time')"; rss_kb="$(field 'Maximum resident set size')"
wall="$(field 'Elapsed (wall clock)')"
findings="$("$BUILD/monitor/pinwatch" --config "$work/pinwatch.yaml" findings --json | grep -c '"kind"')"
python3 - "$ENTRIES" "$user" "$sys" "$rss_kb" "$wall" "$findings" >"$work/pinwatch.summary" <<'PY'
import sys
n, user, sys_s, rss_kb, wall, findings = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5], sys.argv[6]
parts = [float(p) for p in wall.split(":")]
wall_s = sum(p * 60 ** i for i, p in enumerate(reversed(parts)))
cpu = user + sys_s
print(f"pinwatch run --once: {n} entries, {wall_s:.1f} s wall, {n / wall_s:,.0f} entries/s, "
      f"{cpu:.2f} CPU-s ({user:.2f} user + {sys_s:.2f} sys), {cpu / n * 100000:.3f} CPU-s per 100k entries, "
      f"{n / cpu:,.0f} entries per CPU-second, peak RSS {rss_kb / 1024:.1f} MiB, {findings} findings")
print(f"PINWATCH_ENTRIES_PER_CPU_S={n / cpu:.0f}")
PY
grep -v '^PINWATCH' "$work/pinwatch.summary"
pinwatch_rate="$(grep PINWATCH_ENTRIES_PER_CPU_S "$work/pinwatch.summary" | cut -d= -f2)"

[ "${SKIP_CERTSPOTTER:-0}" = 1 ] && exit 0
command -v certspotter >/dev/null || { echo "certspotter not installed (apt-get install certspotter)"; exit 0; }
# certspotter follows forever: sample its CPU time from /proc until its state says the whole
# log is verified, then stop it.
echo ".mybank.test" >"$work/watchlist"
mkdir "$work/cs"
start=$SECONDS
certspotter -logs "$work/loglist.json" -watchlist "$work/watchlist" -state_dir "$work/cs" -stdout -no_save \
  >"$work/cs.out" 2>"$work/cs.err" &
cs=$!
pids+=($cs)
tck="$(getconf CLK_TCK)"
cs_cpu=0
while kill -0 "$cs" 2>/dev/null; do
  ticks="$(awk '{print $14 + $15}' "/proc/$cs/stat" 2>/dev/null || echo 0)"
  [ "$ticks" -gt 0 ] && cs_cpu="$ticks"
  size="$(python3 -c '
import glob, json, sys
best = 0
for f in glob.glob(sys.argv[1] + "/logs/*/state.json"):
    try: best = max(best, json.load(open(f)).get("verified_position", {}).get("size", 0))
    except (OSError, ValueError): pass
print(best)' "$work/cs")"
  [ "$size" -ge "$ENTRIES" ] && break
  sleep 1
done
kill "$cs" 2>/dev/null || true
python3 - "$ENTRIES" "$cs_cpu" "$tck" "$((SECONDS - start))" "$pinwatch_rate" <<'PY'
import sys
n, ticks, tck, wall, pw = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
cpu = ticks / tck
print(f"certspotter: {n} entries, ~{wall} s wall, {cpu:.1f} CPU-s, {n / cpu:,.0f} entries per CPU-second")
print(f"ratio: pinwatch processes {pw / (n / cpu):.1f}x more entries per CPU-second than certspotter")
PY
