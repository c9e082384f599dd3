#!/usr/bin/env bash
# run_once_bench.sh: end to end, `pinwatch run --once` over a ctsim log of ENTRIES entries
# with NAMES watched names and a throwaway PostgreSQL, then certspotter (Debian package)
# over the same log. Prints entries/s, CPU seconds per 100k entries and peak RSS for
# pinwatch, certspotter's entries per CPU-second, and the ratio.
#   bench/run_once_bench.sh [ENTRIES]          (default 1000000; SKIP_CERTSPOTTER=1 to skip it)
#   DB_DELAY_MS=5 bench/run_once_bench.sh ...  the database answers 5 ms slower per round trip
#                                              (bench/delay_proxy.py between pinwatch and it)
#   WITH_ALERTS=1 bench/run_once_bench.sh ...   also http.listen (/metrics) and a throwaway
#                                              Alertmanager receiving the plants' alerts
#   NAMES="1000 100000" RUNS=3 bench/run_once_bench.sh ...
#                         the watch list: mybank.test and NAMES-1 generated names that the log
#                         does not match ("hostI.zoneJ.example.com", every other one with
#                         include_subdomains; the log's names are under example.com and
#                         others, so each lookup walks com, example.com and a miss). For each
#                         count: the start cost (`run --once` over an empty log list: config
#                         parse, watch index, database check; wall, CPU, peak RSS), then RUNS
#                         backfills in turn (each into a fresh database) and a table of
#                         entries per CPU-second, median (min–max), against the first count.
#                         Default NAMES=1000, RUNS=1.
# Targets (issue 4): >= 150,000 entries per CPU-second of the pinwatch process; peak memory
# under 100 MB and flat in the size of the log (run it with 100000 and 1000000 to compare).
# Target (issue 19): with 100,000 names, entries per CPU-second within 10% of 1,000 names.
set -euo pipefail
cd "$(dirname "$0")/.."
ENTRIES="${1:-1000000}"
NAMES="${NAMES:-1000}"
RUNS="${RUNS:-1}"
. bench/lib.sh
bench_build pinwatch ctsim
bench_begin run-once-bench

# The database URL pinwatch is given for database NAME: direct, or through the delaying proxy.
db_url() { echo "$1"; }
if [ -n "${DB_DELAY_MS:-}" ]; then
  pg_port="${PG_URL##*:}"; pg_port="${pg_port%%/*}"
  python3 bench/delay_proxy.py 0 127.0.0.1 "$pg_port" "$DB_DELAY_MS" >"$work/proxy.out" 2>&1 &
  pids+=($!)
  until grep -q listening "$work/proxy.out" 2>/dev/null; do sleep 0.1; done
  proxy_port="$(awk '{print $2}' "$work/proxy.out")"
  db_url() { echo "${1/:$pg_port\//:$proxy_port/}"; }
  echo "database behind a proxy adding ${DB_DELAY_MS} ms per round trip"
fi

if [ -n "${WITH_ALERTS:-}" ]; then
  am_port="$(free_port)"
  printf 'route: {receiver: "null"}\nreceivers: [{name: "null"}]\n' >"$work/am.yml"
  prometheus-alertmanager --config.file="$work/am.yml" --storage.path="$work/am" \
    --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= >"$work/am.log" 2>&1 &
  pids+=($!)
  until grep -q 'Listening on' "$work/am.log" 2>/dev/null; do sleep 0.1; done
  echo "alerts: to a throwaway Alertmanager on 127.0.0.1:$am_port; /metrics on a free port"
fi

# The log: ENTRIES entries, a few plants for watched names.
bench_ctsim ctsim --entries "$ENTRIES" --seed bench --log-list-out "$work/loglist.json" \
  --plant 1000:x509:normal:key-a:www.mybank.test --plant "$((ENTRIES / 2)):both:rogue:key-b:pay.mybank.test"
echo "ctsim: $(grep -o '[0-9]* log made in [0-9.]* s' "$work/ctsim.err")"
echo '{"version": "1", "log_list_timestamp": "2025-01-01T00:00:00Z", "operators": []}' >"$work/no-logs.json"

# config FILE URL LIST NAMES: a configuration following LIST with NAMES watched names.
config() {
  python3 - "$@" "${WITH_ALERTS:-}" "${am_port:-}" <<'PY'
import sys
path, url, loglist, names, alerts, am_port = sys.argv[1:7]
out = [f'database: {{url: "{url}"}}', f'logs: {{lists: ["{loglist}"], start: 0}}', "run: {progress_interval_s: 30}"]
if alerts:
    out += ['http: {listen: "127.0.0.1:0"}', f'alerts: {{alertmanager_urls: ["http://127.0.0.1:{am_port}"]}}']
out += ["watch:", "  - {name: mybank.test, include_subdomains: true}"]
for i in range(1, int(names)):
    out.append(f"  - {{name: host{i}.zone{i % 977}.example.com{', include_subdomains: true' if i % 2 else ''}}}")
open(path, "w").write("\n".join(out) + "\n")
PY
}

