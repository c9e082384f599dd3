#!/usr/bin/env bash
# alert_latency.sh: how long from a CT log signing a head with a rogue certificate in it to
# Alertmanager listing pinwatch's alert. pinwatch follows a ctsim log at its head
# (poll_interval 1 s) with a throwaway PostgreSQL and a throwaway Alertmanager; each trial
# grows the log by 10 entries, one of them a precertificate from the rogue CA planted for a
# new name, and polls Alertmanager's API (every 10 ms) until that alert is listed. The time
# is measured from the new signed head's timestamp (ctsim signs it when it grows).
#   bench/alert_latency.sh [TRIALS]     (default 10)
# Target (issue 15): median <= 2 s, max <= 3 s.
set -euo pipefail
cd "$(dirname "$0")/.."
TRIALS="${1:-10}"
BUILD="${BUILD_DIR:-build/release}"

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPINWATCH_BENCH=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target pinwatch ctsim >/dev/null

work="$(mktemp -d /tmp/pinwatch-alert-bench.XXXXXX)"
pids=()
. scripts/throwaway-postgres.sh
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  stop_throwaway_postgres "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_throwaway_postgres "$work/pg"

am_port="$(free_port)"
printf 'route: {receiver: "null", group_wait: 0s, group_interval: 1s}\nreceivers: [{name: "null"}]\n' >"$work/am.yml"
prometheus-alertmanager --config.file="$work/am.yml" --storage.path="$work/am" \
  --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= >"$work/am.log" 2>&1 &
pids+=($!)
until grep -q 'Listening on' "$work/am.log" 2>/dev/null; do sleep 0.1; done

# Rogue plants at 1000 + 10*k + 5, revealed one trial at a time by growing 10 entries.
plants=()
for k in $(seq 0 $((TRIALS - 1))); do plants+=(--plant "$((1000 + 10 * k + 5)):precert:rogue::evil$k.mybank.test"); done
"$BUILD/sim/ctsim" --entries 1000 --seed alert-bench --log-list-out "$work/loglist.json" \
  --facts-out "$work/facts.json" "${plants[@]}" >"$work/ctsim.out" 2>"$work/ctsim.err" &
pids+=($!)
until grep -q 'serving' "$work/ctsim.out" 2>/dev/null; do sleep 0.1; done
sim_url="$(sed -n 's/^ctsim: serving //p' "$work/ctsim.out")"

cat >"$work/pinwatch.yaml" <<YAML
database: {url: "$PG_URL"}
logs: {lists: ["$work/loglist.json"], start: 0, poll_interval_ms: 1000}
watch:
  - {name: mybank.test, include_subdomains: true, allowed_issuers: []}
alerts: {alertmanager_urls: ["http://127.0.0.1:$am_port"]}
YAML
"$BUILD/monitor/pinwatch" --config "$work/pinwatch.yaml" migrate >/dev/null
"$BUILD/monitor/pinwatch" --config "$work/pinwatch.yaml" run 2>"$work/pinwatch.err" &
pids+=($!)
until grep -q 'at tree head 1000' "$work/pinwatch.err" 2>/dev/null; do sleep 0.1; done

python3 - "$sim_url" "$am_port" "$TRIALS" <<'PY'
import json, random, statistics, sys, time, urllib.request
sim, am_port, trials = sys.argv[1], sys.argv[2], int(sys.argv[3])
def listed(name):
    with urllib.request.urlopen(f"http://127.0.0.1:{am_port}/api/v2/alerts") as r:
        for a in json.load(r):
            if a["labels"].get("alertname") == "PinwatchUnexpectedIssuer" and name in a["annotations"].get("summary", ""):
                return True
    return False
lat = []
for k in range(trials):
    time.sleep(1 + random.random())  # a random pause: each trial starts at a random point of the 1 s poll cycle
    with urllib.request.urlopen(urllib.request.Request(sim + "sim/grow?n=10", data=b"", method="POST")) as r:
        head_ms = json.load(r)["timestamp"]
    name = f"evil{k}.mybank.test"
    deadline = time.time() + 30
    while not listed(name):
        if time.time() > deadline:
            sys.exit(f"trial {k}: no alert for {name} after 30 s")
        time.sleep(0.01)
    lat.append(time.time() - head_ms / 1000)
    print(f"trial {k}: {lat[-1]:.3f} s")
print(f"alert latency over {trials} trials: min {min(lat):.3f} s, median {statistics.median(lat):.3f} s, max {max(lat):.3f} s")
PY
