# throwaway-postgres.sh: sourced by demo.sh and the benchmark. start_throwaway_postgres DIR
# runs initdb in DIR and a server on a free 127.0.0.1 port, as the `postgres` user when we
# are root (PostgreSQL refuses root), and sets PG_URL; stop_throwaway_postgres DIR stops it.
pg_bindir() { ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

start_throwaway_postgres() {
  local dir="$1" bin port
  bin="$(pg_bindir)"
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
  mkdir -p "$dir"
  chmod 755 "$(dirname "$dir")"
  [ "$(id -u)" -eq 0 ] && chown postgres "$dir"
  as_postgres "$bin/initdb" -D "$dir" -U pinwatch -A trust >/dev/null
  as_postgres "$bin/pg_ctl" -D "$dir" -w -l "$dir/server.log" \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
  PG_URL="postgresql://pinwatch@127.0.0.1:$port/postgres"
}

stop_throwaway_postgres() {
  [ -d "$1" ] && as_postgres "$(pg_bindir)/pg_ctl" -D "$1" -m immediate stop >/dev/null 2>&1 || true
}
