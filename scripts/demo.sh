#!/usr/bin/env bash
# The demo: pinwatch's whole job, end to end, with nothing to configure. It installs what is
# missing, builds, and starts a throwaway PostgreSQL (initdb in a temporary directory), a
# throwaway Alertmanager and two simulated CT logs (ctsim, one served over RFC 6962, one over
# static-ct-api) with planted certificates for mybank.test: the expected certificates with
# the known key, the renewal of api.mybank.test with a new key from the allowed CA, and a
# certificate for login.mybank.test from a CA mybank never uses. The daemon follows both
# logs; the end is a one-screen summary: the findings, the alerts as Alertmanager lists
# them, the pin-set proposal for the new key with its safety checks and lead time, how to
# approve it, and the signed pin-set that apps fetch after the approval.
#   scripts/demo.sh           the summary (under two minutes once built)
#   scripts/demo.sh --tour    first ctscan over both APIs, a growing log, injected faults and a
#                             misbehaving log; after the summary every detail (JSON, exports,
#                             the audit log, metrics, an ack that ends an alert)
#   scripts/demo.sh --keep    leave everything running (the page, the API) until Ctrl-C
#   ENTRIES=100000 scripts/demo.sh    bigger logs
#   PINWATCH_BUILD_DIR=DIR scripts/demo.sh   use the programs already built in DIR (the
#                             suite runs the demo this way); nothing is built
# Everything it starts is stopped when it ends, also on Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

tour="" keep=""
for arg in "$@"; do
  case "$arg" in
    --tour) tour=1 ;;
    --keep) keep=1 ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo.sh: unknown argument $arg (see --help)" >&2; exit 2 ;;
  esac
done
entries="${ENTRIES:-20000}"
t0=$(date +%s)

work="$(mktemp -d /tmp/pinwatch-demo.XXXXXX)"
pids=()
pg_started=""
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [ -n "$pg_started" ] && stop_throwaway_postgres "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted; stopping everything it started"; exit 130' INT TERM

