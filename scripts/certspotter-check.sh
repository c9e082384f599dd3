#!/usr/bin/env bash
# certspotter-check: the acceptance test of ctsim. An independent CT monitor (SSLMate's
# certspotter 0.16, Debian package) must follow a growing simulated log to its end without
# reporting any error, and must report exactly the certificates ctsim planted.
#
#   scripts/certspotter-check.sh [path/to/ctsim]      (default build/test-plain/sim/ctsim)
#
# Environment: CHECK_TIMEOUT_S (default 120) bounds the whole wait; KEEP_TMP=1 keeps the
# work directory; CTSIM_EXTRA_ARGS adds ctsim flags (e.g. "--fault-tamper-index 9" must
# make the check fail: that is how the check itself is tested). Exit status 0 = accepted; anything else = rejected (reason printed).
set -euo pipefail
cd "$(dirname "$0")/.."

CTSIM="${1:-build/test-plain/sim/ctsim}"
TIMEOUT_S="${CHECK_TIMEOUT_S:-120}"
if ! command -v certspotter >/dev/null; then
  echo "certspotter-check: installing certspotter"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq certspotter >/dev/null
fi
[ -x "$CTSIM" ] || { echo "certspotter-check: no ctsim binary at $CTSIM" >&2; exit 2; }

