#!/usr/bin/env bash
# The end-to-end demo, as far as pinwatch goes today: installs what is missing, builds,
# starts ctsim (the project's faithful CT log simulator) with planted certificates, and
# downloads and verifies that log over both CT APIs with ctscan, which reports the entries
# that concern watched names with their identity facts. Then it makes the log misbehave and
# shows that the client catches it. Last, the daemon with a throwaway PostgreSQL and a
# throwaway Alertmanager: findings, the alerts as Alertmanager lists them, the pin-set
# proposal for the new key with its safety checks and lead time, its approval and the
# signed, published pin-set, an ack that ends an alert, and the metrics.
#   scripts/demo.sh            (ENTRIES=100000 scripts/demo.sh for a bigger log)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
build=build/release
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target ctsim ctscan pinwatch

work="$(mktemp -d /tmp/pinwatch-demo.XXXXXX)"
sim_pid=""; sim2_pid=""; pg_started=""; am_pid=""; run_pid=""
cleanup() {
  [ -n "$run_pid" ] && kill "$run_pid" 2>/dev/null && wait "$run_pid" 2>/dev/null || true
  [ -n "$am_pid" ] && kill "$am_pid" 2>/dev/null && wait "$am_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
  [ -n "$sim2_pid" ] && kill "$sim2_pid" 2>/dev/null && wait "$sim2_pid" 2>/dev/null || true
  [ -n "$pg_started" ] && stop_throwaway_postgres "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }

step "Starting ctsim: ${ENTRIES:-20000} entries, certificates planted for mybank.test"
"$build/sim/ctsim" --entries "${ENTRIES:-20000}" --seed demo \
  --plant "42:x509:normal:key-a:www.mybank.test" \
  --plant "1000:both:e1:key-a:api.mybank.test" \
  --plant "1500:precert:rogue:key-evil:login.mybank.test" \
  --plant "7000:x509:normal::xn--bcher-kva.example" \
  --port 0 --pubkey-out "$work/log.pem" --facts-out "$work/facts.json" \
  > "$work/ctsim.out" 2> "$work/ctsim.err" &
sim_pid=$!
# ctsim prints "ctsim: serving URL" once it listens.
url=""
for _ in $(seq 1 600); do
  url=$(sed -n 's/^ctsim: serving //p' "$work/ctsim.out")
  [ -n "$url" ] && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$work/ctsim.err"; exit 1; }
  sleep 0.1
done
[ -n "$url" ] || { echo "ctsim did not start"; exit 1; }
cat "$work/ctsim.err"
echo "log at $url; planted:"
grep -o '"index": [0-9]*, "indices": [^]]*], "entry_types": [^]]*]\|"names": [^]]*]\|"issuer": "[a-z0-9]*"' "$work/facts.json" | paste - - - | sed 's/^/  /'

step "ctscan over RFC 6962 (get-sth, get-entries, signature and Merkle root checked), watching mybank.test"
"$build/monitor/ctscan" --url "$url" --key "$work/log.pem" --api rfc6962 --batch 1000 \
  --watch-subdomains mybank.test --watch "bücher.example"

step "ctscan over static-ct-api (signed checkpoint, data tiles, issuers by fingerprint)"
"$build/monitor/ctscan" --url "$url" --key "$work/log.pem" --api static-ct --watch-subdomains mybank.test

step "The log grows by 5000 entries; a new scan verifies everything from the start again"
curl -s -X POST -d '' "${url}sim/grow?n=5000" >/dev/null
"$build/monitor/ctscan" --url "$url" --key "$work/log.pem" --api rfc6962

step "Faults: 429s, 500s, short and garbled answers are retried"
curl -s -X POST -d '{"http_429_every": 10, "retry_after_s": 0, "http_500_every": 13, "short_batch_entries": 100, "garbage_every": 17}' "${url}sim/faults" >/dev/null
"$build/monitor/ctscan" --url "$url" --key "$work/log.pem" --api rfc6962

step "Misbehaviour: the log signs a root that does not match its entries"
curl -s -X POST -d '{"wrong_root": true}' "${url}sim/faults" >/dev/null
set +e
"$build/monitor/ctscan" --url "$url" --key "$work/log.pem" --api static-ct
rc=$?
set -e
echo "(ctscan exit status $rc: 3 means misbehaviour was detected, as it should be)"
[ "$rc" -eq 3 ]

step "The monitor daemon: a throwaway PostgreSQL and Alertmanager, a second ctsim log, pinwatch run --once"
. scripts/throwaway-postgres.sh
start_throwaway_postgres "$work/pg"
pg_started=1
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
am_port=$(free_port)
printf 'route: {receiver: "null", group_wait: 0s, group_interval: 1s}\nreceivers: [{name: "null"}]\n' > "$work/am.yml"
prometheus-alertmanager --config.file="$work/am.yml" --storage.path="$work/am" \
  --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= > "$work/am.log" 2>&1 &
am_pid=$!
until grep -q 'Listening on' "$work/am.log" 2>/dev/null; do
  kill -0 "$am_pid" 2>/dev/null || { cat "$work/am.log"; exit 1; }
  sleep 0.1
done
# Ten days old, so its certificates are valid today (pin-sets care about what is served now).
"$build/sim/ctsim" --entries "${ENTRIES:-20000}" --seed demo-daemon --log-list-out "$work/loglist.json" \
  --facts-out "$work/facts2.json" --epoch-ms "$(( ($(date +%s) - 10 * 86400) * 1000 ))" \
  --plant 100:x509:normal:key-a:www.mybank.test \
  --plant 150:x509:normal:key-a:api.mybank.test \
  --plant 2000:both:e1:key-b:api.mybank.test \
  --plant 5000:precert:rogue:key-c:login.mybank.test \
  > "$work/ctsim2.out" 2> "$work/ctsim2.err" &
sim2_pid=$!
until grep -q 'serving' "$work/ctsim2.out" 2>/dev/null; do
  kill -0 "$sim2_pid" 2>/dev/null || { cat "$work/ctsim2.err"; exit 1; }
  sleep 0.1
done
# The policy: allowed issuer = the CA of the plant at 100 (e1), known key = key-a (from
# ctsim's facts file, as an operator would take them from their own CA and keys).
issuer_pin=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["plants"][0]["issuer_spki_sha256"])' "$work/facts2.json")
key_pin=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["plants"][0]["leaf_spki_sha256"])' "$work/facts2.json")
cat > "$work/pinwatch.yaml" <<YAML
database:
  url: $PG_URL