say() { printf '%s\n' "$*"; }
step() { [ -n "$tour" ] && printf '\n== %s\n' "$*"; return 0; }
die() { echo "demo: $*" >&2; exit 1; }
# wait_until SECONDS WHAT COMMAND...: polls COMMAND until it succeeds.
wait_until() {
  local deadline=$(( $(date +%s) + $1 )) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || die "gave up waiting for $what (logs in $work)"
    sleep 0.2
  done
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

scripts/setup.sh
if [ -n "${PINWATCH_BUILD_DIR:-}" ]; then
  build=$PINWATCH_BUILD_DIR
else
  build=build/release
  say "demo: building pinwatch and ctsim in $build (the first time takes a few minutes)"
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release > "$work/build.log" 2>&1 &&
    cmake --build "$build" -j "$(nproc)" --target ctsim ctscan pinwatch >> "$work/build.log" 2>&1 ||
    { tail -30 "$work/build.log"; die "the build failed"; }
fi
pinwatch="$build/monitor/pinwatch"
ctsim="$build/sim/ctsim"
t_built=$(date +%s)

# start_ctsim NAME ARGS...: a ctsim in the background; waits until it serves, sets url_NAME.
start_ctsim() {
  local name=$1
  shift
  "$ctsim" --port 0 "$@" > "$work/$name.out" 2> "$work/$name.err" &
  pids+=($!)
  wait_until 60 "ctsim $name to listen" grep -q '^ctsim: serving' "$work/$name.out"
  printf -v "url_$name" '%s' "$(sed -n 's/^ctsim: serving //p' "$work/$name.out")"
}

# --tour, part 1: ctscan, the bare log client, against a log of its own.
if [ -n "$tour" ]; then
  step "ctsim: $entries entries, certificates planted for mybank.test and an IDN name"
  start_ctsim scan --entries "$entries" --seed demo \
    --plant "42:x509:normal:key-a:www.mybank.test" --plant "1000:both:e1:key-a:api.mybank.test" \
    --plant "1500:precert:rogue:key-evil:login.mybank.test" --plant "7000:x509:normal::xn--bcher-kva.example" \
    --pubkey-out "$work/scan.pem"
  cat "$work/scan.err"
  ctscan() { "$build/monitor/ctscan" --url "$url_scan" --key "$work/scan.pem" "$@"; }
  step "ctscan over RFC 6962 (get-sth, get-entries, signature and Merkle root checked)"
  ctscan --api rfc6962 --batch 1000 --watch-subdomains mybank.test --watch "bücher.example"
  step "ctscan over static-ct-api (signed checkpoint, data tiles, issuers by fingerprint)"
  ctscan --api static-ct --watch-subdomains mybank.test
  step "The log grows by 5000 entries; a new scan verifies everything from the start again"
  curl -s -X POST -d '' "${url_scan}sim/grow?n=5000" >/dev/null
  ctscan --api rfc6962
  step "Faults: 429s, 500s, short and garbled answers are retried"
  curl -s -X POST -d '{"http_429_every": 10, "retry_after_s": 0, "http_500_every": 13, "short_batch_entries": 100, "garbage_every": 17}' \
    "${url_scan}sim/faults" >/dev/null
  ctscan --api rfc6962
  step "Misbehaviour: the log signs a root that does not match its entries"
  curl -s -X POST -d '{"wrong_root": true}' "${url_scan}sim/faults" >/dev/null
  rc=0
  ctscan --api static-ct || rc=$?
  echo "(ctscan exit status $rc: 3 means misbehaviour was detected, as it should be)"
  [ "$rc" -eq 3 ] || die "ctscan did not report the wrong root"
  step "The monitor daemon"
fi

# The daemon's world: PostgreSQL, Alertmanager, two logs ten days old (so their
# certificates are valid today: pin-sets care about what is served now).
. scripts/throwaway-postgres.sh
start_throwaway_postgres "$work/pg"
pg_started=1
am_port=$(free_port)
printf 'route: {receiver: "null", group_wait: 0s, group_interval: 1s}\nreceivers: [{name: "null"}]\n' > "$work/am.yml"
prometheus-alertmanager --config.file="$work/am.yml" --storage.path="$work/am" \
  --web.listen-address="127.0.0.1:$am_port" --cluster.listen-address= > "$work/am.log" 2>&1 &
pids+=($!)
am_url="http://127.0.0.1:$am_port"
epoch_ms=$(( ($(date +%s) - 10 * 86400) * 1000 ))
start_ctsim rfc6962 --entries "$entries" --seed demo-rfc6962 --epoch-ms "$epoch_ms" \
  --log-list-out "$work/list-rfc6962.json" --facts-out "$work/facts.json" \
  --plant 100:x509:normal:key-a:www.mybank.test \
  --plant 150:x509:normal:key-a:api.mybank.test \
  --plant 2000:both:e1:key-b:api.mybank.test
start_ctsim static --entries "$entries" --seed demo-static --epoch-ms "$epoch_ms" \
  --log-list-out "$work/list-static.json" --log-list-api static --facts-out "$work/facts-static.json" \
  --plant 5000:precert:rogue:key-c:login.mybank.test
wait_until 30 "Alertmanager to listen" grep -q 'Listening' "$work/am.log"

# The policy an operator would write: mybank's CA (e1) and today's key (key-a), from
# ctsim's facts as an operator takes them from their CA and their servers.
fact() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["plants"][0][sys.argv[2]])' "$work/facts.json" "$1"; }
issuer_pin=$(fact issuer_spki_sha256)
key_pin=$(fact leaf_spki_sha256)
new_key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["plants"][2]["leaf_spki_sha256"])' "$work/facts.json")
backup_pin="sha256/YmFja3VwIGtleSBrZXB0IG9mZmxpbmUsIDMyIGJ5dGU="
http_port=$(free_port)
config="$work/pinwatch.yaml"
cat > "$config" <<YAML
database:
  url: $PG_URL
logs:
  lists: ["$work/list-rfc6962.json", "$work/list-static.json"]
  start: 0
  poll_interval_ms: 1000
watch:
  - name: mybank.test
    include_subdomains: true
    allowed_issuers: ["$issuer_pin"]
    known_keys: ["$key_pin"]
http:
  listen: 127.0.0.1:$http_port
alerts:
  alertmanager_urls: [$am_url]
