#!/usr/bin/env bash
# many_logs_bench.sh: what following many logs at their heads costs (issue 19). For each N
# of LOGS (default "10 50 100"): one ctsim process serving N logs of ENTRIES entries each
# (default 1000), every log growing by RATE/N entries a second (RATE default 1000: about
# the real ecosystem's total), a fresh database, and `pinwatch run` (forever, from entry 0,
# 1,000 watched names, /metrics on a free port). Once every log is past its first ENTRIES
# entries (pinwatch_log_position on /metrics), it waits SETTLE_S (default 10) and then
# measures over WINDOW_S seconds (default 120, two of the default poll intervals):
#   CPU     utime + stime of the pinwatch process (/proc/PID/stat) over the window, as % of
#           one core; also min–max over 10 s slices of the window (the polls are bursts)
#   RSS     VmRSS at the end of the window, and VmHWM (the peak since start)
#   threads /proc/PID/status Threads
#   sessions  PostgreSQL sessions of pinwatch's database (pg_stat_activity), and
#           pinwatch_database_connections{state} from /metrics
#   entries pinwatch_entries_processed_total over the window, per second
#   bench/many_logs_bench.sh                 (LOGS="10 50 100", RATE=1000, WINDOW_S=120)
#   POLL_MS=1000 bench/many_logs_bench.sh    logs.poll_interval_ms (default: pinwatch's own,
#                                            min(mmd/10, 60 s) = 60 s for ctsim's logs)
#   MAX_CONNECTIONS=8                        database.max_connections (pinwatch's default 8)
# Targets (issue 19), at 100 logs: CPU under 5% of one core, RSS under 150 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
LOGS="${LOGS:-10 50 100}"
RATE="${RATE:-1000}"
ENTRIES="${ENTRIES:-1000}"
WINDOW_S="${WINDOW_S:-120}"
SETTLE_S="${SETTLE_S:-10}"
SLICE_S=10
. bench/lib.sh
bench_build pinwatch ctsim
bench_begin many-logs-bench
tck="$(getconf CLK_TCK)"
printf -- '- {name: decoy%d.example, include_subdomains: true}\n' $(seq 1 999) | sed 's/^/  /' >"$work/decoys.yaml"
echo "| logs | growth | poll | CPU % of one core (10 s slices min–max) | entries/s | RSS (peak) | threads | PostgreSQL sessions (pool: in use/open) |" >"$work/table"
echo "|---|---|---|---|---|---|---|---|" >>"$work/table"

# metric NAME: the sum of a metric's series on pinwatch's /metrics (labels may hold spaces:
# the value is the last field).
metric() { curl -fsS "$metrics_url" | awk -v m="$1" '$1 == m || index($0, m "{") == 1 { s += $NF } END { print s + 0 }'; }
# logs_past N: how many logs pinwatch has processed past entry N.
logs_past() {
  curl -fsS "$metrics_url" | awk -v n="$1" 'index($0, "pinwatch_log_position{") == 1 && $NF + 0 >= n { c++ } END { print c + 0 }'
}