work="$(mktemp -d /tmp/certspotter-check.XXXXXX)"
ctsim_pid=""; cs_pid=""
cleanup() {
  [ -n "$cs_pid" ] && kill "$cs_pid" 2>/dev/null && wait "$cs_pid" 2>/dev/null || true
  [ -n "$ctsim_pid" ] && kill "$ctsim_pid" 2>/dev/null && wait "$ctsim_pid" 2>/dev/null || true
  if [ "${KEEP_TMP:-0}" = 1 ]; then echo "certspotter-check: kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

INITIAL=4000
FINAL=6000
# Plants: every entry type, every issuer kind, a shared key, and two plants that only
# exist after the log has grown (entries are added while certspotter runs).
cat > "$work/plan.json" <<'JSON'
{
  "seed": "certspotter-check",
  "plants": [
    {"index": 7,    "names": ["www.watched-bank.test"], "type": "x509", "issuer": "normal", "key": "key-a"},
    {"index": 1500, "names": ["login.watched-bank.test", "watched-bank.test"], "type": "precert", "issuer": "e2", "key": "key-a"},
    {"index": 2500, "names": ["pay.watched-bank.test"], "type": "both", "issuer": "normal", "key": "key-b"},
    {"index": 3999, "names": ["evil.watched-bank.test"], "type": "x509", "issuer": "rogue", "key": "key-evil"},
    {"index": 4321, "names": ["late.watched-bank.test"], "type": "precert", "issuer": "rogue", "key": "key-a"},
    {"index": 5998, "names": ["last.watched-bank.test"], "type": "both", "issuer": "e1", "key": ""}
  ]
}
JSON
echo ".watched-bank.test" > "$work/watchlist"

# shellcheck disable=SC2086  # CTSIM_EXTRA_ARGS is a list of flags
"$CTSIM" --plan "$work/plan.json" --entries "$INITIAL" --max-batch 128 ${CTSIM_EXTRA_ARGS:-} --port-file "$work/port" \
  --info-out "$work/info.json" --facts-out "$work/facts.json" >"$work/ctsim.out" 2>"$work/ctsim.err" &
ctsim_pid=$!

deadline=$((SECONDS + TIMEOUT_S))
until [ -s "$work/info.json" ]; do
  if ! kill -0 "$ctsim_pid" 2>/dev/null; then cat "$work/ctsim.err" >&2; echo "certspotter-check: ctsim died" >&2; exit 1; fi
  [ $SECONDS -ge $deadline ] && { echo "certspotter-check: ctsim did not start" >&2; exit 1; }
  sleep 0.1
done
url="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["url"])' "$work/info.json")"

# A v3 log list (https://www.gstatic.com/ct/log_list/v3/log_list_schema.json) naming ctsim.
python3 - "$work/info.json" "$work/loglist.json" <<'PY'
import json, sys
info = json.load(open(sys.argv[1]))
json.dump({"version": "1.0", "log_list_timestamp": "2025-01-01T00:00:00Z",
           "operators": [{"name": "ctsim", "email": ["ctsim@example.test"], "logs": [{
               "description": "ctsim simulated log", "log_id": info["log_id"], "key": info["key"],
               "url": info["url"], "mmd": 86400,
               "state": {"usable": {"timestamp": "2024-01-01T00:00:00Z"}}}]}]},
          open(sys.argv[2], "w"), indent=1)
PY
mkdir "$work/state"

verified_size() {
  python3 - "$work/state" <<'PY'
import glob, json, sys
best = 0
for f in glob.glob(sys.argv[1] + "/logs/*/state.json"):
    try:
        best = max(best, json.load(open(f)).get("verified_position", {}).get("size", 0))
    except (OSError, ValueError):
        pass
print(best)
PY
}

# run_certspotter N TARGET: run certspotter (appending to its logs) until its verified
# position reaches TARGET or the deadline passes, then stop it with SIGTERM.
# certspotter polls get-sth only every few minutes, so the test restarts it to make it
# see a grown log promptly; it resumes from its state directory, which checks that the
# grown tree extends the one it verified before.
run_certspotter() {
  local target="$2"
  certspotter -logs "$work/loglist.json" -watchlist "$work/watchlist" -state_dir "$work/state" \
    -stdout -verbose -no_save >>"$work/certspotter.out" 2>>"$work/certspotter.err" &
  cs_pid=$!
  while :; do
    verified="$(verified_size)"
    [ "$verified" -ge "$target" ] && break
    if ! kill -0 "$cs_pid" 2>/dev/null; then echo "certspotter-check: certspotter exited early" >&2; break; fi
    if [ $SECONDS -ge $deadline ]; then echo "certspotter-check: timed out at verified size $verified" >&2; break; fi
    sleep 0.3
  done
  if [ "$1" = 1 ]; then
    # The log grows while certspotter runs: two batches, each with a new STH.
    curl -sf -d ""  "${url}sim/grow?n=1000" >/dev/null
    curl -sf -d ""  "${url}sim/grow?n=$((FINAL - INITIAL - 1000))" >/dev/null
  fi
  kill "$cs_pid" 2>/dev/null || true
  wait "$cs_pid" 2>/dev/null || true
  cs_pid=""
}
verified=0
run_certspotter 1 "$INITIAL"
run_certspotter 2 "$FINAL"

echo "==== certspotter stderr ===="
cat "$work/certspotter.err"
echo "==== certspotter stdout ===="
cat "$work/certspotter.out"
echo "==== verdict ===="

fail=0
if [ "$verified" -lt "$FINAL" ]; then echo "FAIL: certspotter verified only $verified of $FINAL entries"; fail=1; fi
# Anything that is not routine progress logging counts as a complaint about the log. The
# one routine error line is the "context canceled" that our own SIGTERM causes.
complaints="$(grep -v -E 'resuming|fetched [0-9]+ logs from|starting task for log|brand new log|downloading entries from|finished downloading entries|saving state in defer|stopped with error context canceled|Received signal|shutting down' "$work/certspotter.err" || true)"
if [ -n "$complaints" ]; then echo "FAIL: certspotter complained:"; echo "$complaints"; fail=1; fi
if [ -n "$(ls -A "$work"/state/logs/*/malformed_entries 2>/dev/null)" ]; then
  echo "FAIL: certspotter saved malformed entries"; fail=1
fi
python3 - "$work/facts.json" "$work/certspotter.out" "$url" <<'PY' || fail=1
import base64, json, re, sys
facts = json.load(open(sys.argv[1]))
text = open(sys.argv[2]).read()
url = sys.argv[3]
# certspotter -stdout prints one block per certificate: "<cert sha256 hex>:" then
# "Key = value" lines (DNS Name, Pubkey = SPKI sha256 hex, Log Entry = <index> @ <url>).
reported = {}
for block in re.split(r"\n\s*\n", text):
    m = re.match(r"\s*([0-9a-f]{64}):", block)
    if not m:
        continue
    entry = re.search(r"Log Entry = (\d+) @ (\S+)", block)
    pubkey = re.search(r"Pubkey = ([0-9a-f]{64})", block)
    names = sorted(re.findall(r"DNS Name = (\S+)", block))
    reported[int(entry.group(1))] = (m.group(1), pubkey.group(1) if pubkey else None, names, entry.group(2))
expected = {}
for p in facts["plants"]:
    spki_hex = base64.b64decode(p["leaf_spki_sha256"].removeprefix("sha256/")).hex()
    for index, cert_sha in zip(p["indices"], p["cert_sha256"]):
        expected[index] = (cert_sha, spki_hex, sorted(p["names"]), url)
ok = True
for index in sorted(set(expected) | set(reported)):
    want, got = expected.get(index), reported.get(index)
    if want is None:
        print(f"FAIL: certspotter reported entry {index}, which is not a plant: {got}"); ok = False
    elif got is None:
        print(f"FAIL: certspotter did not report planted entry {index} {want[2]}"); ok = False
    elif got != want:
        print(f"FAIL: entry {index}: certspotter reported {got}, facts say {want}"); ok = False
    else:
        print(f"ok: entry {index} {want[2]} cert {want[0][:16]}... spki {want[1][:16]}...")
print(f"{len(reported)} reported, {len(expected)} planted entries")
sys.exit(0 if ok else 1)
PY

if [ "$fail" -ne 0 ]; then echo "certspotter-check: REJECTED"; exit 1; fi
echo "certspotter-check: ACCEPTED (certspotter verified $verified entries, reported every plant, no complaints)"
