#!/usr/bin/env bash
# pinset_bench.sh: what the pin-set job costs as the store grows. A throwaway PostgreSQL
# holds CERTS stored certificates for a pin-set's names (each with a precertificate and a
# certificate entry, verified, a few sharing keys, some expired), then it times
#   - one pass of the job (`pinwatch run --once` over an empty log list: first versions,
#     the proposer over every stored certificate, publication), and
#   - `pinwatch proposals` (every proposal with its safety checks computed now),
# and prints wall time, CPU time and peak RSS of each, and how many proposals were made.
#   bench/pinset_bench.sh [CERTS]          (default 100000)
# Run it with 10000 and 100000 to see how the cost grows.
set -euo pipefail
cd "$(dirname "$0")/.."
CERTS="${1:-100000}"
BUILD="${BUILD_DIR:-build/release}"

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPINWATCH_BENCH=OFF >/dev/null
cmake --build "$BUILD" -j"$(nproc)" --target pinwatch >/dev/null

work="$(mktemp -d /tmp/pinwatch-pinset-bench.XXXXXX)"
. scripts/throwaway-postgres.sh
cleanup() {
  stop_throwaway_postgres "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT
start_throwaway_postgres "$work/pg"
pin() { printf 'sha256/%s' "$(printf '%s' "$1" | openssl dgst -sha256 -binary | base64)"; }
psql_q() { psql -q -v ON_ERROR_STOP=1 "$PG_URL" "$@"; }

echo '{"version": "1.0", "operators": []}' > "$work/empty-list.json"
cat > "$work/pinwatch.yaml" <<YAML
database:
  url: $PG_URL
logs:
  lists: ["$work/empty-list.json"]
watch:
  - name: example.com
    include_subdomains: true
pinsets:
  - name: api
    names: [api.example.com]
    include_subdomains: true
    pins: ["$(pin key-0)", "$(pin backup)"]
publish:
  signing_key: $work/signing.pem
  directory: $work/published
YAML
"$BUILD/monitor/pinwatch" keygen --out "$work/signing.pem" >/dev/null 2>&1
"$BUILD/monitor/pinwatch" --config "$work/pinwatch.yaml" migrate >/dev/null

# CERTS certificates under api.example.com: key i % 1000 (so 1,000 distinct keys, key-0 the
# pinned one), issued by one CA, valid for 90 days from a start spread over the last year
# (about three quarters of them expired); each logged as a precertificate and, a minute
# later, as a certificate, both verified.
psql_q <<SQL
INSERT INTO logs (log_id, description, api, url, submission_url, key, mmd_seconds, state)
VALUES (sha256('bench log'), 'bench log', 'rfc6962', 'https://bench.example/', 'https://bench.example/', '\x00', 86400, 'usable');
INSERT INTO certificates (tbs_sha256, parsed, dns_names, spki_sha256, issuer_spki_sha256, chain_spki_sha256,
                          not_before, not_after, der_kind, der)
SELECT sha256(('cert ' || i)::bytea), true,
       jsonb_build_array('host' || (i % 50) || '.api.example.com'),
       sha256(('key-' || (i % 1000))::bytea), sha256('ca'::bytea), sha256('ca'::bytea) || sha256('root'::bytea),
       now() - ((i % 365) || ' days')::interval, now() - ((i % 365) || ' days')::interval + interval '90 days',
       'certificate', '\x30'
  FROM generate_series(1, $CERTS) AS i;
INSERT INTO certificate_entries (log_id, entry_index, certificate_id, entry_type, timestamp_ms, verified)
SELECT sha256('bench log'), 2 * id, id, 'precert', (extract(epoch FROM not_before) * 1000)::bigint, true FROM certificates
UNION ALL
SELECT sha256('bench log'), 2 * id + 1, id, 'x509', (extract(epoch FROM not_before) * 1000)::bigint + 60000, true FROM certificates;
INSERT INTO findings (kind, severity, watched, certificate_id, reason, dedupe_key)
SELECT 'unexpected_key', 'warning', 'example.com', id, 'bench', sha256(tbs_sha256) FROM certificates;
ANALYZE;
SQL

measure() {  # measure LABEL COMMAND...: wall s, CPU s and peak RSS of one run
  local label=$1
  shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err"
  read -r wall user sys rss <"$work/time"
  printf '%-34s %7.2f s wall  %7.2f s CPU  %6.1f MB peak RSS\n' "$label" "$wall" \
    "$(echo "$user + $sys" | bc)" "$(echo "scale=1; $rss / 1024" | bc)"
}
echo "$CERTS stored certificates for the pin-set's names (1,000 keys)"
measure "one pass (run --once, no logs)" "$BUILD/monitor/pinwatch" --config "$work/pinwatch.yaml" run --once
grep -c 'proposal [0-9]*: add' "$work/err" | sed 's/^/  add proposals made: /'
grep -c 'proposal [0-9]*: remove' "$work/err" | sed 's/^/  remove proposals made: /' || true
measure "second pass (nothing new)" "$BUILD/monitor/pinwatch" --config "$work/pinwatch.yaml" run --once
sed '/^pinsets:/,$d' "$work/pinwatch.yaml" > "$work/no-pinsets.yaml"
measure "run --once without pin-sets" "$BUILD/monitor/pinwatch" --config "$work/no-pinsets.yaml" run --once
measure "proposals (checks computed)" "$BUILD/monitor/pinwatch" --config "$work/pinwatch.yaml" proposals --status pending