logs:
  lists: ["$work/loglist.json"]
  start: 0
  poll_interval_ms: 1000
watch:
  - name: mybank.test
    include_subdomains: true
    allowed_issuers: ["$issuer_pin"]
    known_keys: ["$key_pin"]
http:
  listen: 127.0.0.1:0
alerts:
  alertmanager_urls: [http://127.0.0.1:$am_port]
pinsets:
  - name: api                 # what the mobile app pins for api.mybank.test: our key and a backup
    names: [api.mybank.test]
    pins: ["$key_pin", "sha256/YmFja3VwIGtleSBrZXB0IG9mZmxpbmUsIDMyIGJ5dGU="]
    min_pins: 2
    approvals_required: 1
publish:
  signing_key: $work/signing.pem
  directory: $work/published
YAML
"$build/monitor/pinwatch" keygen --out "$work/signing.pem" > "$work/signing.pub.pem"
cat "$work/pinwatch.yaml"
"$build/monitor/pinwatch" --config "$work/pinwatch.yaml" migrate
"$build/monitor/pinwatch" --config "$work/pinwatch.yaml" alerts test
"$build/monitor/pinwatch" --config "$work/pinwatch.yaml" run --once
"$build/monitor/pinwatch" --config "$work/pinwatch.yaml" status
"$build/monitor/pinwatch" --config "$work/pinwatch.yaml" findings
echo "(known_key for www and api (today's key), unexpected_key for api's renewal with a new key"
echo " (precert + final certificate: one finding, two entries),"
echo " unexpected_issuer for login: a rogue CA)"
"$build/monitor/pinwatch" --config "$work/pinwatch.yaml" findings --json | head -40

step "The alerts as Alertmanager lists them (amtool alert query)"
amtool --alertmanager.url="http://127.0.0.1:$am_port" alert query
echo "(known_key is info: no alert; the test alert ends by itself)"

step "Pin-sets: the new key of api.mybank.test is proposed before its certificate is served"
"$build/monitor/pinwatch" --config "$work/pinwatch.yaml" proposals
"$build/monitor/pinwatch" --config "$work/pinwatch.yaml" proposals --json |
  python3 -c 'import json,sys
for p in json.load(sys.stdin):
    print("proposal %d: %s %s to pin-set %s, lead time %ss, checks %s" % (p["id"], p["action"], p["pin"], p["pinset"],
          p["lead_time_s"], "pass" if p["checks_pass"] else "FAIL"))'
proposal=$("$build/monitor/pinwatch" --config "$work/pinwatch.yaml" proposals --json --status pending |
  python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
echo "(the rogue CA's key is never proposed; to approve: pinwatch --config FILE proposals approve $proposal --operator NAME --reason TEXT)"
"$build/monitor/pinwatch" --config "$work/pinwatch.yaml" operator add demo-operator >/dev/null
"$build/monitor/pinwatch" --config "$work/pinwatch.yaml" proposals approve "$proposal" --operator demo-operator \
  --reason "demo: the ACME renewal's new key"
"$build/monitor/pinwatch" --config "$work/pinwatch.yaml" pinset show api
echo "The published, signed pin-set ($work/published/api.json):"
cat "$work/published/api.json"; echo
openssl dgst -sha256 -verify "$work/signing.pub.pem" -signature <(base64 -d "$work/published/api.json.sig") \
  "$work/published/api.json"
"$build/monitor/pinwatch" --config "$work/pinwatch.yaml" pinset export api --format okhttp
"$build/monitor/pinwatch" --config "$work/pinwatch.yaml" audit

step "pinwatch run, with /metrics on http.listen; ack the rogue certificate's finding"
"$build/monitor/pinwatch" --config "$work/pinwatch.yaml" run > "$work/run.log" 2>&1 &
run_pid=$!
until grep -q 'http: serving' "$work/run.log" 2>/dev/null; do
  kill -0 "$run_pid" 2>/dev/null || { cat "$work/run.log"; exit 1; }
  sleep 0.1
done
metrics_url=$(sed -n 's#.*http: serving \(http://[0-9.:]*/\).*#\1#p' "$work/run.log")metrics
rogue=$("$build/monitor/pinwatch" --config "$work/pinwatch.yaml" findings --kind unexpected_issuer --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
"$build/monitor/pinwatch" --config "$work/pinwatch.yaml" ack "$rogue" --note "demo: looked at it"
until grep -q "accepted finding $rogue .*(resolved)" "$work/run.log" 2>/dev/null; do
  kill -0 "$run_pid" 2>/dev/null || { cat "$work/run.log"; exit 1; }
  sleep 0.1
done
grep 'alerts:' "$work/run.log"
amtool --alertmanager.url="http://127.0.0.1:$am_port" alert query
echo "(the rogue certificate's alert ended with the ack)"
echo "Some of $metrics_url:"
curl -s "$metrics_url" | grep -E '^pinwatch_(log_position|log_verified_tree_size|entries_matched_total|findings\{kind="unexpected|alerts_open|alert_sender_active)' | sed 's/^/  /'

pinset_url=$(sed -n 's#.*http: serving \(http://[0-9.:]*/\).*#\1#p' "$work/run.log")v1/pinsets/api.json
echo "Apps fetch $pinset_url (and .sig):"
curl -s -D - -o /dev/null "$pinset_url" | grep -iE '^(HTTP|etag|cache-control)' | sed 's/^/  /'

step "Done. The operator page is at http.listen's / and the API under /api/v1/ (README: The operator API)."
