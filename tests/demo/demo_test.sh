#!/usr/bin/env bash
# The README's first command, as a new user sees it: scripts/demo.sh (with the suite's
# programs, PINWATCH_BUILD_DIR) must print the one-screen summary with the right facts, and
# leave nothing behind: no process, no temporary directory; also when interrupted with
# Ctrl-C (SIGINT) while it keeps the stack up (--keep).
#   tests/demo/demo_test.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1
export PINWATCH_BUILD_DIR=$2
out=$(mktemp -d /tmp/pinwatch-demo-test.XXXXXX)
trap 'rm -rf "$out"' EXIT
fail() { echo "FAILED: $*"; echo "---- demo output ----"; cat "$out/demo.out"; exit 1; }

"$src/scripts/demo.sh" > "$out/demo.out" 2>&1 || fail "scripts/demo.sh exited with $?"
cat "$out/demo.out"
expect() { grep -Eq -- "$1" "$out/demo.out" || fail "the summary lacks: $2"; }
expect '^  #[0-9]+ +critical unexpected_issuer login\.mybank\.test +issuer sha256/' "the rogue CA's finding"
expect '^  #[0-9]+ +warning +unexpected_key +api\.mybank\.test +NEW key sha256/.*certificate \+ precertificate' \
  "the new key's finding, from its precertificate and certificate"
expect '^  #[0-9]+ +info +known_key +www\.mybank\.test' "the known key's finding"
expect '^  PinwatchUnexpectedIssuer +critical active +watched=mybank\.test' "the alert as Alertmanager lists it"
expect '^  #[0-9]+ add sha256/[^ ]+ to pin-set api: lead time [0-9]+s' "the proposal line (action, pin, pin-set, lead time)"
expect '^     checks: min_pins ok, backup_pin ok, valid_certificates_pinned ok, no_unexpected_issuer_key ok, expiry ok$' \
  "the safety checks, all passing"
expect '^An app.s pin-failure report \(POST /v1/pin-reports, answered 202' "the report, accepted"
expect '^  stale_pinset on api\.mybank\.test: the server.s key sha256/' "the report's explanation"
expect '^     1 report\(s\) from 1 client\(s\); finding #[0-9]+; proposal #[0-9]+ now URGENT' "the report's finding and urgent proposal"
expect 'proposals approve [0-9]+ --operator demo-operator' "the approve command"
expect 'on the page http://127\.0\.0\.1:[0-9]+/' "the web page's URL"
expect '^  api version 2, pins: ' "the published pin-set after the approval"
expect 'openssl dgst -verify: Verified OK$' "the signature verified"
[ "$(grep -c '' "$out/demo.out")" -le 40 ] || fail "the summary is longer than one screen (40 lines)"
# The key the proposal adds is the key of the renewal's finding.
new_key=$(sed -n 's/.*NEW key \(sha256\/[^ ]*\) from.*/\1/p' "$out/demo.out")
grep -q "add $new_key to pin-set api" "$out/demo.out" || fail "the proposal is not for the new key $new_key"

# Nothing left behind.
work=$(sed -n 's#.*--config \(/tmp/pinwatch-demo\.[A-Za-z0-9]*\)/pinwatch.yaml.*#\1#p' "$out/demo.out" | head -1)
[ -n "$work" ] || fail "cannot find the demo's work directory in its output"
[ ! -e "$work" ] || fail "$work is left behind"
if pgrep -f "$work" > "$out/left"; then fail "processes left behind: $(cat "$out/left")"; fi

# Ctrl-C while it keeps everything running.
# In its own process group, as a terminal's foreground job, with SIGINT at its default: a
# background job of a script starts with SIGINT ignored, and bash cannot trap a signal
# that was ignored when it started.
/usr/bin/python3 -c 'import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.setsid()
os.execv(sys.argv[1], sys.argv[1:])' "$src/scripts/demo.sh" --keep > "$out/keep.out" 2>&1 &
demo=$!
for _ in $(seq 600); do grep -q 'Ctrl-C stops everything' "$out/keep.out" && break; kill -0 "$demo" || break; sleep 0.2; done
grep -q 'Ctrl-C stops everything' "$out/keep.out" || { cat "$out/keep.out"; echo "FAILED: --keep did not come up"; exit 1; }
work=$(sed -n 's#.*--config \(/tmp/pinwatch-demo\.[A-Za-z0-9]*\)/pinwatch.yaml.*#\1#p' "$out/keep.out" | head -1)
page=$(sed -n 's#.*the page is at \(http://127.0.0.1:[0-9]*/\).*#\1#p' "$out/keep.out")
curl -fsS -o /dev/null "$page" || { echo "FAILED: --keep: the page $page does not answer"; exit 1; }
pgrep -f "$work" > /dev/null || { echo "FAILED: --keep: nothing of $work is running"; exit 1; }
kill -INT -- "-$demo"   # what Ctrl-C does: SIGINT to the whole foreground process group
wait "$demo" || true
grep -q 'interrupted; stopping everything' "$out/keep.out" || { cat "$out/keep.out"; echo "FAILED: no word of the interrupt"; exit 1; }
[ ! -e "$work" ] || { echo "FAILED: after Ctrl-C, $work is left behind"; exit 1; }
if pgrep -f "$work" > "$out/left"; then echo "FAILED: after Ctrl-C, processes left behind: $(cat "$out/left")"; exit 1; fi
echo "demo: summary right, nothing left behind, also after Ctrl-C"