pinsets:
  - name: api                 # what the mobile app pins for api.mybank.test: our key and a backup
    names: [api.mybank.test]
    pins: ["$key_pin", "$backup_pin"]
    min_pins: 2
    approvals_required: 1
run:
  pinset_interval_s: 1
publish:
  signing_key: $work/signing.pem
  directory: $work/published
YAML
pw() { "$pinwatch" --config "$config" "$@"; }
pw keygen --out "$work/signing.pem" > "$work/signing.pub.pem" 2> "$work/keygen.log"
pw migrate > "$work/migrate.log"
[ -n "$tour" ] && { step "The configuration ($config)"; cat "$config"; }

t_run=$(date +%s)
# Not through pw: a function in the background is a subshell, and killing it would leave
# pinwatch running.
"$pinwatch" --config "$config" run > "$work/run.log" 2>&1 &
pids+=($!)
caught_up() {
  pw status --json | python3 -c 'import json,sys
logs=json.load(sys.stdin)
sys.exit(0 if len(logs)==2 and all(l["position"]==l["latest_tree_size"]==l["verified_tree_size"]>0 for l in logs) else 1)'
}
wait_until 300 "the daemon to reach both logs' tree heads" caught_up
t_caught=$(date +%s)
pending() { pw proposals --json --status pending | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin) else 1)'; }
wait_until 60 "the pin-set proposal" pending
alerted() { amtool --alertmanager.url="$am_url" alert query alertname=PinwatchUnexpectedIssuer | grep -q Pinwatch; }
wait_until 60 "the alert in Alertmanager" alerted

# ---- The summary. ----
short() { sed -E 's#(sha256/.{10})[^ ,]*#\1…#g'; }
say ""
say "pinwatch demo: followed 2 simulated CT logs (RFC 6962 and static-ct-api, $entries entries each),"
say "every entry verified against signed tree heads, in $((t_caught - t_run)) s. Watching mybank.test:"
say "allowed CA $(short <<<"$issuer_pin"), known key $(short <<<"$key_pin")."
say ""
say "Findings (pinwatch findings)"
pw findings --json | python3 -c 'import json,sys
for f in json.load(sys.stdin):
    kinds={"x509":"certificate","precert":"precertificate"}
    seen=" + ".join(sorted({kinds.get(e["entry_type"],e["entry_type"]) for e in f["entries"]}))
    what={"known_key":"the known key","unexpected_key":"NEW key %s from the allowed CA" % f["spki_sha256"],
          "unexpected_issuer":"issuer %s is not an allowed CA" % f["issuer_spki_sha256"]}.get(f["kind"], f["reason"])
    print("  #%-2d %-8s %-17s %-18s %s (%s)" % (f["id"], f["severity"], f["kind"], ",".join(f["names"]), what, seen))' | short
say ""
say "Alerts as Alertmanager lists them (GET $am_url/api/v2/alerts)"
curl -fs "$am_url/api/v2/alerts?filter=alertname=~\"Pinwatch.*\"" | python3 -c 'import json,sys
for a in sorted(json.load(sys.stdin), key=lambda a: a["labels"].get("finding_id","")):
    l=a["labels"]
    if l.get("alertname")=="PinwatchTest": continue
    print("  %-25s %-8s %-7s watched=%s finding_id=%s: %s" % (l.get("alertname"), l.get("severity"), a["status"]["state"],
          l.get("watched"), l.get("finding_id"), a["annotations"].get("summary","")))'
say ""
say "Pin-set proposals (pinwatch proposals): a new key is proposed before its certificate is served"
pw proposals --json --status pending | python3 -c 'import json,sys
for p in json.load(sys.stdin):
    checks=", ".join(("%s ok" if c["ok"] else "%s FAILED") % c["name"] for c in p["checks"])
    print("  #%d %s %s to pin-set %s: lead time %ss (its precertificate was logged that long before the certificate)" % (p["id"], p["action"], p["pin"], p["pinset"], p["lead_time_s"]))
    print("     checks: %s" % checks)' | short
