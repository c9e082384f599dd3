#!/usr/bin/env bash
# pin_reports_bench.sh: what a flood of pin-failure reports costs a backfill (issue 20: "a
# flood of reports must not slow the log workers"). One ctsim log of ENTRIES entries with
# planted certificates for mybank.test; `pinwatch run` with its listener backfills it into
# a fresh database, in turn:
#   quiet   nobody posts reports
#   flood   from the moment the listener is up until the log is at its head, SENDERS
#           threads post TrustKit reports (the certificate at entry 100, each from a client
#           of its own) as fast as they are answered
# RUNS rounds of the two (alternating). For each: the backfill's wall time (start to
# position = tree size, polled with `status --json`), pinwatch's CPU (utime + stime from
# /proc), and in the flood the reports taken (202) and refused (503 once the queue is full,
# 429 past the per-address rate, which this benchmark sets out of the way).
#   bench/pin_reports_bench.sh [ENTRIES]    (default 100000; RUNS=3, SENDERS=8, FLOOD_NICE=19:
#                                           0 makes the senders compete for the cores as equals)
# The flooder runs on the same machine at nice 19 (it stands for clients elsewhere);
# pinwatch's listener and report thread run at nice 10 so that the log workers come first.
# pinwatch's CPU includes what the flood costs it (reading, refusing, explaining).
set -euo pipefail
cd "$(dirname "$0")/.."
ENTRIES="${1:-100000}"
RUNS="${RUNS:-3}"
SENDERS="${SENDERS:-8}"
. bench/lib.sh
bench_build pinwatch ctsim
bench_begin pin-reports-bench

bench_ctsim ctsim --entries "$ENTRIES" --seed pin-reports-bench --log-list-out "$work/loglist.json" \
  --facts-out "$work/facts.json" --epoch-ms "$(( ($(date +%s) - 10 * 86400) * 1000 ))" \
  --plant 100:x509:e1:key-a:api.mybank.test --plant "$((ENTRIES / 2)):both:e1:key-b:api.mybank.test"
sim_url="$sim_urls"
read -r issuer key < <(python3 -c 'import json,sys; p=json.load(open(sys.argv[1]))["plants"][0]; print(p["chain_spki_sha256"][-1], p["leaf_spki_sha256"])' "$work/facts.json")

# The report every sender posts (TrustKit's form; client ids are made per post).
scripts/trustkit-report.py "$sim_url" 100 api.mybank.test sha256/YmFja3VwIGtleSBrZXB0IG9mZmxpbmUsIDMyIGJ5dGU= > "$work/report.json"

one_run() {
  local kind="$1" round="$2" name="${1}_$2" port url pid start end ticks0 ticks1
  url="$(bench_database "$name")"
  port="$(free_port)"
  cat >"$work/$name.yaml" <<YAML
database: {url: "$url"}
logs: {lists: ["$work/loglist.json"], start: 0}
run: {progress_interval_s: 3600}
http: {listen: "127.0.0.1:$port"}
reports: {per_address_per_minute: 100000}
watch:
  - {name: mybank.test, include_subdomains: true, allowed_issuers: ["$issuer"], known_keys: ["$key"]}
YAML
  "$BUILD/monitor/pinwatch" --config "$work/$name.yaml" migrate >/dev/null
  start=$(date +%s.%N)
  "$BUILD/monitor/pinwatch" --config "$work/$name.yaml" run >"$work/$name.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  until grep -q "http: serving" "$work/$name.log"; do kill -0 "$pid" || { cat "$work/$name.log"; exit 1; }; sleep 0.05; done
  ticks0=$(cpu_ticks "$pid")
  rm -f "$work/stop"
  if [ "$kind" = flood ]; then
    # At the lowest priority: the senders stand for clients elsewhere, not for a neighbour
    # taking this machine's cores.
    nice -n "${FLOOD_NICE:-19}" python3 - "$port" "$SENDERS" "$work/report.json" "$work/stop" >"$work/$name.flood" <<'PY' &
import http.client, os, sys, threading
port, senders, body, stop = int(sys.argv[1]), int(sys.argv[2]), open(sys.argv[3]).read(), sys.argv[4]
counts = {}
lock = threading.Lock()
def send(t):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    n = 0
    while not os.path.exists(stop):
        c.request("POST", "/v1/pin-reports", body.replace("CLIENT", "%d-%d" % (t, n)), {"Content-Type": "application/json"})
        r = c.getresponse(); r.read(); n += 1
        with lock: counts[r.status] = counts.get(r.status, 0) + 1
threads = [threading.Thread(target=send, args=(t,)) for t in range(senders)]
for t in threads: t.start()
for t in threads: t.join()
print(",".join("%d:%d" % kv for kv in sorted(counts.items())))
PY
    flood_pid=$!
  fi
  until "$BUILD/monitor/pinwatch" --config "$work/$name.yaml" status --json |
        python3 -c 'import json,sys; l=json.load(sys.stdin); sys.exit(0 if l and l[0]["position"]==l[0]["verified_tree_size"]==int(sys.argv[1]) else 1)' "$ENTRIES"; do
    sleep 0.2
  done
  end=$(date +%s.%N)
  ticks1=$(cpu_ticks "$pid")
  touch "$work/stop"
  local flood=""
  if [ "$kind" = flood ]; then wait "$flood_pid"; flood="$(cat "$work/$name.flood")"; fi
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local findings
  findings=$("$BUILD/monitor/pinwatch" --config "$work/$name.yaml" findings --json |
             python3 -c 'import json,sys; print(sorted(f["kind"] for f in json.load(sys.stdin) if f["kind"] in ("known_key","unexpected_key","unexpected_issuer")))')
  echo "$kind $round $(echo "$end - $start" | bc) $(( ticks1 - ticks0 )) ${flood:-none} $findings" | tee -a "$work/results"
}

echo "pin_reports_bench: $ENTRIES entries, $SENDERS senders in the flood, $RUNS rounds"
for round in $(seq 1 "$RUNS"); do
  for kind in quiet flood; do one_run "$kind" "$round"; done
done
python3 - "$ENTRIES" "$(getconf CLK_TCK)" "$work/results" <<'PY'
import statistics, sys
n, hz, rows = int(sys.argv[1]), int(sys.argv[2]), {}
for line in open(sys.argv[3]):
    kind, _, wall, ticks, flood, findings = line.split(" ", 5)
    counts = [c.split(":") for c in flood.split(",")] if flood != "none" else []
    taken = sum(int(n) for status, n in counts if status == "202")
    refused = sum(int(n) for status, n in counts if status != "202")
    rows.setdefault(kind, []).append((float(wall), int(ticks) / hz, taken, refused, findings.strip()))
med = lambda k, i: statistics.median(r[i] for r in rows[k])
print("\n| run | backfill wall | pinwatch CPU-s | entries per CPU-second | reports taken | refused |")
print("|---|---:|---:|---:|---:|---:|")
for k in ("quiet", "flood"):
    print("| %s | %.1f s | %.2f | %s | %d | %d |" % (k, med(k, 0), med(k, 1), format(int(n / med(k, 1)), ","), med(k, 2), med(k, 3)))
print("flood against quiet: wall %.2fx, pinwatch CPU %.2fx (the flood's own CPU included: the intake's parsing and explaining)"
      % (med("flood", 0) / med("quiet", 0), med("flood", 1) / med("quiet", 1)))
same = len({r[4] for k in rows for r in rows[k]}) == 1
print("certificate findings of every run equal:", "yes" if same else "NO")
sys.exit(0 if same else 1)
PY