# timed FILE CMD...: CMD under /usr/bin/time -v (figures into FILE, its stderr into FILE.err);
# figures FILE: user and system CPU-s, peak RSS (kB) and wall seconds of what `timed` ran.
timed() {
  local file="$1"
  shift
  /usr/bin/time -v -o "$file" "$@" 2>"$file.err" >/dev/null || { cat "$file.err"; exit 1; }
}
figures() {
  echo "$(time_field "$1" 'User time') $(time_field "$1" 'System time') $(time_field "$1" 'Maximum resident set size')" \
    "$(wall_seconds "$(time_field "$1" 'Elapsed (wall clock)')")"
}

: >"$work/results"
for names in $NAMES; do
  url="$(db_url "$(bench_database "start_$names")")"
  config "$work/start_$names.yaml" "$url" "$work/no-logs.json" "$names"
  "$BUILD/monitor/pinwatch" --config "$work/start_$names.yaml" migrate >/dev/null
  timed "$work/start_$names.time" "$BUILD/monitor/pinwatch" --config "$work/start_$names.yaml" run --once
  read -r user sys rss_kb wall <<<"$(figures "$work/start_$names.time")"
  awk -v n="$names" -v u="$user" -v s="$sys" -v r="$rss_kb" -v w="$wall" -v b="$(wc -c <"$work/start_$names.yaml")" 'BEGIN {
    printf "start with %d watch names (%d bytes of YAML; run --once, no logs): %.2f s wall, %.2f CPU-s, peak RSS %.1f MiB\n", n, b, w, u + s, r / 1024 }' \
    | tee -a "$work/start"
  echo "$names $(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" >>"$work/start_cpu"
done
for run in $(seq 1 "$RUNS"); do
  for names in $NAMES; do
    db="run_${names}_$run"
    config "$work/$db.yaml" "$(db_url "$(bench_database "$db")")" "$work/loglist.json" "$names"
    "$BUILD/monitor/pinwatch" --config "$work/$db.yaml" migrate >/dev/null
    timed "$work/$db.time" "$BUILD/monitor/pinwatch" --config "$work/$db.yaml" run --once
    read -r user sys rss_kb wall <<<"$(figures "$work/$db.time")"
    findings="$("$BUILD/monitor/pinwatch" --config "$work/$db.yaml" findings --json | grep -c '"kind"')"
    echo "$names $user $sys $rss_kb $wall $findings" >>"$work/results"
    python3 - "$ENTRIES" "$names" "$user" "$sys" "$rss_kb" "$wall" "$findings" <<'PY'
import sys
n, names = int(sys.argv[1]), int(sys.argv[2])
user, sys_s, rss_kb, wall_s, findings = float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), sys.argv[7]
cpu = user + sys_s
print(f"pinwatch run --once, {names} names: {n} entries, {wall_s:.1f} s wall, {n / wall_s:,.0f} entries/s, "
      f"{cpu:.2f} CPU-s ({user:.2f} user + {sys_s:.2f} sys), {cpu / n * 100000:.3f} CPU-s per 100k entries, "
      f"{n / cpu:,.0f} entries per CPU-second, peak RSS {rss_kb / 1024:.1f} MiB, {findings} findings")
PY
  done
done
# The table: entries per CPU-second of the whole process, and net of the start cost (the
# CPU of `run --once` with the same watch list and no logs), which a long-running daemon
# pays once.
python3 - "$ENTRIES" "$work/results" "$NAMES" "$work/start_cpu" >"$work/summary" <<'PY'
import statistics, sys
n, path, order = int(sys.argv[1]), sys.argv[2], sys.argv[3].split()
start = dict((names, float(cpu)) for names, cpu in (line.split() for line in open(sys.argv[4])))
rows = {}
for line in open(path):
    names, user, sys_s, rss_kb, wall, findings = line.split()
    cpu = float(user) + float(sys_s)
    rows.setdefault(names, []).append((n / cpu, n / (cpu - start[names]), int(rss_kb) / 1024))
first = statistics.median(r[0] for r in rows[order[0]])
first_net = statistics.median(r[1] for r in rows[order[0]])
if len(order) > 1 or len(rows[order[0]]) > 1:
    print(f"\n{n:,} entries; median (min–max) of {len(rows[order[0]])} runs")
    print(f"| watch names | start CPU | entries per CPU-second | vs {order[0]} names | net of start | vs {order[0]} names | peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for names in order:
        rate, net = [r[0] for r in rows[names]], [r[1] for r in rows[names]]
        med, med_net = statistics.median(rate), statistics.median(net)
        print(f"| {int(names):,} | {start[names]:.2f} s | {med:,.0f} ({min(rate):,.0f}–{max(rate):,.0f}) | {(med / first - 1) * 100:+.1f}% "
              f"| {med_net:,.0f} ({min(net):,.0f}–{max(net):,.0f}) | {(med_net / first_net - 1) * 100:+.1f}% "
              f"| {max(r[2] for r in rows[names]):.1f} MiB |")
print(f"PINWATCH_ENTRIES_PER_CPU_S={first:.0f}")
PY
grep -v '^PINWATCH' "$work/summary"
pinwatch_rate="$(grep PINWATCH_ENTRIES_PER_CPU_S "$work/summary" | cut -d= -f2)"

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
