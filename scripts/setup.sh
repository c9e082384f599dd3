#!/usr/bin/env bash
# Installs what pinwatch needs from Debian's packages; a no-op when all is present.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config clang
  libssl-dev libcurl4-openssl-dev zlib1g-dev rapidjson-dev
  libpqxx-dev prometheus-cpp-dev libyaml-cpp-dev libidn2-dev libdeflate-dev
  libgtest-dev libgmock-dev libbenchmark-dev libcpp-httplib-dev
  postgresql certspotter curl ca-certificates python3
  prometheus prometheus-alertmanager
  chromium chromium-driver python3-selenium
  docker-compose python3-yaml
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "setup: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