for n in $LOGS; do
  grow=$((RATE / n))
  bench_ctsim "ctsim$n" --logs "$n" --entries "$ENTRIES" --seed "many-$n" --grow "$grow" --grow-interval-ms 1000 \
    --threads 1 --log-list-out "$work/loglist$n.json"
  ctsim_pid="$sim_pid"
  url="$(bench_database "logs$n")"
  {
    echo "database: {url: \"$url\"${MAX_CONNECTIONS:+, max_connections: $MAX_CONNECTIONS}}"
    echo "logs: {lists: [\"$work/loglist$n.json\"], start: 0${POLL_MS:+, poll_interval_ms: $POLL_MS}}"
    echo "http: {listen: \"127.0.0.1:0\"}"
    echo "watch:"
    echo "  - {name: mybank.test, include_subdomains: true}"
    cat "$work/decoys.yaml"
  } >"$work/pinwatch$n.yaml"
  "$BUILD/monitor/pinwatch" --config "$work/pinwatch$n.yaml" migrate >/dev/null
  "$BUILD/monitor/pinwatch" --config "$work/pinwatch$n.yaml" run 2>"$work/pinwatch$n.err" &
  pw=$!
  pids+=("$pw")
  deadline=$((SECONDS + 60))
  until grep -q 'http: serving' "$work/pinwatch$n.err"; do
    [ "$SECONDS" -lt "$deadline" ] && kill -0 "$pw" 2>/dev/null || { cat "$work/pinwatch$n.err"; exit 1; }
    sleep 0.2
  done
  metrics_url="$(sed -n 's|.*http: serving \(http://[^ ]*/\).*|\1metrics|p' "$work/pinwatch$n.err")"
  start=$SECONDS
  deadline=$((SECONDS + 600))
  until [ "$(logs_past "$ENTRIES")" -ge "$n" ]; do
    [ "$SECONDS" -lt "$deadline" ] && kill -0 "$pw" 2>/dev/null || { echo "$n logs: not all past entry $ENTRIES"; tail "$work/pinwatch$n.err"; exit 1; }
    sleep 1
  done
  echo "$n logs (+$grow entries/s each): every log past entry $ENTRIES after $((SECONDS - start)) s; settling ${SETTLE_S} s, measuring ${WINDOW_S} s"
  sleep "$SETTLE_S"
  processed0="$(metric pinwatch_entries_processed_total)"
  ticks=("$(cpu_ticks "$pw")")
  t0="$(date +%s.%N)"
  for _ in $(seq 1 $((WINDOW_S / SLICE_S))); do
    sleep "$SLICE_S"
    ticks+=("$(cpu_ticks "$pw")")
  done
  t1="$(date +%s.%N)"
  processed1="$(metric pinwatch_entries_processed_total)"
  rss="$(proc_status "$pw" VmRSS)"
  hwm="$(proc_status "$pw" VmHWM)"
  threads="$(proc_status "$pw" Threads)"
  sessions="$(psql -tA "$PG_URL" -c "SELECT count(*) FROM pg_stat_activity WHERE datname = 'logs$n'")"
  pool_in_use="$(curl -fsS "$metrics_url" | awk '/^pinwatch_database_connections\{.*in_use/ { print $NF }')"
  pool_open="$(metric pinwatch_database_connections)"
  python3 - "$n" "$grow" "${POLL_MS:-default}" "$t0" "$t1" "$tck" "$processed0" "$processed1" "$rss" "$hwm" "$threads" \
    "$sessions" "${pool_in_use:-?}" "$pool_open" "$SLICE_S" "${ticks[@]}" >>"$work/table" <<'PY'
import sys
a = sys.argv[1:]
n, grow, poll = a[0], int(a[1]), a[2]
t0, t1, tck = float(a[3]), float(a[4]), int(a[5])
p0, p1, rss, hwm, threads = float(a[6]), float(a[7]), int(a[8]), int(a[9]), a[10]
sessions, in_use, pool_open, slice_s = a[11], a[12], a[13], int(a[14])
ticks = [int(t) for t in a[15:]]
cpu = (ticks[-1] - ticks[0]) / tck / (t1 - t0) * 100
slices = [(b - a_) / tck / slice_s * 100 for a_, b in zip(ticks, ticks[1:])]
poll = "60 s (default)" if poll == "default" else f"{int(poll) / 1000:g} s"
print(f"| {n} | {grow}/s each | {poll} | {cpu:.2f}% ({min(slices):.1f}–{max(slices):.1f}%) | {(p1 - p0) / (t1 - t0):,.0f} "
      f"| {rss / 1024:.0f} MB ({hwm / 1024:.0f} MB) | {threads} | {sessions} ({in_use}/{float(pool_open):.0f}) |")
PY
  tail -1 "$work/table"
  kill "$pw" "$ctsim_pid"
  wait "$pw" "$ctsim_pid" 2>/dev/null || true
done
echo
cat "$work/table"
