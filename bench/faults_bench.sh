#!/usr/bin/env bash
# faults_bench.sh: what injected log faults cost a backfill (issue 19). One ctsim log of
# ENTRIES entries with a few planted certificates for the watched mybank.test; `pinwatch run
# --once` backfills it into a fresh database, in turn:
#   clean    no faults
#   faults   about 20% of the log's requests fail: 429 (Retry-After RETRY_AFTER_S), 500, a
#            body cut in half, a garbage body (every-K values below; the exact share of
#            failing requests is computed from them and printed)
#   short    no failures, but get-entries answers at most SHORT_BATCH entries (pinwatch asks
#            for 256, so every batch takes two requests: a real log's cap, not a failure)
#   +short   the faults and the short answers together
# RUNS rounds of the four (alternating, so a drift of the machine hits all alike). For each
# it prints pinwatch's entries per CPU-second (user + sys of the pinwatch process, from
# /usr/bin/time -v), wall time and peak RSS, as median (min–max), and the ratios to the
# clean run;
# and it checks that every run's findings equal the clean run's (kind, severity, names,
# keys, TBS hash, entries), printing the verdict (exit 1 if they differ).
#   bench/faults_bench.sh [ENTRIES]        (default 200000; RUNS=3, RETRY_AFTER_S=0, SHORT_BATCH=128)
#   IN_FLIGHT=N bench/faults_bench.sh      logs.requests_in_flight (default: pinwatch's, 4)
#   KINDS="clean faults" ...               which of the runs (default all four; clean first)
# Target: the faulty runs within 1.5x of the clean run, in entries per CPU-second and in
# wall time. Retry-After: a 429 makes pinwatch wait at least RETRY_AFTER_S seconds before it
# asks again (max of its own jittered backoff and the server's value); that wait is the
# log's demand, not pinwatch's cost, so the target is judged with RETRY_AFTER_S=0 (the
# backoff alone), and RETRY_AFTER_S=1 shows what the log's demand adds to the wall time
# (CPU per entry does not depend on it).
set -euo pipefail
cd "$(dirname "$0")/.."
ENTRIES="${1:-200000}"
RUNS="${RUNS:-3}"
RETRY_AFTER_S="${RETRY_AFTER_S:-0}"
SHORT_BATCH="${SHORT_BATCH:-128}"
# Primes, so that the faults rarely coincide and no piece is failed over and over.
# (EVERY_429=K etc. change them; 0 turns one off.)
EVERY_429="${EVERY_429:-23}" EVERY_500="${EVERY_500:-29}" EVERY_TRUNCATE="${EVERY_TRUNCATE:-17}" EVERY_GARBAGE="${EVERY_GARBAGE:-13}"
. bench/lib.sh
bench_build pinwatch ctsim
bench_begin faults-bench

FAULTS="{\"http_429_every\":$EVERY_429,\"retry_after_s\":$RETRY_AFTER_S,\"http_500_every\":$EVERY_500,\"truncate_every\":$EVERY_TRUNCATE,\"garbage_every\":$EVERY_GARBAGE}"
FAULTS_SHORT="${FAULTS%\}},\"short_batch_entries\":$SHORT_BATCH}"
# ctsim answers request n with 429 if EVERY_429 divides n, else 500 if EVERY_500 does, else
# a cut body if EVERY_TRUNCATE does, else garbage if EVERY_GARBAGE does.
python3 - "$EVERY_429" "$EVERY_500" "$EVERY_TRUNCATE" "$EVERY_GARBAGE" <<'PY'
import math, sys
ks = [int(k) for k in sys.argv[1:]]
on = [k for k in ks if k > 0]
cycle = math.lcm(*on)
failing = sum(1 for n in range(1, cycle + 1) if any(n % k == 0 for k in on))
print(f"faults: 429 every {ks[0]}, 500 every {ks[1]}, truncated body every {ks[2]}, garbage body every {ks[3]} "
      f"requests: {failing / cycle:.1%} of requests fail")
PY
echo "faults: 429 with Retry-After $RETRY_AFTER_S s; short: get-entries answers at most $SHORT_BATCH entries; requests in flight: ${IN_FLIGHT:-4 (default)}"

plants=(
  --plant 1000:x509:normal:key-a:www.mybank.test
  --plant "$((ENTRIES / 4)):both:rogue:key-b:pay.mybank.test"
  --plant "$((ENTRIES / 2)):precert:e1::api.mybank.test"
  --plant "$((ENTRIES * 3 / 4)):malformed:normal::mail.mybank.test"
  --plant "$((ENTRIES - 10)):x509:e2:key-a:mybank.test"
)
bench_ctsim ctsim --entries "$ENTRIES" --seed faults-bench --log-list-out "$work/loglist.json" "${plants[@]}"
sim_url="$sim_urls"
echo "ctsim: $ENTRIES entries at $sim_url"

set_faults() { curl -fsS -X POST --data "$1" "${sim_url}sim/faults" >/dev/null; }

