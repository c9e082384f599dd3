#!/usr/bin/env bash
# The import-rule check must fail on each kind of violation it promises to find, and pass a
# tree without them: plant each in a scratch tree and compare the messages.
# Usage: catches_violations.sh SOURCE_DIR BINARY_THAT_LINKS_LIBCURL
set -euo pipefail
src=${1:?source dir}
curl_binary=${2:?a binary that links libcurl}
check=$src/scripts/check-layout.sh
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT
mkdir -p "$tree"/{base,net,ctlog,x509,watch,db,monitor,alerts,api,sim,pinreports}

# A clean tree passes.
printf '#include "base/status.h"\n#include <openssl/x509.h>\n' >"$tree/x509/ok.cc"
printf '#include "x509/ok.h"\n#include "ctlog/log_entry.h"\n' >"$tree/watch/ok.cc"
printf '#include <pqxx/pqxx>\n' >"$tree/db/ok.cc"
printf '#include <httplib.h>\n#include "alerts/metrics.h"\n' >"$tree/api/ok.cc"
printf '#include <curl/curl.h>\n' >"$tree/net/http.cc"
"$check" "$tree" >/dev/null || { echo "FAIL: a clean tree was refused"; "$check" "$tree"; exit 1; }

printf '#include "db/finding_store.h"\n#include <yaml-cpp/yaml.h>\n' >"$tree/x509/bad.cc"
printf '#include <curl/curl.h>\n  #include "httplib.h"\n#include "monitor/config.h"\n' >"$tree/watch/bad.h"
printf '#include "watch/matcher.h"\n' >"$tree/ctlog/bad.cc"
printf '#include "ctlog/leaf.h"\n' >"$tree/base/bad.h"
printf '#include "ctlog/leaf.h"\n' >"$tree/net/bad.h"
printf '#include <httplib.h>\n#include <curl/curl.h>\n' >"$tree/monitor/bad_server.cc"
printf '#include "monitor/worker.h"\n' >"$tree/api/bad.cc"
printf '#include <pqxx/pqxx>\n#include <prometheus/counter.h>\n' >"$tree/monitor/bad.cc"
printf '#include "x509/identity.h"\n#include "db/store.h"\n#include <httplib.h>\n' >"$tree/pinreports/bad.cc"

set +e
out=$("$check" "$tree" "$curl_binary")
rc=$?
set -e
want=(
  'x509/bad.cc:1: x509/ may include only base/ x509/, not "db/finding_store.h"'
  'x509/bad.cc:1: x509/ must not include the database'
  'x509/bad.cc:2: x509/ must not include yaml-cpp'
  'watch/bad.h:1: watch/ must not include libcurl'
  'watch/bad.h:2: watch/ must not include an HTTP server'
  'watch/bad.h:3: watch/ may include only base/ ctlog/ x509/ watch/, not "monitor/config.h"'
  'ctlog/bad.cc:1: ctlog/ may include only base/ net/ ctlog/, not "watch/matcher.h"'
  'net/bad.h:1: net/ may include only base/ net/, not "ctlog/leaf.h"'
  'monitor/bad_server.cc: an HTTP server belongs only in api/ (and sim/)'
  'monitor/bad_server.cc: libcurl belongs only in net/http.*'
  'api/bad.cc:1: api/ must not include the daemon (monitor/): api/ meets the workers only in the database'
  'base/bad.h:1: base/ may include only base/, not "ctlog/leaf.h"'
  'monitor/bad.cc: libpqxx/libpq belongs only in db/'
  'monitor/bad.cc: prometheus-cpp belongs only in alerts/'
  'pinreports/bad.cc:2: pinreports/ may include only base/ x509/ pinreports/, not "db/store.h"'
  'pinreports/bad.cc: an HTTP server belongs only in api/ (and sim/)'
)
status=0
[ "$rc" -eq 1 ] || { echo "FAIL: exit $rc, want 1"; status=1; }
for w in "${want[@]}"; do
  grep -qF "layout: $w" <<<"$out" || { echo "FAIL: missing: $w"; status=1; }
done
grep -qE "layout: $(basename "$curl_binary") links .*libcurl" <<<"$out" ||
  { echo "FAIL: missing: $(basename "$curl_binary") links ... libcurl"; status=1; }
if [ "$status" -ne 0 ]; then
  echo "--- output was:"
  echo "$out"
  exit 1
fi
echo "every planted violation was reported"
