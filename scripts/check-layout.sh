#!/usr/bin/env bash
# check-layout.sh SOURCE_DIR [FUZZ_BINARY...]: the import rules of the README's
# architecture section, checked on every product source file (tests and benchmarks may
# reach further), and the certificate fuzz targets' shared libraries. Prints every
# violation as FILE: WHAT and exits 1 if there is one. Run by ctest (layout_rules).
set -euo pipefail

root=${1:?usage: check-layout.sh SOURCE_DIR [FUZZ_BINARY...]}
shift
binaries=()
for b in "$@"; do binaries+=("$(realpath -m "$b")"); done
cd "$root"
failures=0

fail() {
  echo "layout: $*"
  failures=$((failures + 1))
}

# includes FOLDER: "file:line:#include ..." for every include in the folder's sources.
includes() {
  [ -d "$1" ] || return 0
  grep -rnE '^[[:space:]]*#[[:space:]]*include' --include='*.h' --include='*.cc' "$1" || true
}

# project_includes_only FOLDER ALLOWED...: the folder includes project headers only from
# the allowed folders (system and library headers in <...> are checked separately).
project_includes_only() {
  local folder=$1
  shift
  local allowed
  allowed=$(printf '%s/|' "$@")
  allowed=${allowed%|}
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    local header
    header=$(sed -nE 's/.*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/p' <<<"$line")
    [ -n "$header" ] || continue
    [[ $header == */* ]] || continue  # a header beside the file
    if ! grep -qE "^($allowed)" <<<"$header"; then
      fail "$(cut -d: -f1,2 <<<"$line"): $folder/ may include only $(tr '|' ' ' <<<"$allowed"), not \"$header\""
    fi
  done < <(includes "$folder")
}

# forbid FOLDER PATTERN WHAT: no include line in the folder matches the pattern.
forbid() {
  local folder=$1 pattern=$2 what=$3
  while IFS= read -r line; do
    [ -n "$line" ] || continue
    if grep -qE "$pattern" <<<"${line#*:*:}"; then
      fail "$(cut -d: -f1,2 <<<"$line"): $folder/ must not include $what"
    fi
  done < <(includes "$folder")
}

# only_in PATTERN WHAT ALLOWED_PATH_REGEX HOME: product files outside the allowed paths do
# not include the pattern.
only_in() {
  local pattern=$1 what=$2 allowed=$3 home=$4
  for folder in base net ctlog x509 watch db monitor alerts pins pinreports report api sim; do
    while IFS= read -r line; do
      [ -n "$line" ] || continue
      local file=${line%%:*}
      grep -qE "$pattern" <<<"${line#*:*:}" || continue
      grep -qE "^($allowed)" <<<"$file" || fail "$file: $what belongs only in $home"
    done < <(includes "$folder")
  done
}

readonly DATABASE='"db/|<pqxx|<libpq'
readonly YAML='<yaml-cpp/'
readonly CURL='<curl/'
readonly HTTP_SERVER='httplib|<civetweb|CivetServer'
readonly PROMETHEUS='<prometheus/'

# The certificate and matching folders never see the database, YAML, libcurl or an HTTP
# server: they parse untrusted bytes, and their fuzz targets must link only what they parse.
project_includes_only x509 base x509
project_includes_only watch base ctlog x509 watch
for folder in x509 watch; do
  forbid "$folder" "$DATABASE" "the database"
  forbid "$folder" "$YAML" "yaml-cpp"
  forbid "$folder" "$CURL" "libcurl"
  forbid "$folder" "$HTTP_SERVER" "an HTTP server"
  forbid "$folder" "$PROMETHEUS" "prometheus-cpp"
done
# net/ is network transport (HTTP, the TLS probe); ctlog/ is the log protocols: nothing of watch lists,
# certificates' meaning or storage.
project_includes_only net base net
project_includes_only ctlog base net ctlog
# The alert sender and the HTTP listener meet the log workers only through the database:
# neither reaches into the daemon.
forbid alerts '"monitor/' "the daemon (monitor/): alerts/ meets the workers only in the database"
forbid api '"monitor/' "the daemon (monitor/): api/ meets the workers only in the database"
# pins/ (proposals, checks, publication, exports) works from what the database holds:
# the store's interface, the watch list's matching rules and the vocabulary, nothing more.
project_includes_only pins base db watch x509 ctlog pins
forbid pins "<pqxx|<libpq" "libpqxx (db/ implements the store)"
# pinreports/ parses untrusted bytes (reports anyone can send): never the database, HTTP server or daemon.
project_includes_only pinreports base x509 pinreports
# report/ prints records: the store's interfaces and the pin-set vocabulary, never the daemon.
project_includes_only report base db ctlog pins report
# pinreports/ judges pin-failure reports from their bytes (and the roots handed in): the
# vocabulary and certificates, nothing of the database, the logs or the daemon.
project_includes_only pinreports base x509 pinreports
# base/ is vocabulary: it depends on no other folder.
project_includes_only base base
# One home each.
only_in "<pqxx|<libpq" "libpqxx/libpq" "db/" "db/"
only_in "$CURL" "libcurl" "net/http\.(h|cc)" "net/http.*"
only_in "$YAML" "yaml-cpp" "monitor/config\.(h|cc)" "monitor/config.*"
only_in "$PROMETHEUS" "prometheus-cpp" "alerts/" "alerts/"
# pinwatch's HTTP server (/metrics, /healthz, /readyz; the API next) lives in api/; ctsim,
# a product of its own, serves its log with the same library.
only_in "$HTTP_SERVER" "an HTTP server" "api/|sim/" "api/ (and sim/)"

# The fuzz targets of the certificate parsers link none of the daemon's libraries.
for binary in "${binaries[@]}"; do
  if [ ! -x "$binary" ]; then
    fail "$binary: not built"
    continue
  fi
  linked=$(ldd "$binary" | grep -oE 'lib(pq|pqxx[^ ]*|yaml-cpp|curl[^ ]*|prometheus[^ ]*)\.so[^ ]*' || true)
  if [ -n "$linked" ]; then
    fail "$(basename "$binary") links $(tr '\n' ' ' <<<"$linked")"
  fi
done

if [ "$failures" -gt 0 ]; then
  echo "layout: $failures violation(s) of the import rules (README, Architecture)"
  exit 1
fi
echo "layout: import rules hold"