# findings_of URL: the findings, without what differs between runs (ids, times), sorted.
findings_of() {
  "$BUILD/monitor/pinwatch" --config "$work/$1.yaml" findings --json | python3 -c '
import json, sys
keep = ("kind", "severity", "names", "watched", "spki_sha256", "issuer_spki_sha256", "tbs_sha256",
        "not_before", "not_after")
out = []
for f in json.load(sys.stdin):
    g = {k: f.get(k) for k in keep}
    g["entries"] = sorted((e["log_id"], e["index"], e["entry_type"]) for e in f.get("entries", []))
    out.append(g)
print(json.dumps(sorted(out, key=json.dumps), indent=1))'
}

# one_run KIND ROUND: a fresh database, `run --once`, a line of figures in $work/results.
one_run() {
  local kind="$1" round="$2" name="${1/+/faults}_$2"
  local url
  url="$(bench_database "$name")"
  cat >"$work/$name.yaml" <<YAML
database: {url: "$url"}
logs: {lists: ["$work/loglist.json"], start: 0${IN_FLIGHT:+, requests_in_flight: $IN_FLIGHT}}
run: {progress_interval_s: 3600}
watch:
  - {name: mybank.test, include_subdomains: true, allowed_issuers: []}
YAML
  "$BUILD/monitor/pinwatch" --config "$work/$name.yaml" migrate >/dev/null
  case "$kind" in
    clean) set_faults '{}' ;;
    faults) set_faults "$FAULTS" ;;
    short) set_faults "{\"short_batch_entries\":$SHORT_BATCH}" ;;
    +short) set_faults "$FAULTS_SHORT" ;;
  esac
  /usr/bin/time -v -o "$work/$name.time" "$BUILD/monitor/pinwatch" --config "$work/$name.yaml" run --once \
    2>"$work/$name.err" || { echo "$kind run $round failed:"; cat "$work/$name.err"; exit 1; }
  set_faults '{}'
  findings_of "$name" >"$work/$name.findings"
  local user sys wall rss
  user="$(time_field "$work/$name.time" 'User time')"
  rss="$(time_field "$work/$name.time" 'Maximum resident set size')"
  sys="$(time_field "$work/$name.time" 'System time')"
  wall="$(wall_seconds "$(time_field "$work/$name.time" 'Elapsed (wall clock)')")"
  echo "$kind $round $user $sys $wall $(grep -c '"kind"' "$work/$name.findings") $rss" >>"$work/results"
  awk -v k="$kind" -v r="$round" -v u="$user" -v s="$sys" -v w="$wall" -v f="$(grep -c '"kind"' "$work/$name.findings")" \
    -v m="$rss" 'BEGIN { printf "  %-7s round %d: %6.2f CPU-s, %6.1f s wall, %d findings, %d MiB peak RSS\n", k, r, u + s, w, f, m / 1024 }'
}

for round in $(seq 1 "$RUNS"); do
  for kind in ${KINDS:-clean short faults +short}; do one_run "$kind" "$round"; done
done

same=yes
for f in "$work"/*.findings; do
  cmp -s "$f" "$work/clean_1.findings" || { same=no; echo "findings differ: $(basename "$f") vs clean_1"; diff "$work/clean_1.findings" "$f" | head -20; }
done
python3 - "$ENTRIES" "$work/results" "$same" <<'PY'
import statistics, sys
n, path, same = int(sys.argv[1]), sys.argv[2], sys.argv[3]
rows = {}
for line in open(path):
    kind, _, user, sys_s, wall, findings, rss_kb = line.split()
    rows.setdefault(kind, []).append((n / (float(user) + float(sys_s)), float(wall), int(findings),
                                      int(rss_kb) / 1024))
def fmt(xs, f):
    return f"{f(statistics.median(xs))} ({f(min(xs))}–{f(max(xs))})"
clean_rate = statistics.median(r[0] for r in rows["clean"])
clean_wall = statistics.median(r[1] for r in rows["clean"])
print(f"\n{n:,} entries, {len(rows['clean'])} runs each; median (min–max)")
print(f"| run | entries per CPU-second | wall time | CPU per entry vs clean | wall time vs clean | peak RSS | findings |")
print(f"|---|---|---|---|---|---|---|")
for kind in ("clean", "short", "faults", "+short"):
    if kind not in rows: continue
    rs = rows[kind]
    rate = [r[0] for r in rs]
    wall = [r[1] for r in rs]
    rss = [r[3] for r in rs]
    print(f"| {kind} | {fmt(rate, lambda x: f'{x:,.0f}')} | {fmt(wall, lambda x: f'{x:.1f} s')} "
          f"| {clean_rate / statistics.median(rate):.2f}x | {statistics.median(wall) / clean_wall:.2f}x "
          f"| {fmt(rss, lambda x: f'{x:.0f} MiB')} | {rs[0][2]} |")
med = lambda kind, i: statistics.median(r[i] for r in rows[kind])
if "short" in rows and "+short" in rows: print(f"faults with short answers against short answers alone: {med('short', 0) / med('+short', 0):.2f}x CPU per entry, "
      f"{med('+short', 1) / med('short', 1):.2f}x wall time")
print(f"findings of every run equal the clean run's: {same}")
PY
[ "$same" = yes ]