proposal=$(pw proposals --json --status pending | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')

# An app that still pins key-a and the backup connects to api.mybank.test, which now serves
# key-b (the certificate at entry 2001), fails, and sends TrustKit's report.
scripts/trustkit-report.py "$url_rfc6962" 2001 api.mybank.test "$key_pin" "$backup_pin" > "$work/report.json"
report_status=$(curl -s -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary "@$work/report.json" "http://127.0.0.1:$http_port/v1/pin-reports")
explained() { pw reports --json | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin) else 1)'; }
wait_until 30 "the pin-failure report to be explained" explained
say ""
say "An app's pin-failure report (POST /v1/pin-reports, answered $report_status; pinwatch reports)"
pw reports --json | python3 -c 'import json,sys
for r in json.load(sys.stdin):
    print("  %s on %s: %s" % (r["classification"], r["hostname"], r["reason"]))
    print("     %d report(s) from %d client(s); finding #%s; proposal #%s%s" % (r["count"], r["distinct_clients"],
          r["finding_id"], r["proposal_id"], " now URGENT" if r["proposal_urgent"] else ""))' | short
token=$(pw operator add demo-operator | tail -1)
say "  approve it:  $pinwatch --config $config \\"
say "                 proposals approve $proposal --operator demo-operator --reason TEXT"
say "  or on the page http://127.0.0.1:$http_port/ (with --keep; token for demo-operator: $token)"
pw proposals approve "$proposal" --operator demo-operator --reason "demo: the ACME renewal's new key" > "$work/approve.log"
published() {
  curl -fs "http://127.0.0.1:$http_port/v1/pinsets/api.json" | python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin)["version"]==2 else 1)'
}
wait_until 30 "version 2 to be served" published
curl -fs -o "$work/api.json" "http://127.0.0.1:$http_port/v1/pinsets/api.json"
curl -fs "http://127.0.0.1:$http_port/v1/pinsets/api.json.sig" | base64 -d > "$work/api.sig"
verified=$(openssl dgst -sha256 -verify "$work/signing.pub.pem" -signature "$work/api.sig" "$work/api.json")
say ""
say "After demo-operator approved #$proposal: the signed pin-set apps fetch"
python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print("  %s version %d, pins: %s" % (d["name"], d["version"], ", ".join(d["pins"])))' "$work/api.json" | short
say "  GET http://127.0.0.1:$http_port/v1/pinsets/api.json (+ .sig): openssl dgst -verify: $verified"
say ""
say "Done in $(( $(date +%s) - t_built )) s. More: scripts/demo.sh --tour; scripts/demo.sh --keep keeps it running."

# --tour, part 2: every detail behind the summary.
if [ -n "$tour" ]; then
  step "pinwatch status"; pw status
  step "pinwatch findings --json (the first)"; pw findings --json --limit 1
  step "Alertmanager's view (amtool alert query)"; amtool --alertmanager.url="$am_url" alert query
  step "pinwatch pinset show api"; pw pinset show api
  step "The published document ($work/published/api.json) and an OkHttp export"
  cat "$work/published/api.json"; echo
  pw pinset export api --format okhttp
  step "pinwatch audit"; pw audit
  step "Ack the rogue certificate's finding: its alert ends"
  rogue=$(pw findings --kind unexpected_issuer --json | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
  pw ack "$rogue" --note "demo: looked at it"
  wait_until 30 "the ended alert to be delivered" grep -q "accepted finding $rogue .*(resolved)" "$work/run.log"
  grep 'alerts:' "$work/run.log" | tail -3
  amtool --alertmanager.url="$am_url" alert query
  step "Some of http://127.0.0.1:$http_port/metrics"
  curl -s "http://127.0.0.1:$http_port/metrics" |
    grep -E '^pinwatch_(log_position|log_verified_tree_size|entries_matched_total|findings\{kind="unexpected|alerts_open|alert_sender_active)' | sed 's/^/  /'
  step "Apps fetch the pin-set with an ETag"
  curl -s -D - -o /dev/null "http://127.0.0.1:$http_port/v1/pinsets/api.json" | grep -iE '^(HTTP|etag|cache-control)' | sed 's/^/  /'
fi

if [ -n "$keep" ]; then
  say ""
  say "--keep: the page is at http://127.0.0.1:$http_port/ (token: $token), Alertmanager at $am_url."
  say "Ctrl-C stops everything."
  while kill -0 "${pids[0]}" 2>/dev/null; do sleep 1; done
fi
