# bench/lib.sh: set-up shared by the end-to-end benchmarks (run_once_bench.sh,
# faults_bench.sh, many_logs_bench.sh); sourced from the repository root, after `set -euo
# pipefail`. It provides:
#   bench_build TARGET...    configure $BUILD (BUILD_DIR, default build/release) as Release
#                            without tests and Google Benchmark targets, and build TARGETs
#                            under `nice -n 10` with JOBS jobs (default nproc)
#   bench_begin NAME         a work directory $work (removed on exit), a throwaway PostgreSQL
#                            ($PG_URL; its data in $work/pg) and an exit trap that kills every
#                            pid in $pids and stops the database
#   bench_database NAME      a fresh database NAME on that server; prints its URL
#   bench_ctsim NAME ARGS... ctsim with ARGS in the background ($work/NAME.out, .err), back
#                            when every log it serves is listening; sets $sim_pid, $sim_urls
#   free_port                a free loopback TCP port
#   time_field FILE FIELD    one field of `/usr/bin/time -v` output ("User time", ...)
#   wall_seconds "H:MM:SS.ss" or "M:SS.ss"   the elapsed time in seconds
#   cpu_ticks PID            utime + stime of PID so far, in clock ticks (getconf CLK_TCK)
#   proc_status PID FIELD    a field of /proc/PID/status (VmRSS in kB, Threads, ...)
# It reuses scripts/throwaway-postgres.sh.
BUILD="${BUILD_DIR:-build/release}"
pids=()
. scripts/throwaway-postgres.sh

bench_build() {
  cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPINWATCH_TESTS=OFF -DPINWATCH_BENCH=OFF >/dev/null
  nice -n 10 cmake --build "$BUILD" -j"${JOBS:-$(nproc)}" --target "$@" >/dev/null
}

bench_cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  stop_throwaway_postgres "$work/pg"
  rm -rf "$work"
}

bench_begin() {
  work="$(mktemp -d "/tmp/pinwatch-$1.XXXXXX")"
  trap bench_cleanup EXIT
  # fsync stays on: real commits.
  start_throwaway_postgres "$work/pg"
}

bench_database() {
  psql -q -v ON_ERROR_STOP=1 "$PG_URL" -c "CREATE DATABASE \"$1\"" >/dev/null
  echo "${PG_URL%/*}/$1"
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

bench_ctsim() {
  local name="$1" logs=1 a
  shift
  for a in "$@"; do
    if [ "${prev:-}" = --logs ]; then logs="$a"; fi
    prev="$a"
  done
  unset prev
  "$BUILD/sim/ctsim" "$@" >"$work/$name.out" 2>"$work/$name.err" &
  sim_pid=$!
  pids+=("$sim_pid")
  until [ "$(cat "$work/$name.out" 2>/dev/null | grep -c '^ctsim: serving')" -ge "$logs" ]; do
    kill -0 "$sim_pid" 2>/dev/null || { cat "$work/$name.err" >&2; return 1; }
    sleep 0.2
  done
  sim_urls="$(sed -n 's/^ctsim: serving //p' "$work/$name.out")"
}

time_field() { grep "$2" "$1" | awk -F': ' '{print $2}'; }

wall_seconds() { awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }' <<<"$1"; }

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

proc_status() { awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"; }
