#!/usr/bin/env bash
# The end-to-end demo, as far as pinwatch goes today: installs what is missing, builds,
# starts ctsim (the project's faithful CT log simulator) with planted certificates, and
# downloads and verifies that log over both CT APIs with ctscan, which reports the entries
# that concern watched names with their identity facts. Then it makes the log misbehave and
# shows that the client catches it.
#   scripts/demo.sh            (ENTRIES=100000 scripts/demo.sh for a bigger log)
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
build=build/release
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j "$(nproc)" --target ctsim ctscan

work="$(mktemp -d /tmp/pinwatch-demo.XXXXXX)"
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null || true
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

step "Done. The PostgreSQL-backed daemon, policy findings and alerts arrive with the next issues."
