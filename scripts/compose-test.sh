#!/usr/bin/env bash
# The container test: builds the images and brings docker-compose.yml up for real (with the
# demo profile and two pinwatch replicas), then checks what an operator would: the planted
# certificates' findings are in PostgreSQL once each, the replicas share the two logs,
# Prometheus scrapes both replicas and
# has loaded the shipped rules, pinwatch's alert reached Alertmanager, the containers are
# healthy and run as non-root, a pin-set is published, signed and served by every replica
# (also after an approval), and pinwatch stops fast on SIGTERM. Then `down -v`: nothing is
# left running, no volume is left.
#
# Needs root on Debian bookworm with Debian's mirror (../shared/containers/README.md):
# rootful podman with runc, docker-compose 1.29 over podman's socket, a debootstrap'd base
# image, and PostgreSQL/Prometheus/Alertmanager images built from Debian's packages
# (tests/containers/) because no registry is reachable. About 6-10 minutes from nothing
# (the pinwatch image compiles the two programs); the base image is reused on later runs.
#   scripts/compose-test.sh
#   KEEP_STACK=1 scripts/compose-test.sh    leave the stack up to look at it (then: see the end)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
t0=$(date +%s)
ts() { printf '[compose-test +%3ss] %s\n' "$(( $(date +%s) - t0 ))" "$*"; }
fail() { printf '[compose-test] FAILED: %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "compose-test: needs root (rootful podman)" >&2; exit 2; }

. scripts/container-engine.sh
work=$(mktemp -d /tmp/pinwatch-compose.XXXXXX)
export COMPOSE_PROJECT_NAME=pinwatch-compose-test
export COMPOSE_FILE="$root/docker-compose.yml"
compose() { docker-compose --profile demo "$@"; }
stack_up=""
# remove_leftovers removes what `down -v` may miss when interrupted (a replica that its
# restart policy was bringing back, say): the project's containers, volumes and network.
remove_leftovers() {
  local project_label="label=com.docker.compose.project=$COMPOSE_PROJECT_NAME"
  podman ps -a -q --filter "$project_label" | xargs -r podman rm -f -t 2 >/dev/null 2>&1 || true
  podman volume ls -q --filter "$project_label" | xargs -r podman volume rm -f >/dev/null 2>&1 || true
  podman network ls -q --filter "$project_label" | xargs -r podman network rm -f >/dev/null 2>&1 || true
}
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  if [ -n "$stack_up" ]; then
    if [ "$rc" -ne 0 ]; then
      echo "---- the stack when it failed ----" >&2
      compose ps >&2 || true
      compose logs --no-color --tail=30 >&2 2>&1 || true
    fi
    if [ -n "${KEEP_STACK:-}" ] && [ "$rc" -eq 0 ]; then
      echo "KEEP_STACK: left up; stop it with: DOCKER_HOST=$DOCKER_HOST COMPOSE_PROJECT_NAME=$COMPOSE_PROJECT_NAME docker-compose --profile demo down -v"
      return
    fi
    compose down -v -t 10 >/dev/null 2>&1 || true
    remove_leftovers
  fi
  engine_stop
  rm -rf "$work"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for SECONDS WHAT COMMAND...: polls COMMAND once a second until it succeeds.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  local deadline=$(( $(date +%s) + seconds ))
  until "$@" > "$work/last-try" 2>&1; do
    [ "$(date +%s)" -lt "$deadline" ] || { cat "$work/last-try" >&2; fail "after ${seconds}s still waiting for: $what"; }
    sleep 1
  done
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# 1. The engine and the images.
engine_install
command -v openssl >/dev/null && command -v python3 >/dev/null && command -v curl >/dev/null ||
  { apt-get install -y -qq --no-install-recommends openssl python3 curl >/dev/null; }
engine_configure "$work"
engine_base_image
ts "base image localhost/debian:bookworm ready"
engine_start "$work/podman-service.log"

export PINWATCH_BASE_IMAGE=localhost/debian:bookworm PINWATCH_RUNTIME_IMAGE=localhost/debian:bookworm
export PINWATCH_REVISION=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
export POSTGRES_IMAGE=localhost/pinwatch-test-postgres:latest
export PROMETHEUS_IMAGE=localhost/pinwatch-test-prometheus:latest
export ALERTMANAGER_IMAGE=localhost/pinwatch-test-alertmanager:latest
export PINWATCH_CONFIG=/etc/pinwatch/demo.yaml
export POSTGRES_PASSWORD=$(openssl rand -hex 16)
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$work/signing.pem" 2>/dev/null
openssl pkey -in "$work/signing.pem" -pubout -out "$work/signing.pub.pem"
export PINWATCH_SIGNING_KEY="$(cat "$work/signing.pem")"
export PROMETHEUS_PORT=$(free_port) ALERTMANAGER_PORT=$(free_port)

compose config -q
# The stand-ins download packages while pinwatch compiles (network against CPU).
third_party_pids=()
for svc in postgres prometheus alertmanager; do
  podman build --build-arg BASE_IMAGE=localhost/debian:bookworm -t "localhost/pinwatch-test-$svc:latest" \
    "tests/containers/$svc" > "$work/build-$svc.log" 2>&1 &
  third_party_pids+=($!)
done
# One after the other: the ctsim build reuses the pinwatch build's cached build stage.
for svc in pinwatch ctsim; do
  compose build "$svc" > "$work/build-$svc.log" 2>&1 || { tail -40 "$work/build-$svc.log" >&2; fail "building $svc"; }
  ts "image for $svc built"
done
for i in "${!third_party_pids[@]}"; do
  svc=$(echo postgres prometheus alertmanager | cut -d' ' -f$((i + 1)))
  wait "${third_party_pids[$i]}" || { tail -40 "$work/build-$svc.log" >&2; fail "building the $svc stand-in"; }
done
ts "stand-ins for postgres, prometheus, alertmanager built"
podman image inspect -f '{{.Config.User}}' localhost/pinwatch:latest | grep -qx pinwatch || fail "the pinwatch image does not run as user pinwatch"
podman image ls --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E 'pinwatch' | sed 's/^/  /'

# 2. Up: the demo profile, two replicas.
stack_up=1
compose up -d --scale pinwatch=2 > "$work/up.log" 2>&1 || { cat "$work/up.log" >&2; fail "docker-compose up"; }
ts "stack up"
mapfile -t replicas < <(compose ps -q pinwatch)
[ "${#replicas[@]}" -eq 2 ] || fail "expected 2 pinwatch replicas, found ${#replicas[@]}"
postgres=$(compose ps -q postgres)
psql() { podman exec "$postgres" psql -U pinwatch -d pinwatch -Atc "$1"; }

# 3. Findings in PostgreSQL: each planted certificate once, though two replicas run.
findings_are() {
  local got
  got=$(psql "SELECT string_agg(kind || ' ' || watched || ' ' || n, ', ' ORDER BY kind) FROM
              (SELECT kind, watched, count(*) AS n FROM findings GROUP BY kind, watched) k")
  echo "findings: $got"
  [ "$got" = "known_key mybank.test 2, unexpected_issuer mybank.test 1, unexpected_key mybank.test 1" ]
}
wait_for 180 "the planted certificates' findings in PostgreSQL" findings_are
ts "$(findings_are)"
# Two logs, two replicas: each replica follows one (leases, fair share).
shared() {
  local holders
  holders=$(psql "SELECT count(*) || ' logs, ' || count(DISTINCT lease_holder) || ' replicas holding leases' FROM logs
                  WHERE lease_holder IS NOT NULL AND lease_expires_at > now()")
  echo "$holders"
  [ "$holders" = "2 logs, 2 replicas holding leases" ]
}
wait_for 120 "the two replicas sharing the two logs" shared
ts "$(shared)"

# 4. Healthy, non-root containers.
healthy() { for c in "${replicas[@]}"; do [ "$(podman inspect -f '{{.State.Health.Status}}' "$c")" = healthy ] || return 1; done; }
wait_for 90 "both pinwatch replicas healthy (HEALTHCHECK on /healthz)" healthy
for c in "${replicas[@]}"; do
  uid=$(podman exec "$c" id -u)
  [ "$uid" != 0 ] || fail "pinwatch runs as root in $c"
done
ts "both replicas healthy, running as uid $uid"

# 5. Prometheus scrapes both replicas and has the shipped rules loaded and evaluated.
prom="http://127.0.0.1:$PROMETHEUS_PORT"
targets_up() {
  curl -fsS "$prom/api/v1/targets" | python3 -c 'import json,sys
t=[x for x in json.load(sys.stdin)["data"]["activeTargets"] if x["labels"]["job"]=="pinwatch"]
print([(x["labels"]["instance"], x["health"]) for x in t])
sys.exit(0 if len(t)==2 and all(x["health"]=="up" for x in t) else 1)'
}
wait_for 120 "Prometheus scraping both pinwatch replicas" targets_up
rules_loaded() {
  curl -fsS "$prom/api/v1/rules" | python3 -c 'import json,sys
rules=[r for g in json.load(sys.stdin)["data"]["groups"] if g["file"].endswith("pinwatch-rules.yml") for r in g["rules"]]
print(len(rules), "rules,", sorted({r["health"] for r in rules}))
sys.exit(0 if len(rules)>=10 and all(r["health"]=="ok" for r in rules) else 1)'
}
wait_for 90 "Prometheus listing pinwatch's rules as loaded and healthy" rules_loaded
ts "Prometheus: $(targets_up) targets; $(rules_loaded)"
curl -fsS "$prom/api/v1/query" --data-urlencode 'query=sum(pinwatch_findings{kind="unexpected_issuer"}) by (instance)' |
  python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print("  pinwatch_findings{kind=unexpected_issuer} by instance:", [(x["metric"]["instance"], x["value"][1]) for x in r])' || true

# 6. pinwatch's alert for the rogue certificate in Alertmanager.
am="http://127.0.0.1:$ALERTMANAGER_PORT"
alert_there() {
  curl -fsS "$am/api/v2/alerts" | python3 -c 'import json,sys
a=[x for x in json.load(sys.stdin) if x["labels"].get("alertname")=="PinwatchUnexpectedIssuer"]
print([(x["labels"]["alertname"], x["labels"].get("watched"), x["labels"].get("severity")) for x in a])
sys.exit(0 if a and a[0]["labels"].get("watched")=="mybank.test" else 1)'
}
wait_for 90 "PinwatchUnexpectedIssuer in Alertmanager" alert_there
ts "Alertmanager: $(alert_there)"

# 7. The pin-set: published, signed, served by every replica; approve the new key's
# proposal and every replica serves version 2.
port_of() { docker-compose port --index "$1" pinwatch 9464 | sed 's/.*://'; }
served_version() {  # served_version INDEX VERSION: the replica serves that version, correctly signed
  local port
  port=$(port_of "$1")
  curl -fsS -o "$work/pinset-$1.json" "http://127.0.0.1:$port/v1/pinsets/api.json" &&
  curl -fsS -o "$work/pinset-$1.sig" "http://127.0.0.1:$port/v1/pinsets/api.json.sig" &&
  base64 -d "$work/pinset-$1.sig" > "$work/pinset-$1.der" &&
  openssl dgst -sha256 -verify "$work/signing.pub.pem" -signature "$work/pinset-$1.der" "$work/pinset-$1.json" &&
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("version", d["version"]); sys.exit(0 if d["version"]==int(sys.argv[2]) else 1)' \
    "$work/pinset-$1.json" "$2"
}
wait_for 60 "replica 1 serving pin-set api version 1, signed" served_version 1 1
wait_for 60 "replica 2 serving pin-set api version 1, signed" served_version 2 1
ts "pin-set api version 1 published, signed with PINWATCH_SIGNING_KEY, served by both replicas"
pw() { podman exec "${replicas[0]}" pinwatch-entrypoint "$@"; }
new_key=sha256/AT+bsURQbKbxlBbdcHLVV8qi3nKXHQ8QW/XA7hnrQbw=   # ctsim's key-b: api.mybank.test's renewal
proposal_id() {
  pw proposals --json --status pending | python3 -c 'import json,sys
p=[x for x in json.load(sys.stdin) if x["action"]=="add" and x["pin"]==sys.argv[1] and x["pinset"]=="api"]
print(p[0]["id"]) if p else sys.exit(1)' "$new_key"
}
wait_for 60 "the add proposal for the renewal's new key" proposal_id
id=$(proposal_id)
pw operator add compose-test >/dev/null
pw proposals approve "$id" --operator compose-test --reason "compose test: the renewal's new key" | sed 's/^/  /'
wait_for 60 "replica 1 serving pin-set api version 2" served_version 1 2
wait_for 60 "replica 2 serving pin-set api version 2" served_version 2 2
grep -q "$new_key" "$work/pinset-1.json" || fail "version 2 does not pin $new_key"
cmp -s "$work/pinset-1.json" "$work/pinset-2.json" || fail "the replicas serve different bytes for version 2"
ts "proposal $id approved: both replicas serve version 2 with the new key, the same signed bytes"

# 8. SIGTERM: pinwatch stops at once and cleanly.
stop_start=$(date +%s%N)
compose stop -t 10 pinwatch > "$work/stop.log" 2>&1
stop_ms=$(( ($(date +%s%N) - stop_start) / 1000000 ))
for c in "${replicas[@]}"; do
  code=$(podman inspect -f '{{.State.ExitCode}}' "$c")
  [ "$code" = 0 ] || fail "a pinwatch replica exited with $code on SIGTERM"
done
[ "$stop_ms" -lt 8000 ] || fail "stopping pinwatch took ${stop_ms} ms: SIGTERM was not acted on"
ts "both replicas stopped on SIGTERM in ${stop_ms} ms, exit 0"

[ -n "${KEEP_STACK:-}" ] && { compose start pinwatch >/dev/null; exit 0; }

# 9. Down: nothing left behind.
compose down -v -t 10 > "$work/down.log" 2>&1 || { cat "$work/down.log" >&2; fail "docker-compose down -v"; }
stack_up=""
left=$(podman ps -a -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")
[ -z "$left" ] || fail "containers left after down -v: $left"
vols=$(podman volume ls -q --filter "label=com.docker.compose.project=$COMPOSE_PROJECT_NAME")
[ -z "$vols" ] || fail "volumes left after down -v: $vols"
ts "down -v: no container, no volume left; PASSED"
