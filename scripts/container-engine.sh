# Sourced by scripts/compose-test.sh: a container engine on a Debian bookworm machine that
# reaches only Debian's package mirror (../shared/containers/README.md says why each step):
# rootful podman with runc, its Docker-compatible socket for Debian's docker-compose 1.29,
# and a debootstrap'd debian:bookworm base image, since no registry can be pulled from.
# Nothing in /etc is changed: podman reads our settings from CONTAINERS_CONF.

# engine_install installs podman, runc, debootstrap and docker-compose when missing, and
# the CNI dnsname plugin: without it podman 4.3's networks have no DNS, so services cannot
# find each other by name.
engine_install() {
  local missing=() p
  for p in podman runc debootstrap docker-compose golang-github-containernetworking-plugin-dnsname; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "container engine: installing ${missing[*]}"
  apt-get update -qq
  # docker-compose without its recommended docker.io: podman serves the API.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# engine_configure writes DIR/containers.conf: runc (crun cannot run on this kernel's
# hybrid cgroups) and rlimits within the hard limit (no CAP_SYS_RESOURCE here).
engine_configure() {
  local dir=$1
  cat > "$dir/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
[engine]
runtime = "runc"
CONF
  export CONTAINERS_CONF="$dir/containers.conf"
}

# engine_base_image makes localhost/debian:bookworm from Debian's mirror once (about a
# minute); later runs reuse it.
engine_base_image() {
  podman image exists localhost/debian:bookworm && return 0
  local mirror root
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [ -n "$mirror" ] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list)
  root=$(mktemp -d /tmp/pinwatch-rootfs.XXXXXX)
  echo "container engine: debootstrap bookworm from $mirror"
  debootstrap --variant=minbase bookworm "$root" "$mirror" >/dev/null
  chroot "$root" apt-get clean
  rm -rf "$root"/var/lib/apt/lists/* "$root"/etc/resolv.conf
  : > "$root"/etc/hostname
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb %s-security bookworm-security main\n' \
    "$mirror" "$mirror" "$mirror" > "$root"/etc/apt/sources.list
  # What the official image does: no package caches, no translations.
  cat > "$root"/etc/apt/apt.conf.d/docker-clean <<'APT'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
APT
  echo 'Acquire::Languages "none";' > "$root"/etc/apt/apt.conf.d/docker-no-languages
  tar -C "$root" -c . | podman import --change 'CMD ["/bin/bash"]' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' - localhost/debian:bookworm >/dev/null
  rm -rf "$root"
}

# engine_start serves podman's Docker API at /run/podman/podman.sock for docker-compose,
# and runs the containers' HEALTHCHECKs by hand: podman 4.3 schedules them with systemd
# timers, and there is no systemd here.
engine_start() {
  local log=$1
  mkdir -p /run/podman
  podman system service --time=0 unix:///run/podman/podman.sock > "$log" 2>&1 &
  ENGINE_SERVICE_PID=$!
  ( set +e; while sleep 2; do for c in $(podman ps -q); do podman healthcheck run "$c" >/dev/null 2>&1; done; done ) &
  ENGINE_HEALTH_PID=$!
  export DOCKER_HOST=unix:///run/podman/podman.sock
  local i
  for i in $(seq 100); do
    curl -fs --unix-socket /run/podman/podman.sock http://d/_ping >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "container engine: podman's API socket did not answer"; cat "$log"; return 1
}

engine_stop() {
  [ -n "${ENGINE_HEALTH_PID:-}" ] && kill "$ENGINE_HEALTH_PID" 2>/dev/null
  [ -n "${ENGINE_SERVICE_PID:-}" ] && kill "$ENGINE_SERVICE_PID" 2>/dev/null && wait "$ENGINE_SERVICE_PID" 2>/dev/null
  ENGINE_HEALTH_PID=""; ENGINE_SERVICE_PID=""
  return 0
}
