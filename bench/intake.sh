#!/usr/bin/env bash
# Intake throughput: citizens submitting reports through POST /api/v1/reports, with the same wrk
# settings as the peer benchmark in ../shared/peers/helpdesk (2 threads, 16 connections, 20 s
# after a 3 s warm-up), so the figures can be compared side by side. Every 2xx means the report,
# its reporter, clocks, timeline entry and audit event are committed (SQLite: synchronous=FULL,
# group commit; PostgreSQL: synchronous_commit=on). The background jobs run as in production.
#
#   bench/intake.sh                  # SQLite
#   BACKEND=postgres bench/intake.sh # PostgreSQL on 127.0.0.1:5432 (a fresh database)
#   BACKEND=postgres INSTANCES=2 bench/intake.sh
#                                    # two servers sharing the database, wrk with half the
#                                    # connections on each (one thread each); figures summed
#   BIN=/path/to/tanggap bench/intake.sh
#                                    # another build (an earlier commit's, for a before and
#                                    # after on the same machine) instead of this tree's
#   DURATION=20 CONNS=16 THREADS=2 WARMUP=3 PORT=18200 INSTANCES=1 are the defaults.
set -euo pipefail
cd "$(dirname "$0")/.."
BACKEND=${BACKEND:-sqlite}
DURATION=${DURATION:-20}; CONNS=${CONNS:-16}; THREADS=${THREADS:-2}; WARMUP=${WARMUP:-3}; PORT=${PORT:-18200}
INSTANCES=${INSTANCES:-1}
[ "$INSTANCES" = 1 ] || [ "$BACKEND" = postgres ] || { echo "INSTANCES > 1 needs BACKEND=postgres" >&2; exit 1; }
command -v wrk >/dev/null || { echo "needs wrk (apt-get install wrk)" >&2; exit 1; }
if [ -n "${BIN:-}" ]; then bin=$BIN; else cargo build --release -q -p tanggap; bin=target/release/tanggap; fi
dir=$(mktemp -d)
export TANGGAP_DATA_DIR=$dir TANGGAP_LISTEN=127.0.0.1:$PORT TANGGAP_LOG=warn
export TANGGAP_RATE_SUBMISSIONS_PER_IP=1000000000
unset DATABASE_URL
if [ "$BACKEND" = postgres ]; then
  db=tanggap_bench_$$
  psql -h 127.0.0.1 -U postgres -qc "CREATE DATABASE $db" postgres
  export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$db
fi
"$bin" seed >/dev/null
pids=()
for i in $(seq 0 $((INSTANCES - 1))); do
  TANGGAP_LISTEN=127.0.0.1:$((PORT + i)) "$bin" serve > "$dir/server$i.log" 2>&1 &
  pids+=($!)
done
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  [ "$BACKEND" = postgres ] && psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" postgres || true
  [ -n "${SHOW_LOGS:-}" ] && grep -h -m5 -iE "error|warn" "$dir"/server*.log | cut -c1-400
  rm -rf "$dir"
}
trap cleanup EXIT
for i in $(seq 0 $((INSTANCES - 1))); do
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((PORT + i))/readyz" >/dev/null && break; sleep 0.2; done
done
count() {
  if [ "$BACKEND" = postgres ]; then psql -h 127.0.0.1 -U postgres -Atc "SELECT count(*) FROM reports" "$db"
  else "$bin" audit verify >/dev/null 2>&1; python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute('select count(*) from reports').fetchone()[0])" "$dir/tanggap.db"; fi
}
cpu() { for p in "${pids[@]}"; do awk '{print $14 + $15}' "/proc/$p/stat"; done | paste -sd+ | bc; }
# One wrk per instance, the connections and threads shared out between them.
drive() {
  local secs=$1 tag=$2 i
  if [ "$INSTANCES" = 1 ]; then
    wrk -t"$THREADS" -c"$CONNS" -d"${secs}s" --timeout 10s -s bench/post_report.lua "http://127.0.0.1:$PORT" -- "$tag"
    return
  fi
  local w=()
  for i in $(seq 0 $((INSTANCES - 1))); do
    wrk -t$(( (THREADS + INSTANCES - 1) / INSTANCES )) -c$((CONNS / INSTANCES)) -d"${secs}s" --timeout 10s \
      -s bench/post_report.lua "http://127.0.0.1:$((PORT + i))" -- "$tag-i$i" > "$dir/wrk$i.out" &
    w+=($!)
  done
  wait "${w[@]}"
  cat "$dir"/wrk*.out
}
drive "$WARMUP" warmup >/dev/null
before=$(count); cpu0=$(cpu); t0=$(date +%s.%N)
out=$(drive "$DURATION" "run$$")
t1=$(date +%s.%N); cpu1=$(cpu); sleep 1; after=$(count)
echo "$out" | grep -E "RESULT|non-2xx"
ok=$(echo "$out" | sed -n 's/.*reports_2xx=\([0-9]*\).*/\1/p' | paste -sd+ | bc)
[ "$INSTANCES" = 1 ] || echo "$out" | awk -v d="$DURATION" '/RESULT/{for(i=1;i<=NF;i++){split($i,kv,"="); if(kv[1]=="reports_2xx") n+=kv[2]; if(kv[1]=="p99_ms" && kv[2]>p) p=kv[2]}} END{printf "RESULT instances summed: reports_2xx=%d per_sec=%.1f worst_p99_ms=%.2f\n", n, n/d, p}'
ticks=$(getconf CLK_TCK)
python3 - "$ok" "$before" "$after" "$cpu0" "$cpu1" "$ticks" "$BACKEND" "${pids[@]}" <<'PY'
import sys
ok, before, after, c0, c1, hz, backend = sys.argv[1:8]
ok, stored = int(ok), int(after) - int(before)
cpu_ms = (int(c1) - int(c0)) * 1000 / int(hz)
print(f"backend={backend} acknowledged={ok} stored_this_run={stored} (in flight at the end: {stored - ok})")
def kib(pid, key):
    return int([l for l in open(f"/proc/{pid}/status") if l.startswith(key + ":")][0].split()[1])
hwm = max(kib(p, "VmHWM") for p in sys.argv[8:])
split = ", ".join(f"{k} {max(kib(p, k) for p in sys.argv[8:]) / 1024:.1f}" for k in ("RssAnon", "RssFile", "RssShmem"))
print(f"server CPU {cpu_ms:.0f} ms = {cpu_ms / max(ok, 1):.3f} ms per report; peak RSS {hwm / 1024:.1f} MiB (the largest instance; at the end: {split} MiB)")
assert stored >= ok, "an acknowledged report is missing"
PY
